"""Per-object loaders: evidence, tags and uploads are visible when their apprenticeship is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import Forbidden, NotFound
from showcase.evidence.models import (
    Evidence,
    EvidenceComment,
    EvidenceTag,
    StoredFile,
    TagEvent,
    UploadSession,
)
from showcase.evidence.permissions import can_add_evidence, can_see_comments
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships


def get_evidence_or_404(user: User, evidence_id: int) -> Evidence:
    evidence = db.session.scalar(
        select(Evidence)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .where(
            Evidence.id == evidence_id,
            Evidence.deleted_at.is_(None),
            visible_apprenticeships(user),
        )
        .options(
            joinedload(Evidence.apprenticeship).joinedload(Apprenticeship.standard),
            joinedload(Evidence.file),
            selectinload(Evidence.tags).selectinload(EvidenceTag.reference),
            selectinload(Evidence.tags).selectinload(EvidenceTag.events).joinedload(TagEvent.actor),
        )
    )
    if evidence is None:
        raise NotFound("No such evidence, or it is not in a portfolio you are party to.")
    return evidence


def get_deleted_evidence_or_404(user: User, evidence_id: int) -> Evidence:
    """A deleted item of a portfolio the user is party to (for restoring it)."""
    evidence = db.session.scalar(
        select(Evidence)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .where(
            Evidence.id == evidence_id,
            Evidence.deleted_at.is_not(None),
            visible_apprenticeships(user),
        )
        .options(
            joinedload(Evidence.apprenticeship),
            selectinload(Evidence.tags).selectinload(EvidenceTag.events),
        )
    )
    if evidence is None:
        raise NotFound("No such deleted evidence, or it is not in a portfolio you are party to.")
    return evidence


def get_evidence_file_or_404(user: User, evidence_id: int) -> StoredFile:
    """The file of an evidence item the user may see. Downloads and every Range request of a
    recording come here, so it loads the file row only, not the tags and their history."""
    row = db.session.execute(
        select(Evidence.id, StoredFile)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .outerjoin(StoredFile, Evidence.file_id == StoredFile.id)
        .where(
            Evidence.id == evidence_id,
            Evidence.deleted_at.is_(None),
            visible_apprenticeships(user),
        )
    ).first()
    if row is None:
        raise NotFound("No such evidence, or it is not in a portfolio you are party to.")
    if row.StoredFile is None:
        raise NotFound("This evidence has no file.")
    return row.StoredFile


def get_tag_or_404(user: User, tag_id: int) -> EvidenceTag:
    tag = db.session.scalar(
        select(EvidenceTag)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .where(
            EvidenceTag.id == tag_id, Evidence.deleted_at.is_(None), visible_apprenticeships(user)
        )
        .options(joinedload(EvidenceTag.evidence).joinedload(Evidence.apprenticeship))
    )
    if tag is None:
        raise NotFound("No such tag, or it is not in a portfolio you are party to.")
    return tag


def get_upload_or_404(user: User, upload_id: str) -> UploadSession:
    """The session if ``user`` may see its portfolio (404 otherwise); 403 unless it's theirs."""
    upload = db.session.scalar(
        select(UploadSession)
        .join(Apprenticeship, UploadSession.apprenticeship_id == Apprenticeship.id)
        .where(UploadSession.id == str(upload_id)[:32], visible_apprenticeships(user))
    )
    if upload is None:
        raise NotFound("No such upload. It may have finished long ago or been cleaned up.")
    if upload.user_id != user.id or not can_add_evidence(user, upload.apprenticeship):
        raise Forbidden("Only the apprentice who started this upload can continue it.")
    return upload


def get_comment_or_404(user: User, comment_id: int) -> EvidenceComment:
    """A comment on a live item, for the people in its conversation (404 for anyone else)."""
    comment = db.session.scalar(
        select(EvidenceComment)
        .join(Evidence, EvidenceComment.evidence_id == Evidence.id)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .where(
            EvidenceComment.id == comment_id,
            Evidence.deleted_at.is_(None),
            visible_apprenticeships(user),
        )
        .options(joinedload(EvidenceComment.evidence).joinedload(Evidence.apprenticeship))
    )
    if comment is None or not can_see_comments(user, comment.evidence):
        raise NotFound("No such comment, or it is not in a conversation you take part in.")
    return comment
