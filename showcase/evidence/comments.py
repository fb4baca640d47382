"""Comment threads on evidence items: feedback between the apprentice, tutor and line manager.

Each operation takes the acting user and only flushes; the request commits. Comments are
append-only — no edits, no deletions — and each one is an audit entry (``comment.added``), which
is also what the notifications follow. A comment is not part of the showcase unless the
apprentice includes it before the lock; ``frozen_additions`` is what the lock copies into the
manifest, so what the assessor reads cannot change afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Forbidden, NotFound, ValidationFailed
from showcase.evidence.models import Evidence, EvidenceComment
from showcase.evidence.permissions import (
    PART_LABELS,
    can_comment,
    can_include_comment,
    staff_part,
)
from showcase.evidence.services import ensure_not_locked
from showcase.portfolios.models import Apprenticeship

COMMENT_MAX = 5000


def part_label(user: User, apprenticeship: Apprenticeship) -> str:
    """How a comment's author is named beside it: apprentice, tutor, line manager."""
    if user.id == apprenticeship.apprentice_id:
        return "apprentice"
    part = staff_part(user, apprenticeship)
    # A former tutor or line manager keeps their comments; their role says what they were.
    return PART_LABELS[part] if part else user.role.label.lower()


def list_comments(evidence: Evidence) -> list[EvidenceComment]:
    """The item's thread, oldest first."""
    return list(
        db.session.scalars(
            select(EvidenceComment)
            .where(EvidenceComment.evidence_id == evidence.id)
            .order_by(EvidenceComment.created_at, EvidenceComment.id)
            .options(joinedload(EvidenceComment.author))
        )
    )


def add_comment(actor: User, evidence: Evidence, body: str) -> EvidenceComment:
    """Add a comment to the item's thread."""
    if not can_comment(actor, evidence):
        if evidence.deleted_at is not None:
            raise NotFound("This evidence has been deleted.")
        raise Forbidden("Only the apprentice, their tutor and line manager comment on evidence.")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("Write your comment first.", field="body")
    if len(body) > COMMENT_MAX:
        raise ValidationFailed(
            f"Keep a comment under {COMMENT_MAX} characters (this one has {len(body)}).",
            field="body",
        )
    comment = EvidenceComment(evidence=evidence, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    record(
        actor,
        "comment.added",
        comment,
        apprenticeship_id=evidence.apprenticeship_id,
        evidence_id=evidence.id,
    )
    return comment


def set_included(actor: User, comment: EvidenceComment, *, include: bool) -> EvidenceComment:
    """The apprentice includes a comment with their showcase, or takes it out again. Refused
    once the item is locked (its comments were copied into the manifest then)."""
    evidence = comment.evidence
    # The item's row lock orders this against the gateway lock: one committed meanwhile is
    # seen here, and a lock that starts later reads the choice made here.
    ensure_not_locked(evidence)
    db.session.refresh(comment)
    if not can_include_comment(actor, comment):
        raise Forbidden("Only the apprentice chooses which comments go with their showcase.")
    if (comment.included_at is not None) == include:
        return comment
    comment.included_at = db.utcnow() if include else None
    db.session.flush()
    record(
        actor,
        "comment.included" if include else "comment.excluded",
        comment,
        apprenticeship_id=evidence.apprenticeship_id,
        evidence_id=evidence.id,
    )
    return comment


def frozen_additions(items: Iterable[Evidence]) -> dict[int, dict[str, Any]]:
    """What the lock adds to each item's manifest entry: who recorded a staff record, and the
    comments the apprentice included. Items with neither get nothing, so their entries read
    exactly as before these existed."""
    items = list(items)
    included: dict[int, list[EvidenceComment]] = {}
    if items:
        for comment in db.session.scalars(
            select(EvidenceComment)
            .where(
                EvidenceComment.evidence_id.in_([e.id for e in items]),
                EvidenceComment.included_at.is_not(None),
            )
            .order_by(EvidenceComment.created_at, EvidenceComment.id)
            .options(joinedload(EvidenceComment.author))
        ):
            included.setdefault(comment.evidence_id, []).append(comment)
    additions: dict[int, dict[str, Any]] = {}
    for evidence in items:
        extra: dict[str, Any] = {}
        if evidence.recorded_by is not None:
            extra["recorded_by"] = {
                "user_id": evidence.recorded_by.id,
                "name": evidence.recorded_by.name,
                "role": part_label(evidence.recorded_by, evidence.apprenticeship),
                "at": evidence.created_at.isoformat(),
            }
        if evidence.id in included:
            extra["comments"] = [
                {
                    "comment_id": c.id,
                    "author": c.author.name,
                    "role": part_label(c.author, evidence.apprenticeship),
                    "at": c.created_at.isoformat(),
                    "body": c.body,
                }
                for c in included[evidence.id]
            ]
        if extra:
            additions[evidence.id] = extra
    return additions
