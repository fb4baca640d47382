"""Direct uploads: with S3 storage, a large file's bytes go from the client straight to S3.

The app never handles the parts. It starts an S3 multipart upload (with SHA-256 checksums) under
a ``quarantine/`` key, hands the client one presigned URL per part — the part's SHA-256, which
the client computes and sends first, is part of the signature, so S3 refuses a corrupt part —
tells a client that lost its connection which parts S3 already holds, and joins the parts when
the client says it is done. Then a job (``promote``) reads the joined file from S3 once, into
staging, through SHA-256 (the whole file's, and each part's against what the client declared),
the content check and the malware scan, and only then copies it, inside S3, to its final key,
adds the evidence item and deletes the quarantined copy. A refused file is deleted and the
session says why; nothing of it stays in quarantine. Until the job has run there is no evidence
item, so nobody can open the file; the session's state is "checking".

The job is idempotent: run again (a worker killed between the upload and the promotion, a
retry), it finds the session stored or refused and does nothing, or does the same work again
from the same quarantined object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from showcase import db, jobs
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Conflict, ShowcaseError, ValidationFailed
from showcase.evidence.models import UploadSession
from showcase.evidence.services import add_evidence, check_new_upload, start_upload
from showcase.portfolios.models import Apprenticeship
from showcase.storage import Storage, UploadedPart, new_key, too_large
from showcase.storage.ingest import IngestedFile, check_digest, name_for_content
from showcase.storage.sniff import sniff
from showcase.storage_ext import get_scanner, get_storage

log = logging.getLogger(__name__)

#: How long a presigned part URL stays valid.
PART_URL_SECONDS = 3600
READ_CHUNK = 1024 * 1024


def offered(storage: Storage) -> bool:
    """Whether this server offers direct uploads (S3 storage, and not turned off)."""
    return storage.direct_uploads and bool(current_app.config.get("DIRECT_UPLOADS", True))


def start(
    actor: User,
    apprenticeship: Apprenticeship,
    *,
    storage: Storage,
    filename: str,
    size: int,
    max_bytes: int,
    part_size: int,
    sha256: str | None = None,
) -> UploadSession:
    """Begin a direct upload into quarantine (flushes; audited like any upload)."""
    # Who may, and whether the file may, come first: 403 and 413 before "not on this server".
    check_new_upload(actor, apprenticeship, filename, size, max_bytes)
    if not offered(storage):
        raise Conflict(
            "This server keeps files on its own disk, so files can't be sent to storage "
            "directly. Use the resumable upload (POST …/uploads) instead."
        )
    return start_upload(
        actor,
        apprenticeship,
        storage=storage,
        filename=filename,
        size=size,
        max_bytes=max_bytes,
        part_size=part_size,
        sha256=sha256,
        direct=True,
    )


def part_count(upload: UploadSession) -> int:
    return -(-upload.size // upload.part_size)


def part_length(upload: UploadSession, number: int) -> int:
    return min(upload.part_size, upload.size - (number - 1) * upload.part_size)


def _checksum(value: Any) -> str:
    """A base64 SHA-256 as S3 wants it (44 characters, 32 bytes)."""
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValidationFailed(
            "Send the part's SHA-256 as base64 (44 characters), as in x-amz-checksum-sha256.",
            field="sha256",
        )
    return base64.b64encode(raw).decode()


def presign_part(
    upload: UploadSession, number: int, sha256_b64: Any, *, storage: Storage
) -> dict[str, Any]:
    """Where and how to send part ``number``; its declared checksum is kept for the check."""
    _still_uploading(upload)
    if not 1 <= number <= part_count(upload):
        raise ValidationFailed(
            f"This upload has parts 1 to {part_count(upload)}; there is no part {number}.",
            field="part",
        )
    checksum = _checksum(sha256_b64)
    url = storage.presign_part(
        upload.storage_upload_id, upload.storage_key, number, checksum, PART_URL_SECONDS
    )
    declared = [p for p in upload.parts if p[0] != number] + [[number, checksum]]
    upload.parts = sorted(declared)
    upload.updated_at = db.utcnow()
    db.session.flush()
    return {
        "part": number,
        "url": url,
        "method": "PUT",
        "length": part_length(upload, number),
        "headers": {"x-amz-checksum-sha256": checksum},
        "expires_in": PART_URL_SECONDS,
    }


def _still_uploading(upload: UploadSession) -> None:
    if upload.state != "uploading":
        raise Conflict(f"This upload is no longer taking parts: it is {upload.state}.")


def held_parts(upload: UploadSession, storage: Storage) -> list[UploadedPart]:
    """The parts S3 holds for the upload (what a client that lost its connection resumes from)."""
    if upload.state != "uploading":
        return []
    return storage.list_parts(upload.storage_upload_id, upload.storage_key)


def complete(upload: UploadSession, *, storage: Storage) -> UploadSession:
    """Join the parts in quarantine and queue the check (flushes; the job runs after commit)."""
    _still_uploading(upload)
    declared = dict((number, checksum) for number, checksum in upload.parts)
    held = {
        p.part_number: p for p in storage.list_parts(upload.storage_upload_id, upload.storage_key)
    }
    missing = [n for n in range(1, part_count(upload) + 1) if n not in held]
    if missing:
        raise Conflict(
            f"Parts {', '.join(map(str, missing[:10]))} have not arrived yet; send them first."
        )
    wrong = [n for n, part in held.items() if part.size != part_length(upload, n)]
    if wrong:
        raise ValidationFailed(
            f"Part {wrong[0]} has {held[wrong[0]].size} bytes, not {part_length(upload, wrong[0])}."
            " Send it again.",
            field="file",
        )
    storage.complete_multipart(
        upload.storage_upload_id,
        upload.storage_key,
        [UploadedPart(n, p.etag, p.size, declared.get(n)) for n, p in sorted(held.items())],
    )
    upload.bytes_received = upload.size
    upload.state = "checking"
    upload.updated_at = db.utcnow()
    db.session.flush()
    jobs.enqueue(promote, upload.id, job_id=f"promote-{upload.id}")
    return upload


class _Refused(ShowcaseError):
    status_code = 422
    code = "upload_refused"


def _stage(storage: Storage, upload: UploadSession) -> tuple[Path, int, str, list[str]]:
    """Read the quarantined file once into staging: (path, size, sha256 hex, part digests)."""
    whole = hashlib.sha256()
    parts: list[str] = []
    part, left = hashlib.sha256(), upload.part_size
    size = 0
    fd, name = tempfile.mkstemp(dir=storage.staging_dir(), prefix="direct-", suffix=".tmp")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, storage.open(upload.storage_key) as source:
            while chunk := source.read(READ_CHUNK):
                size += len(chunk)
                whole.update(chunk)
                out.write(chunk)
                view = memoryview(chunk)
                while view:
                    take = view[:left]
                    part.update(take)
                    left -= len(take)
                    view = view[len(take) :]
                    if left == 0:
                        parts.append(base64.b64encode(part.digest()).decode())
                        part, left = hashlib.sha256(), upload.part_size
        if left != upload.part_size:
            parts.append(base64.b64encode(part.digest()).decode())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, whole.hexdigest(), parts


def _check(upload: UploadSession, storage: Storage, max_bytes: int) -> IngestedFile:
    path, size, sha256, parts = _stage(storage, upload)
    try:
        if size != upload.size:
            raise _Refused(f"The file arrived with {size} bytes, not the {upload.size} announced.")
        if size > max_bytes:
            raise too_large(max_bytes)
        for number, checksum in upload.parts:
            if number <= len(parts) and parts[number - 1] != checksum:
                raise _Refused(
                    f"Part {number} arrived damaged: its SHA-256 is not the one sent with it."
                )
        check_digest(sha256, bytes.fromhex(upload.sha256) if upload.sha256 else None)
        ftype = sniff(path)
        name, extension = name_for_content(upload.filename, ftype)
        with path.open("rb") as staged:
            get_scanner().scan(staged)
    finally:
        path.unlink(missing_ok=True)
    return IngestedFile(
        key=new_key(),
        size=size,
        sha256=sha256,
        mime_type=ftype.mime,
        extension=extension,
        display_name=name,
    )


def promote(upload_id: str) -> str:
    """The job: check a joined direct upload, then store it as evidence or refuse it.

    Returns the session's final state. Safe to run again at any point."""
    upload = db.session.get(UploadSession, upload_id)
    if upload is None or upload.state != "checking":
        return upload.state if upload is not None else "gone"
    storage = get_storage()
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    try:
        ingested = _check(upload, storage, max_bytes)
    except ShowcaseError as refusal:
        if refusal.status_code >= 500:
            raise  # scanner or storage down: the job is retried, the file stays quarantined
        return _refuse(upload, storage, refusal.message)
    actor = db.session.get(User, upload.user_id)
    # Copy, commit, then delete the quarantined object: a crash before the commit leaves the
    # quarantined file for the job's next run (and at worst an orphan copy that ``storage
    # reconcile`` reports); a crash after it leaves a stored upload that the next run skips.
    final = storage.copy_to(upload.storage_key, ingested.key)
    try:
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
        upload.state = "stored"
        upload.completed_at = db.utcnow()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        with suppress(ShowcaseError):
            storage.delete(final.key)
        raise
    with suppress(ShowcaseError):
        storage.delete(upload.storage_key)
    return "stored"


def _refuse(upload: UploadSession, storage: Storage, reason: str) -> str:
    upload.state = "refused"
    upload.failure = reason
    upload.completed_at = db.utcnow()
    record(
        db.session.get(User, upload.user_id),
        "upload.refused",
        upload.apprenticeship,
        apprenticeship_id=upload.apprenticeship_id,
        upload_id=upload.id,
        filename=upload.filename,
        reason=reason,
    )
    db.session.commit()
    with suppress(ShowcaseError):
        storage.delete(upload.storage_key)
    log.info("direct upload %s refused: %s", upload.id, reason)
    return "refused"


def progress(upload: UploadSession, storage: Storage) -> dict[str, Any]:
    """The JSON a client needs: state, the parts S3 holds, what is missing, the item or why not."""
    held = held_parts(upload, storage)
    have = {p.part_number for p in held}
    body: dict[str, Any] = {
        "id": upload.id,
        "direct": True,
        "state": upload.state,
        "filename": upload.filename,
        "size": upload.size,
        "part_size": upload.part_size,
        "parts": part_count(upload),
        "received": [{"part": p.part_number, "size": p.size} for p in held],
        "missing": [n for n in range(1, part_count(upload) + 1) if n not in have]
        if upload.state == "uploading"
        else [],
        "failure": upload.failure,
        "evidence_id": upload.evidence_id,
    }
    return body


def checking_uploads(apprenticeship: Apprenticeship) -> list[UploadSession]:
    """Direct uploads of a portfolio being checked (listed as "being checked")."""
    return list(
        db.session.scalars(
            select(UploadSession).where(
                UploadSession.apprenticeship_id == apprenticeship.id,
                UploadSession.direct.is_(True),
                UploadSession.state == "checking",
            )
        )
    )
