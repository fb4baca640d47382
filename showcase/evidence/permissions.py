"""Who may add, change, tag and review evidence. Pure predicates; the lock is part of policy."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.evidence.models import Evidence, EvidenceTag
from showcase.portfolios.models import Apprenticeship


def can_add_evidence(user: User, apprenticeship: Apprenticeship) -> bool:
    """Only the apprentice builds their portfolio."""
    return user.id == apprenticeship.apprentice_id


def can_edit_evidence(user: User, evidence: Evidence) -> bool:
    """The apprentice changes their own items, never a deleted, locked or sealed one (a
    statement someone else signed is theirs, not the apprentice's, to change)."""
    return (
        user.id == evidence.apprenticeship.apprentice_id
        and evidence.deleted_at is None
        and not evidence.is_locked
        and evidence.sealed_at is None
    )


def can_review_tags(user: User, apprenticeship: Apprenticeship) -> bool:
    """The tutor accepts tags or sends them back."""
    return user.id == apprenticeship.tutor_id


def can_review_tag(user: User, tag: EvidenceTag) -> bool:
    return (
        can_review_tags(user, tag.evidence.apprenticeship)
        and tag.removed_at is None
        and not tag.evidence.is_locked
    )
