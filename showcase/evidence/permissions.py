"""Who may add, change, tag and review evidence, and who takes part in its comment thread.
Pure predicates; the lock is part of policy."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.evidence.models import Evidence, EvidenceComment, EvidenceKind, EvidenceTag, TagStatus
from showcase.portfolios.models import Apprenticeship

#: The kinds of evidence each member of staff may record in a learner's portfolio, by their
#: part in the apprenticeship; the first is what an uploaded file is recorded as until they
#: say otherwise. A tutor observes and holds professional discussions; a line manager writes
#: a statement of what they saw at work.
STAFF_KINDS: dict[str, tuple[EvidenceKind, ...]] = {
    "tutor": (EvidenceKind.OBSERVATION_RECORD, EvidenceKind.PROFESSIONAL_DISCUSSION),
    "line_manager": (EvidenceKind.MANAGER_STATEMENT,),
}

#: How a recorder's part reads on a page ("Recorded by Tara Singh, tutor, on …").
PART_LABELS = {"tutor": "tutor", "line_manager": "line manager"}


def staff_part(user: User, apprenticeship: Apprenticeship) -> str | None:
    """``user``'s part as staff in the apprenticeship ("tutor", "line_manager") or None."""
    if user.id == apprenticeship.tutor_id:
        return "tutor"
    if user.id == apprenticeship.line_manager_id:
        return "line_manager"
    return None


def recordable_kinds(user: User, apprenticeship: Apprenticeship) -> tuple[EvidenceKind, ...]:
    """The kinds ``user`` may record for the apprentice; none for anyone else."""
    part = staff_part(user, apprenticeship)
    return STAFF_KINDS.get(part, ()) if part else ()


def can_add_evidence(user: User, apprenticeship: Apprenticeship) -> bool:
    """The apprentice builds their portfolio; their tutor and line manager record evidence in
    it (of the kinds ``STAFF_KINDS`` gives them)."""
    return user.id == apprenticeship.apprentice_id or bool(recordable_kinds(user, apprenticeship))


def can_record_kind(user: User, apprenticeship: Apprenticeship, kind: EvidenceKind) -> bool:
    """Whether ``user`` may add (or turn) an item into ``kind``: any kind for the apprentice,
    only their own kinds for staff."""
    if user.id == apprenticeship.apprentice_id:
        return True
    return kind in recordable_kinds(user, apprenticeship)


def has_accepted_tag(evidence: Evidence) -> bool:
    """Whether a tag on the item is, or ever was, accepted: once the tutor has relied on its
    content, rewording or removing that tag does not make the content changeable again."""
    return any(
        (t.removed_at is None and t.status is TagStatus.ACCEPTED)
        or any(e.action == "accepted" for e in t.events)
        for t in evidence.tags
    )


def _open(evidence: Evidence) -> bool:
    return evidence.deleted_at is None and not evidence.is_locked and evidence.sealed_at is None


def can_edit_evidence(user: User, evidence: Evidence) -> bool:
    """The apprentice changes their own items, never a deleted, locked or sealed one (a
    statement someone else signed is theirs, not the apprentice's, to change). An item a
    member of staff recorded is the recorder's to change (never the apprentice's), and only
    until a tag on it is first accepted: from then on nobody changes it."""
    if not _open(evidence):
        return False
    if evidence.recorded_by_id is not None:
        return (
            user.id == evidence.recorded_by_id
            and staff_part(user, evidence.apprenticeship) is not None
            and not has_accepted_tag(evidence)
        )
    return user.id == evidence.apprenticeship.apprentice_id


def can_tag_evidence(user: User, evidence: Evidence) -> bool:
    """Who claims (and withdraws claims) that an item shows a unit: whoever may edit it, and on
    a staff record the apprentice too (it is their portfolio) as well as the recorder after
    acceptance. Tags anyone adds await the tutor's review as usual."""
    if evidence.recorded_by_id is None:
        return can_edit_evidence(user, evidence)
    return _open(evidence) and (
        user.id == evidence.apprenticeship.apprentice_id
        or (
            user.id == evidence.recorded_by_id
            and staff_part(user, evidence.apprenticeship) is not None
        )
    )


def can_restore_evidence(user: User, evidence: Evidence) -> bool:
    """Whoever could delete the item brings it back: the recorder for a staff record."""
    if evidence.recorded_by_id is not None:
        return user.id == evidence.recorded_by_id
    return user.id == evidence.apprenticeship.apprentice_id


def can_review_tags(user: User, apprenticeship: Apprenticeship) -> bool:
    """The tutor accepts tags or sends them back."""
    return user.id == apprenticeship.tutor_id


def can_review_tag(user: User, tag: EvidenceTag) -> bool:
    return (
        can_review_tags(user, tag.evidence.apprenticeship)
        and tag.removed_at is None
        and not tag.evidence.is_locked
    )


# -- comments ----------------------------------------------------------------------------------


def in_conversation(user: User, apprenticeship: Apprenticeship) -> bool:
    """The apprentice, their tutor and their line manager take part in comment threads; nobody
    else reads them (the assessor and quality assurer see only comments included with the
    locked showcase, in its manifest)."""
    return user.id in (
        apprenticeship.apprentice_id,
        apprenticeship.tutor_id,
        apprenticeship.line_manager_id,
    )


def can_see_comments(user: User, evidence: Evidence) -> bool:
    return in_conversation(user, evidence.apprenticeship)


def can_comment(user: User, evidence: Evidence) -> bool:
    """Feedback goes on while the item is in the portfolio, even after the lock (a comment is
    not part of the showcase then); never on a deleted item."""
    return evidence.deleted_at is None and in_conversation(user, evidence.apprenticeship)


def can_include_comment(user: User, comment: EvidenceComment) -> bool:
    """The apprentice chooses which comments go with their showcase, until the item locks."""
    evidence = comment.evidence
    return (
        user.id == evidence.apprenticeship.apprentice_id
        and evidence.deleted_at is None
        and not evidence.is_locked
    )
