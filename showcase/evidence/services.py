"""Evidence operations. Each takes the acting user and only flushes; the request commits.

Files and rows: the blob is written first under a fresh write-once key, then the rows are added.
The caller commits inside ``storage.blobs_removed_on_failure`` so a failed commit deletes the
blob; a crash between the two leaves an orphan blob that ``flask storage reconcile`` finds.

Resumable uploads (the protocol is described in ``views``): ``start_upload`` begins a storage
multipart upload and records its session, ``receive_part`` stores each part, ``finish_upload``
joins them, checks the file as ``ingest()`` checks a single-request upload (size, declared
SHA-256, sniffed type, extension, virus scan) and adds the evidence.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.models import AuditEntry
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, NotFound, SubmissionLocked, ValidationFailed
from showcase.evidence.models import (
    Evidence,
    EvidenceKind,
    EvidenceTag,
    StoredFile,
    TagEvent,
    TagStatus,
    UploadSession,
)
from showcase.evidence.permissions import (
    PART_LABELS,
    can_add_evidence,
    can_edit_evidence,
    can_record_kind,
    can_restore_evidence,
    can_review_tag,
    can_tag_evidence,
    has_accepted_tag,
    recordable_kinds,
    staff_part,
)
from showcase.evidence.regions import Region, RegionError, check_region, describe, parse_region
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.storage import MIN_PART_SIZE, Storage, UploadedPart, display_name, new_key, too_large
from showcase.storage.assemble import inspect_stored, scan_stored
from showcase.storage.base import MAX_PART_NUMBER, ReadableStream, read_chunk
from showcase.storage.ingest import IngestedFile, RequestBody, check_digest, ingest
from showcase.storage.scan import Scanner
from showcase.storage_ext import get_scanner

#: The kind an upload gets until the apprentice says otherwise, by sniffed category.
DEFAULT_KIND = {
    "image": EvidenceKind.PHOTO,
    "audio": EvidenceKind.RECORDING,
    "video": EvidenceKind.RECORDING,
}

TITLE_MAX = 200


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
        raise Forbidden(_why_not_editable(actor, evidence))


def _why_not_editable(actor: User, evidence: Evidence) -> str:
    if evidence.recorded_by_id is None:
        return "Only the apprentice can change their evidence."
    if actor.id == evidence.recorded_by_id and has_accepted_tag(evidence):
        return (
            "A tag on this record has been accepted, so it can no longer change. "
            "Record new evidence instead."
        )
    return "Only the member of staff who recorded this evidence can change it."


def _ensure_taggable(actor: User, evidence: Evidence, *also: EvidenceTag) -> None:
    ensure_not_locked(evidence, *also)
    if evidence.deleted_at is not None:
        raise NotFound("This evidence has been deleted.")
    if not can_tag_evidence(actor, evidence):
        raise Forbidden(
            "Only the apprentice can tag their evidence."
            if evidence.recorded_by_id is None
            else "Only the apprentice, or the member of staff who recorded it, tags this record."
        )


def _ensure_kind_allowed(actor: User, apprenticeship: Apprenticeship, kind: EvidenceKind) -> None:
    if not can_record_kind(actor, apprenticeship, kind):
        allowed = ", ".join(k.label.lower() for k in recordable_kinds(actor, apprenticeship))
        raise ValidationFailed(
            f"You can record only these kinds of evidence for this apprentice: {allowed}.",
            field="kind",
        )


def recorded_by_line(evidence: Evidence) -> str | None:
    """The line "Recorded by Tara Singh, tutor, on 3 March 2026" for a staff record, or None."""
    recorder = evidence.recorded_by
    if recorder is None:
        return None
    part = staff_part(recorder, evidence.apprenticeship)
    role = PART_LABELS[part] if part else recorder.role.label.lower()
    return f"Recorded by {recorder.name}, {role}, on {evidence.created_at:%-d %B %Y}"


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
    # Staff record evidence of their own kinds only; a file they upload is the first of them.
    staff_kinds = (
        () if actor.id == apprenticeship.apprentice_id else recordable_kinds(actor, apprenticeship)
    )
    if staff_kinds and details.kind is None:
        details.kind = staff_kinds[0]
    if details.kind is not None:
        _ensure_kind_allowed(actor, apprenticeship, details.kind)
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
        recorded_by_id=actor.id if staff_kinds else None,
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
        **({"recorded_by": actor.id, "kind": evidence.kind.value} if staff_kinds else {}),
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
    if details.kind is not None:
        _ensure_kind_allowed(actor, evidence.apprenticeship, details.kind)
    _apply_details(evidence, details)
    evidence.updated_at = db.utcnow()
    db.session.flush()
    record(actor, "evidence.updated", evidence, apprenticeship_id=evidence.apprenticeship_id)
    return evidence


def delete_evidence(actor: User, evidence: Evidence) -> None:
    """Hide the item from the portfolio; the row records who deleted it and when. The owner can
    restore it for the retention period; then ``purge_evidence_file`` removes its file."""
    _ensure_editable(actor, evidence)
    evidence.deleted_at = db.utcnow()
    evidence.deleted_by_id = actor.id
    for tag in evidence.tags:
        if tag.removed_at is None:
            tag.removed_at = evidence.deleted_at
            _event(tag, actor, "removed", comment=DELETION_COMMENT)
    db.session.flush()
    record(actor, "evidence.deleted", evidence, apprenticeship_id=evidence.apprenticeship_id)


#: The comment on the tag events a deletion writes; a restore revives exactly those tags.
DELETION_COMMENT = "evidence deleted"
#: A portfolio export audited this recently may still be streaming (deleted items' files
#: included), so their files are not purged until it has surely finished.
EXPORT_WINDOW = dt.timedelta(hours=24)


def restore_deadline(evidence: Evidence, retention_days: float) -> dt.datetime | None:
    """Until when a deleted item can be restored; None when it is not deleted."""
    if evidence.deleted_at is None:
        return None
    return evidence.deleted_at + dt.timedelta(days=retention_days)


def recently_deleted(
    apprenticeship: Apprenticeship, retention_days: float, now: dt.datetime
) -> list[Evidence]:
    """Deleted items of the apprenticeship still within the retention period, newest first."""
    cutoff = now - dt.timedelta(days=retention_days)
    return list(
        db.session.scalars(
            select(Evidence)
            .where(
                Evidence.apprenticeship_id == apprenticeship.id,
                Evidence.deleted_at.is_not(None),
                Evidence.deleted_at > cutoff,
            )
            .order_by(Evidence.deleted_at.desc(), Evidence.id.desc())
            .options(selectinload(Evidence.file))
        )
    )


def restore_evidence(
    actor: User, evidence: Evidence, *, retention_days: float, now: dt.datetime
) -> Evidence:
    """Bring back a deleted item within the retention period, with the tags its deletion removed
    (awaiting the tutor again, as any re-tag does)."""
    ensure_not_locked(evidence)
    if not can_restore_evidence(actor, evidence):
        raise Forbidden(
            "Only the apprentice can restore their evidence."
            if evidence.recorded_by_id is None
            else "Only the member of staff who recorded this evidence can restore it."
        )
    deadline = restore_deadline(evidence, retention_days)
    if deadline is None:
        raise Conflict("This evidence is not deleted.")
    if now >= deadline or (evidence.file_id is None and _was_purged(evidence)):
        raise Conflict(
            f"This evidence was deleted more than {retention_days:g} days ago and can no longer "
            "be restored. Add it again as new evidence."
        )
    evidence.deleted_at = None
    evidence.deleted_by_id = None
    evidence.updated_at = now
    for tag in evidence.tags:
        last = tag.events[-1] if tag.events else None
        if (
            tag.removed_at is not None
            and last is not None
            and last.action == "removed"
            and last.comment == DELETION_COMMENT
        ):
            tag.removed_at = None
            tag.status = TagStatus.PENDING
            tag.review_comment = None
            _event(tag, actor, "restored", comment="evidence restored")
    db.session.flush()
    record(actor, "evidence.restored", evidence, apprenticeship_id=evidence.apprenticeship_id)
    return evidence


def _was_purged(evidence: Evidence) -> bool:
    return (
        db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.action == "evidence.file_purged",
                AuditEntry.object_type == "Evidence",
                AuditEntry.object_id == evidence.id,
            )
            .limit(1)
        )
        is not None
    )


@dataclass(frozen=True)
class PurgedFile:
    """A blob whose row a purge removed: delete it from storage once that change commits."""

    evidence_id: int
    key: str
    size: int


def purge_candidates(cutoff: dt.datetime) -> list[int]:
    """Ids of items deleted before ``cutoff`` that still have a file, oldest first."""
    return list(
        db.session.scalars(
            select(Evidence.id)
            .where(
                Evidence.deleted_at.is_not(None),
                Evidence.deleted_at < cutoff,
                Evidence.file_id.is_not(None),
            )
            .order_by(Evidence.deleted_at, Evidence.id)
        )
    )


def purge_blocker(evidence: Evidence, cutoff: dt.datetime, now: dt.datetime) -> str | None:
    """Why the item's file must not be purged now, or None when it may be."""
    if evidence.deleted_at is None or evidence.deleted_at >= cutoff:
        return "not deleted long enough"  # restored, or deleted again, since it was chosen
    stored = evidence.file
    if stored is None:
        return "no file (already purged)"
    if evidence.is_locked:
        return "locked: part of a submitted showcase or a signed progress review"
    if stored.key.startswith("frozen/"):
        return "the file is a frozen copy"
    shared = db.session.scalar(
        select(Evidence.id)
        .where(Evidence.file_id == stored.id, Evidence.id != evidence.id)
        .limit(1)
    ) or db.session.scalar(
        select(StoredFile.id).where(StoredFile.key == stored.key, StoredFile.id != stored.id)
    )
    if shared is not None:
        return "the file is referenced by another row"
    exporting = db.session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.action == "export.portfolio",
            AuditEntry.apprenticeship_id == evidence.apprenticeship_id,
            AuditEntry.at > now - EXPORT_WINDOW,
        )
        .limit(1)
    )
    if exporting is not None:
        return "a portfolio export of this apprenticeship may be in progress"
    return None


def purge_evidence_file(
    evidence_id: int, *, retention_days: float, now: dt.datetime
) -> PurgedFile | None:
    """Drop the file row of one item deleted longer than the retention period and record it in
    the item's history (flushes). The caller commits, then deletes the returned blob: a crash in
    between leaves an orphan blob for ``storage reconcile``, never a row pointing at nothing.
    None, changing nothing, when the item is not (or no longer) purgeable."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        return None
    db.lock_for_change(evidence)  # a restore committed meanwhile is seen; a later one waits
    cutoff = now - dt.timedelta(days=retention_days)
    if purge_blocker(evidence, cutoff, now) is not None:
        return None
    stored = evidence.file
    assert stored is not None  # purge_blocker checked
    purged = PurgedFile(evidence.id, stored.key, stored.size)
    evidence.file = None
    db.session.flush()
    db.session.delete(stored)
    db.session.flush()
    record(
        None,
        "evidence.file_purged",
        evidence,
        apprenticeship_id=evidence.apprenticeship_id,
        key=stored.key,
        size=stored.size,
        sha256=stored.sha256,
        filename=stored.display_name,
        deleted_at=evidence.deleted_at,
        retention_days=retention_days,
    )
    return purged


def deleted_only_files() -> tuple[int, int]:
    """Files kept only by deleted items: (how many, their bytes)."""
    count, size = db.session.execute(
        select(func.count(StoredFile.id), func.coalesce(func.sum(StoredFile.size), 0))
        .join(Evidence, Evidence.file_id == StoredFile.id)
        .where(Evidence.deleted_at.is_not(None))
    ).one()
    return int(count), int(size)


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
        **({"region": describe(tag.region)} if tag.region else {}),
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


def _region(evidence: Evidence, text: str | None) -> Region | None:
    """The typed region, checked against the item's file (ValidationFailed on the field)."""
    try:
        region = parse_region(text or "")
        if region is not None:
            check_region(evidence, region)
    except RegionError as error:
        raise ValidationFailed(str(error), field="region") from None
    return region


def _set_region(tag: EvidenceTag, region: Region | None) -> None:
    tag.region_kind = region.kind if region else None
    tag.region_start = region.start if region else None
    tag.region_end = region.end if region else None


def tag_evidence(
    actor: User,
    evidence: Evidence,
    *,
    ref: str,
    justification: str,
    region: str = "",
    suggestion_rank: int | None = None,
    suggestion_ranker: str | None = None,
) -> EvidenceTag:
    """Tag the item to a unit of the apprentice's standard, saying how it shows it; ``region``
    ("1:05-2:30", "p. 3") points at the part of the file that shows it."""
    _ensure_taggable(actor, evidence)
    justification = (justification or "").strip()
    if len(justification) < 10:
        raise ValidationFailed(
            "Say in a sentence or two how this evidence shows the criterion.",
            field="justification",
        )
    reference = _unit(evidence.apprenticeship, ref)
    part = _region(evidence, region)
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
    _set_region(tag, part)
    # Whether the unit was picked from the suggestions, and where it stood (None: chosen freely).
    tag.suggestion_rank = suggestion_rank
    tag.suggestion_ranker = suggestion_ranker if suggestion_rank else None
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


def edit_tag(
    actor: User, tag: EvidenceTag, *, justification: str, region: str | None = None
) -> EvidenceTag:
    """Reword the justification (and, given ``region``, change or clear the part of the file
    it points at); the tag goes back to the tutor."""
    _ensure_taggable(actor, tag.evidence, tag)
    _ensure_live(tag)
    justification = (justification or "").strip()
    if len(justification) < 10:
        raise ValidationFailed(
            "Say in a sentence or two how this evidence shows the criterion.",
            field="justification",
        )
    if region is not None:
        _set_region(tag, _region(tag.evidence, region))
    tag.justification = justification
    tag.status = TagStatus.PENDING
    _event(tag, actor, "edited", justification=justification)
    db.session.flush()
    return tag


def remove_tag(actor: User, tag: EvidenceTag) -> None:
    """Withdraw the tag (its row and history stay); removing a removed tag changes nothing."""
    _ensure_taggable(actor, tag.evidence, tag)
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


#: Items on one page of the evidence list (the page and the API).
EVIDENCE_PAGE_SIZE = 25


@dataclass(frozen=True)
class EvidencePage:
    items: list[Evidence]
    #: How many items match the filters in all.
    total: int
    #: Where the next page starts (pass as ``after``); None on the last page.
    next: str | None


def _cursor(item: Evidence) -> str:
    return f"{item.activity_date.isoformat()}.{item.id}"


def _after(cursor: str | None) -> tuple[dt.date, int] | None:
    if not cursor:
        return None
    day, _, ident = cursor.partition(".")
    try:
        return dt.date.fromisoformat(day), int(ident)
    except ValueError:
        raise ValidationFailed(
            "That page link is not valid; start again from the first page.", field="after"
        ) from None


def evidence_page(
    apprenticeship: Apprenticeship,
    filters: EvidenceFilter,
    *,
    after: str | None = None,
    limit: int = EVIDENCE_PAGE_SIZE,
) -> EvidencePage:
    """One page of the list in its order (newest activity first, then newest item): a keyset
    page, so page 40 costs what page 1 costs, and an item added meanwhile never shifts it."""
    stmt = evidence_query(apprenticeship, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    position = _after(after)
    if position is not None:
        day, ident = position
        stmt = stmt.where(
            or_(
                Evidence.activity_date < day,
                (Evidence.activity_date == day) & (Evidence.id < ident),
            )
        )
    items = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(items) > limit
    items = items[:limit]
    return EvidencePage(items, total or 0, _cursor(items[-1]) if more and items else None)


# -- resumable uploads ---------------------------------------------------------------------


class OffsetMismatch(Conflict):
    """The client sent a part for an offset other than the one the server is at."""

    code = "offset_mismatch"

    def __init__(self, expected: int) -> None:
        super().__init__(
            f"This upload has {expected} bytes so far; send the part that starts there."
        )
        self.offset = expected


def part_size_for(size: int, configured: int) -> int:
    """The part size for an upload: at least S3's minimum, and few enough parts for S3."""
    part_size = max(int(configured), MIN_PART_SIZE)
    while -(-size // part_size) > MAX_PART_NUMBER:
        part_size *= 2
    return part_size


def check_new_upload(
    actor: User, apprenticeship: Apprenticeship, filename: str, size: int, max_bytes: int
) -> str:
    """Whether ``actor`` may start an upload of this file here; its display name if so."""
    if not can_add_evidence(actor, apprenticeship):
        raise Forbidden("Only the apprentice can add evidence to their portfolio.")
    name = display_name(filename or "")
    if not name:
        raise ValidationFailed("Give the file's name.", field="filename")
    if size <= 0:
        raise ValidationFailed(
            "The file is empty. Check the file on your device and upload it again.", field="size"
        )
    if size > max_bytes:
        raise too_large(max_bytes)
    return name


def start_upload(
    actor: User,
    apprenticeship: Apprenticeship,
    *,
    storage: Storage,
    filename: str,
    size: int,
    max_bytes: int,
    part_size: int,
    sha256: str | None = None,
    direct: bool = False,
) -> UploadSession:
    """Begin a multipart upload in storage and record the session (and an audit entry).

    ``sha256`` (hex) is the digest the client declared for the whole file, if it did.
    ``direct``: the client sends the parts to storage itself (``showcase.evidence.direct``):
    the upload goes to a quarantine key, with each part's checksum required by storage.
    """
    name = check_new_upload(actor, apprenticeship, filename, size, max_bytes)
    key = new_key("quarantine" if direct else "evidence")
    upload = UploadSession(
        id=secrets.token_hex(16),
        apprenticeship=apprenticeship,
        user_id=actor.id,
        filename=name,
        size=size,
        part_size=part_size_for(size, part_size),
        storage_key=key,
        storage_upload_id=storage.begin_multipart(key, checksums=direct),
        parts=[],
        bytes_received=0,
        sha256=sha256,
        direct=direct,
        state="uploading",
    )
    db.session.add(upload)
    db.session.flush()
    # The session's id is a string; the entry's object is the portfolio the file is going to.
    record(
        actor,
        "upload.started",
        apprenticeship,
        apprenticeship_id=apprenticeship.id,
        upload_id=upload.id,
        filename=name,
        size=size,
        sha256=sha256,
        **({"direct": True} if direct else {}),
    )
    return upload


class _ExactReader:
    """Reads exactly ``length`` bytes from the request body; more is 413, fewer is 400.

    Fewer: the body ended before the part's declared size, which (with a Content-Length that
    matched it) can only mean the client went away; without one (chunked), it sent too little.
    Either way the part is not kept.
    """

    def __init__(self, stream: RequestBody, length: int, max_bytes: int) -> None:
        self.stream = stream
        self.remaining = length
        self.max_bytes = max_bytes

    def read(self, size: int = -1, /) -> bytes:
        # Ask for one byte past the part so an oversize part is noticed without reading on.
        want = self.remaining + 1 if size < 0 else min(size, self.remaining + 1)
        chunk = read_chunk(self.stream, want) if want else b""
        if not chunk and want and self.remaining:
            raise self.stream.incomplete()
        if len(chunk) > self.remaining:
            raise too_large(self.max_bytes, part=True)
        self.remaining -= len(chunk)
        return chunk


def receive_part(
    upload: UploadSession,
    *,
    storage: Storage,
    offset: int | None,
    stream: ReadableStream,
    content_length: int | None,
    max_bytes: int,
) -> UploadSession:
    """Store the part that starts at ``offset`` and advance the session (flushes)."""
    if upload.is_complete:
        raise Conflict("This upload has already finished.")
    if offset is None:
        raise ValidationFailed("Send the Upload-Offset header with each part.", field="offset")
    if offset != upload.bytes_received:
        raise OffsetMismatch(upload.bytes_received)
    length = min(upload.part_size, upload.size - offset)
    # Enforce the size cap on every part, whatever the client announced at the start.
    if offset + length > max_bytes or (content_length is not None and content_length > length):
        raise too_large(max_bytes, part=True)
    if content_length is not None and content_length < length:
        raise ValidationFailed(
            f"Each part must be {length} bytes here; {content_length} were sent.", field="file"
        )
    number = offset // upload.part_size + 1
    part = storage.put_part(
        upload.storage_upload_id,
        upload.storage_key,
        number,
        _ExactReader(RequestBody(stream, length=content_length), length, max_bytes),
    )
    if part.size != length:
        # The connection ended early; the short part is replaced when the client retries.
        raise ValidationFailed(
            f"Only {part.size} of this part's {length} bytes arrived. Send the part again.",
            field="file",
        )
    parts = [p for p in upload.parts if p[0] != number] + [[number, part.etag, part.size]]
    # Compare-and-set on the offset: two retries of the same part racing each other must not
    # both advance it, and the session row is not locked while the part streams in.
    result = db.session.execute(
        update(UploadSession)
        .where(UploadSession.id == upload.id, UploadSession.bytes_received == offset)
        .values(bytes_received=offset + length, parts=parts, updated_at=db.utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(upload)
        raise OffsetMismatch(upload.bytes_received)
    db.session.refresh(upload)
    return upload


def finish_upload(
    actor: User, upload: UploadSession, *, storage: Storage, max_bytes: int, written: list[str]
) -> Evidence:
    """Join the parts, check the file as ingest() would, and add the evidence (flushes)."""
    parts = [UploadedPart(number, etag, size) for number, etag, size in upload.parts]
    storage.complete_multipart(upload.storage_upload_id, upload.storage_key, parts)
    written.append(upload.storage_key)
    ingested = inspect_stored(
        storage, upload.storage_key, filename=upload.filename, max_bytes=max_bytes
    )
    if ingested.size != upload.size:
        raise ValidationFailed(
            f"The file arrived with {ingested.size} bytes, not the {upload.size} announced. "
            "Upload it again.",
            field="file",
        )
    check_digest(ingested.sha256, bytes.fromhex(upload.sha256) if upload.sha256 else None)
    item = add_evidence(
        actor,
        upload.apprenticeship,
        storage=storage,
        stream=None,
        filename=None,
        max_bytes=max_bytes,
        ingested=ingested,
    )
    upload.evidence_id = item.id
    upload.completed_at = db.utcnow()
    db.session.flush()
    return item


def discard_upload(upload: UploadSession, *, storage: Storage) -> None:
    """Abort the storage upload and delete the session row (flushes)."""
    storage.abort_multipart(upload.storage_upload_id, upload.storage_key)
    db.session.delete(upload)
    db.session.flush()


def abandoned_uploads(max_age_hours: float) -> list[UploadSession]:
    """Sessions untouched for longer than ``max_age_hours`` (finished ones too: bookkeeping)."""
    cutoff = db.utcnow() - dt.timedelta(hours=max_age_hours)
    return list(db.session.scalars(select(UploadSession).where(UploadSession.updated_at < cutoff)))
