"""Evidence operations. Each takes the acting user and only flushes; views commit.

Files and rows: the blob is written first under a fresh write-once key, then the rows are added.
The caller commits inside ``blobs_removed_on_failure`` so a failed commit deletes the blob; a
crash between the two leaves an orphan blob that ``flask storage reconcile`` finds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, NotFound, SubmissionLocked, ValidationFailed
from showcase.evidence.models import (
    Evidence,
    EvidenceKind,
    EvidenceTag,
    StoredFile,
    TagEvent,
    TagStatus,
)
from showcase.evidence.permissions import (
    can_add_evidence,
    can_edit_evidence,
    can_review_tag,
)
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.storage import Storage
from showcase.storage.assemble import scan_stored
from showcase.storage.ingest import IngestedFile, ingest
from showcase.storage.scan import Scanner
from showcase.storage_ext import get_scanner

#: The kind an upload gets until the apprentice says otherwise, by sniffed category.
DEFAULT_KIND = {
    "image": EvidenceKind.PHOTO,
    "audio": EvidenceKind.RECORDING,
    "video": EvidenceKind.RECORDING,
}

TITLE_MAX = 200


def new_key(prefix: str = "evidence") -> str:
    """A fresh storage key: date-partitioned, random, never derived from user input."""
    today = dt.datetime.now(dt.UTC)
    return f"{prefix}/{today:%Y/%m}/{uuid.uuid4().hex}"


@contextmanager
def blobs_removed_on_failure(storage: Storage) -> Iterator[list[str]]:
    """Collect keys written in the block; delete them all if the block raises."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for key in written:
            storage.delete(key)
        raise


def ensure_not_locked(evidence: Evidence, *also: EvidenceTag) -> None:
    """Refuse changes to locked evidence. Every change passes here first, so this is where it
    takes the item's row lock (held to commit) and re-reads it: a gateway lock or signed review
    committed meanwhile is seen, and one that starts later waits for this change. ``also``: the
    item's tags the caller goes on to check, locked and re-read with it (a tag loaded before
    the lock may have been removed, restored or reviewed since)."""
    db.lock_for_change(evidence, *also)
    if evidence.is_locked:
        raise SubmissionLocked(
            "This evidence is locked — it is part of a submitted showcase or a signed progress "
            "review — and can no longer change. Add new evidence instead."
        )


def _ensure_editable(actor: User, evidence: Evidence, *also: EvidenceTag) -> None:
    ensure_not_locked(evidence, *also)
    if evidence.deleted_at is not None:
        raise NotFound("This evidence has been deleted.")
    if not can_edit_evidence(actor, evidence):
        raise Forbidden("Only the apprentice can change their evidence.")


@dataclass
class EvidenceDetails:
    """What a person says about an evidence item."""

    title: str | None = None
    kind: EvidenceKind | None = None
    activity_date: dt.date | None = None
    description: str | None = None
    witness_name: str | None = None
    witness_role: str | None = None
    witness_relationship: str | None = None
    witness_contact: str | None = None


def _apply_details(evidence: Evidence, details: EvidenceDetails) -> None:
    for name, value in vars(details).items():
        if value is None:
            continue
        if type(value) is str:  # not StrEnum members, which are str too
            value = value.strip()
        setattr(evidence, name, value)
    if not evidence.title:
        raise ValidationFailed("Give the evidence a title.", field="title")
    if len(evidence.title) > TITLE_MAX:
        raise ValidationFailed(f"Keep the title under {TITLE_MAX} characters.", field="title")
    if evidence.activity_date > dt.date.today():
        raise ValidationFailed("The activity date cannot be in the future.", field="activity_date")
    if evidence.kind is EvidenceKind.WITNESS_STATEMENT and not (
        evidence.witness_name and evidence.witness_relationship
    ):
        raise ValidationFailed(
            "A witness statement needs the witness's name and their relationship to you.",
            field="witness_name",
        )


def add_evidence(
    actor: User,
    apprenticeship: Apprenticeship,
    *,
    storage: Storage,
    stream: object | None,
    filename: str | None,
    max_bytes: int,
    details: EvidenceDetails | None = None,
    written: list[str] | None = None,
    ingested: IngestedFile | None = None,
    scanner: Scanner | None = None,
) -> Evidence:
    """Store an upload (if any) and add an evidence item describing it.

    ``ingested`` describes a file already stored and checked (a finished resumable upload).
    Every file is virus-scanned (``scanner``, by default the app's) before any row is added:
    an upload before it is stored, an ``ingested`` file where it lies.
    """
    if not can_add_evidence(actor, apprenticeship):
        raise Forbidden("Only the apprentice can add evidence to their portfolio.")
    details = details or EvidenceDetails()
    stored: StoredFile | None = None
    if stream is not None:
        key = new_key()
        ingested = ingest(
            stream,
            filename=filename or "upload",
            storage=storage,
            key=key,
            max_bytes=max_bytes,
            scanner=get_scanner() if scanner is None else scanner,
        )
        if written is not None:
            written.append(key)
    elif ingested is not None:
        scan_stored(storage, ingested.key, get_scanner() if scanner is None else scanner)
    if ingested is not None:
        stored = _stored_file(actor, ingested)
        if details.title is None:
            details.title = ingested.display_name.rsplit(".", 1)[0][:TITLE_MAX] or "Untitled"
        if details.kind is None:
            details.kind = DEFAULT_KIND.get(ingested.file_type.category, EvidenceKind.OTHER)
    elif not details.description:
        raise ValidationFailed(
            "Add a file, or write the evidence in the description (a reflective account, say).",
            field="description",
        )
    evidence = Evidence(
        apprenticeship=apprenticeship,
        file=stored,
        title="",
        kind=details.kind or EvidenceKind.REFLECTIVE_ACCOUNT,
        activity_date=details.activity_date or dt.date.today(),
        description="",
        created_by_id=actor.id,
    )
    _apply_details(evidence, details)
    db.session.add(evidence)
    db.session.flush()
    record(
        actor,
        "evidence.added",
        evidence,
        apprenticeship_id=apprenticeship.id,
        sha256=stored.sha256 if stored else None,
        size=stored.size if stored else None,
    )
    return evidence


def _stored_file(actor: User, ingested: IngestedFile) -> StoredFile:
    stored = StoredFile(
        key=ingested.key,
        size=ingested.size,
        sha256=ingested.sha256,
        mime_type=ingested.mime_type,
        display_name=ingested.display_name,
        uploaded_by_id=actor.id,
    )
    db.session.add(stored)
    return stored


def update_evidence(actor: User, evidence: Evidence, details: EvidenceDetails) -> Evidence:
    """Change what the apprentice says about their evidence."""
    _ensure_editable(actor, evidence)
    _apply_details(evidence, details)
    evidence.updated_at = db.utcnow()
    db.session.flush()
    record(actor, "evidence.updated", evidence, apprenticeship_id=evidence.apprenticeship_id)
    return evidence


def delete_evidence(actor: User, evidence: Evidence) -> None:
    """Hide the item from the portfolio; the row records who deleted it and when."""
    _ensure_editable(actor, evidence)
    evidence.deleted_at = db.utcnow()
    evidence.deleted_by_id = actor.id
    for tag in evidence.tags:
        if tag.removed_at is None:
            tag.removed_at = evidence.deleted_at
            _event(tag, actor, "removed", comment="evidence deleted")
    db.session.flush()
    record(actor, "evidence.deleted", evidence, apprenticeship_id=evidence.apprenticeship_id)


def _event(tag: EvidenceTag, actor: User, action: str, **values: str | None) -> None:
    db.session.add(TagEvent(tag=tag, actor_id=actor.id, action=action, **values))
    db.session.flush()
    record(
        actor,
        f"tag.{action}",
        tag,
        apprenticeship_id=tag.evidence.apprenticeship_id,
        evidence_id=tag.evidence.id,
        ref=tag.reference.ref,
        comment=values.get("comment"),
    )


def _unit(apprenticeship: Apprenticeship, ref: str) -> StandardReference:
    reference = db.session.scalar(
        select(StandardReference).where(
            StandardReference.standard_id == apprenticeship.standard_id,
            StandardReference.ref == ref,
            StandardReference.kind == ReferenceKind.UNIT,
        )
    )
    if reference is None:
        raise ValidationFailed(
            f"{ref} is not a criterion of {apprenticeship.standard.key}.", field="reference"
        )
    return reference


def tag_evidence(actor: User, evidence: Evidence, *, ref: str, justification: str) -> EvidenceTag:
    """Tag the item to a unit of the apprentice's standard, saying how it shows it."""
    _ensure_editable(actor, evidence)
    justification = (justification or "").strip()
    if len(justification) < 10:
        raise ValidationFailed(
            "Say in a sentence or two how this evidence shows the criterion.",
            field="justification",
        )
    reference = _unit(evidence.apprenticeship, ref)
    # Read under the item's lock, and overwrite a copy loaded before it (the page loads every
    # tag of the item): whether it is live decides between "already tagged" and a restore.
    tag = db.session.scalar(
        select(EvidenceTag)
        .where(EvidenceTag.evidence_id == evidence.id, EvidenceTag.reference_id == reference.id)
        .execution_options(populate_existing=True)
    )
    if tag is not None and tag.removed_at is None:
        raise ValidationFailed(f"This evidence is already tagged to {ref}.", field="reference")
    if tag is None:
        tag = EvidenceTag(evidence=evidence, reference=reference, justification=justification)
        db.session.add(tag)
        action = "created"
    else:
        tag.removed_at = None
        tag.justification = justification
        action = "restored"
    tag.status = TagStatus.PENDING
    tag.review_comment = None
    _event(tag, actor, action, justification=justification)
    db.session.flush()
    return tag


def _ensure_live(tag: EvidenceTag) -> None:
    # Called after ensure_not_locked(evidence, tag) re-read the tag under the item's lock.
    if tag.removed_at is not None:
        raise Conflict(
            f"This tag to {tag.reference.ref} has been removed, so it can no longer be edited "
            "or reviewed. Reload the evidence to see its current tags."
        )


def edit_tag(actor: User, tag: EvidenceTag, *, justification: str) -> EvidenceTag:
    """Reword the justification; the tag goes back to the tutor."""
    _ensure_editable(actor, tag.evidence, tag)
    _ensure_live(tag)
    justification = (justification or "").strip()
    if len(justification) < 10:
        raise ValidationFailed(
            "Say in a sentence or two how this evidence shows the criterion.",
            field="justification",
        )
    tag.justification = justification
    tag.status = TagStatus.PENDING
    _event(tag, actor, "edited", justification=justification)
    db.session.flush()
    return tag


def remove_tag(actor: User, tag: EvidenceTag) -> None:
    """Withdraw the tag (its row and history stay); removing a removed tag changes nothing."""
    _ensure_editable(actor, tag.evidence, tag)
    if tag.removed_at is None:
        tag.removed_at = db.utcnow()
        _event(tag, actor, "removed")
        db.session.flush()


def review_tag(actor: User, tag: EvidenceTag, *, accept: bool, comment: str = "") -> EvidenceTag:
    """The tutor accepts a tag, or sends it back with a comment saying what is missing."""
    ensure_not_locked(tag.evidence, tag)
    _ensure_live(tag)
    if not can_review_tag(actor, tag):
        raise Forbidden("Only the apprentice's tutor reviews their tags.")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ValidationFailed(
            "Say what is missing so the apprentice can improve the evidence.", field="comment"
        )
    tag.status = TagStatus.ACCEPTED if accept else TagStatus.SENT_BACK
    tag.review_comment = comment or None
    tag.reviewed_by_id = actor.id
    tag.reviewed_at = db.utcnow()
    _event(tag, actor, "accepted" if accept else "sent_back", comment=comment or None)
    db.session.flush()
    return tag


@dataclass
class EvidenceFilter:
    ref: str | None = None
    kind: EvidenceKind | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    text: str | None = None
    status: TagStatus | None = None


def evidence_query(apprenticeship: Apprenticeship, filters: EvidenceFilter) -> Select:
    """Live (not deleted) evidence of an apprenticeship, filtered, newest activity first."""
    stmt = (
        select(Evidence)
        .where(Evidence.apprenticeship_id == apprenticeship.id, Evidence.deleted_at.is_(None))
        .options(
            selectinload(Evidence.file),
            selectinload(Evidence.tags).selectinload(EvidenceTag.reference),
        )
        .order_by(Evidence.activity_date.desc(), Evidence.id.desc())
    )
    if filters.kind:
        stmt = stmt.where(Evidence.kind == filters.kind)
    if filters.since:
        stmt = stmt.where(Evidence.activity_date >= filters.since)
    if filters.until:
        stmt = stmt.where(Evidence.activity_date <= filters.until)
    if filters.text:
        like = f"%{filters.text.strip()}%"
        stmt = stmt.where(or_(Evidence.title.ilike(like), Evidence.description.ilike(like)))
    if filters.ref or filters.status:
        tagged = select(EvidenceTag.evidence_id).where(EvidenceTag.removed_at.is_(None))
        if filters.ref:
            tagged = tagged.join(StandardReference).where(StandardReference.ref == filters.ref)
        if filters.status:
            tagged = tagged.where(EvidenceTag.status == filters.status)
        stmt = stmt.where(Evidence.id.in_(tagged))
    return stmt


def list_evidence(apprenticeship: Apprenticeship, filters: EvidenceFilter) -> list[Evidence]:
    return list(db.session.scalars(evidence_query(apprenticeship, filters)))
