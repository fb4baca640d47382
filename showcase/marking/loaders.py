"""Loaders of the marking queue: the same 404 rules as the evidence pages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.evidence.models import Evidence, EvidenceTag
from showcase.marking.permissions import can_mark, marked_apprenticeships
from showcase.portfolios.models import Apprenticeship


def get_marker_or_404(user: User) -> User:
    """``user`` if they have a marking queue; anyone else is told there is none (404)."""
    if not can_mark(user):
        raise NotFound("There is no marking queue here: it is the tutors' list of tags to review.")
    return user


def get_tags_or_404(tutor: User, tag_ids: Sequence[int]) -> list[EvidenceTag]:
    """The tags ``tutor`` may review, in one query, in the order asked; 404 if any of them is
    not theirs (or does not exist), so a batch never half-applies to someone else's tags."""
    get_marker_or_404(tutor)
    wanted = list(dict.fromkeys(tag_ids))
    if not wanted:
        return []
    found = {
        tag.id: tag
        for tag in db.session.scalars(
            select(EvidenceTag)
            .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
            .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
            .where(
                EvidenceTag.id.in_(wanted),
                Evidence.deleted_at.is_(None),
                marked_apprenticeships(tutor),
            )
            .options(
                joinedload(EvidenceTag.evidence).joinedload(Evidence.apprenticeship),
                joinedload(EvidenceTag.reference),
            )
        ).unique()
    }
    if len(found) != len(wanted):
        raise NotFound("No such tag, or it is not in a portfolio you tutor.")
    return [found[i] for i in wanted]
