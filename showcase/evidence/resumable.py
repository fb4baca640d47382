"""Resumable uploads: a small tus-like protocol over the storage multipart API.

A phone on a flaky connection uploads a long recording in fixed-size parts, each in its own
request, and after a dropped connection asks the server how far it got and carries on from
there. The protocol (pages under the session cookie + ``X-CSRFToken``; the same under /api/v1
with a bearer token):

- ``POST /apprenticeships/<id>/uploads`` {filename, size} → 201 {id, offset, part_size, url};
  an optional ``Repr-Digest: sha-256=:…:`` header on this request declares the SHA-256 of the
  whole file to come (as in the IETF resumable-uploads draft), checked after the last part.
- ``HEAD``/``GET /uploads/<id>`` → the offset (``Upload-Offset`` header and JSON)
- ``PATCH /uploads/<id>`` with ``Upload-Offset`` and exactly ``part_size`` bytes (fewer for the
  last part) → the new offset; a wrong offset answers 409 with the offset the server expects.
  A part whose body ends before its length (the client went away) answers 400
  ``incomplete_body`` and is not kept: the offset stays where it was.

After the last part the server completes the multipart upload and checks the assembled object
exactly as ``ingest()`` checks a single-request upload (size, declared SHA-256, sniffed type,
extension); then the StoredFile and Evidence rows are added in the same commit, or the object is
deleted and the refusal (413/415/422) is the answer to that last PATCH.

Written by hand because tus servers for Python (tuspy is a client; tusd is Go) don't sit on
our Storage protocol, and the subset needed here is small.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import (
    Conflict,
    FileTooLarge,
    Forbidden,
    NotFound,
    ShowcaseError,
    ValidationFailed,
)
from showcase.evidence import services
from showcase.evidence.models import Evidence, UploadSession
from showcase.evidence.permissions import can_add_evidence
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.storage import (
    MIN_PART_SIZE,
    Storage,
    UploadedPart,
    display_name,
    format_size,
    too_large,
)
from showcase.storage.assemble import inspect_stored
from showcase.storage.base import MAX_PART_NUMBER, ReadableStream, read_chunk
from showcase.storage.ingest import RequestBody, check_digest, repr_digest
from showcase.storage_ext import get_storage

bp = Blueprint("uploads", __name__)

#: Refusals after which the client can't usefully resume: the session and its parts go.
FINAL_STATUSES = {413, 415, 422}


class OffsetMismatch(Conflict):
    """The client sent a part for an offset other than the one the server is at."""

    code = "offset_mismatch"

    def __init__(self, expected: int) -> None:
        super().__init__(
            f"This upload has {expected} bytes so far; send the part that starts there."
        )
        self.offset = expected


def offset_mismatch_response(error: OffsetMismatch) -> Response:
    """JSON 409 that also tells the client where to resume (header and body)."""
    db.session.rollback()
    response = jsonify(
        {
            "error": {"status": 409, "code": error.code, "message": error.message},
            "offset": error.offset,
        }
    )
    response.status_code = 409
    response.headers["Upload-Offset"] = str(error.offset)
    response.headers["Cache-Control"] = "no-store"
    return response


bp.register_error_handler(OffsetMismatch, offset_mismatch_response)


# -- services: take the acting user, only flush -------------------------------------------


def part_size_for(size: int, configured: int) -> int:
    """The part size for an upload: at least S3's minimum, and few enough parts for S3."""
    part_size = max(int(configured), MIN_PART_SIZE)
    while -(-size // part_size) > MAX_PART_NUMBER:
        part_size *= 2
    return part_size


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
) -> UploadSession:
    """Begin a multipart upload in storage and record the session (and an audit entry).

    ``sha256`` (hex) is the digest the client declared for the whole file, if it did.
    """
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
    key = services.new_key()
    upload = UploadSession(
        id=secrets.token_hex(16),
        apprenticeship=apprenticeship,
        user_id=actor.id,
        filename=name,
        size=size,
        part_size=part_size_for(size, part_size),
        storage_key=key,
        storage_upload_id=storage.begin_multipart(key),
        parts=[],
        bytes_received=0,
        sha256=sha256,
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
    )
    return upload


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
            raise FileTooLarge(
                "This part is longer than the upload allows; the file may have changed on your "
                f"device. Start the upload again (the limit is {format_size(self.max_bytes)}).",
                field="file",
            )
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
        raise FileTooLarge(
            f"This part would take the file past its announced size or the "
            f"{format_size(max_bytes)} limit. Start the upload again.",
            field="file",
        )
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
    item = services.add_evidence(
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


# -- request handling shared by the pages and the API -------------------------------------


def describe(upload: UploadSession, url: str) -> dict[str, Any]:
    """The JSON a client needs to carry on."""
    body: dict[str, Any] = {
        "id": upload.id,
        "offset": upload.bytes_received,
        "size": upload.size,
        "part_size": upload.part_size,
        "filename": upload.filename,
        "complete": upload.is_complete,
        "url": url,
    }
    if upload.evidence is not None:
        item = upload.evidence
        body["evidence"] = {
            "id": item.id,
            "title": item.title,
            "kind": item.kind.value,
            "size": upload.size,
            "url": url_for("evidence.show", evidence_id=item.id),
        }
    return body


def _json(body: dict[str, Any], status: int, upload: UploadSession) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Upload-Offset"] = str(upload.bytes_received)
    response.headers["Upload-Length"] = str(upload.size)
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_create(actor: User, apprenticeship_id: int, payload: Any, endpoint: str) -> Response:
    """Create a session from a JSON {filename, size} body; 201 with where to send parts."""
    apprenticeship = get_apprenticeship_or_404(actor, apprenticeship_id)
    if not isinstance(payload, dict):
        raise ValidationFailed('Send JSON like {"filename": "talk.mp4", "size": 123456}.')
    size = payload.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValidationFailed("Give the file's size in bytes as a whole number.", field="size")
    declared = repr_digest(", ".join(request.headers.getlist("Repr-Digest")) or None)
    storage = get_storage()
    config = current_app.config
    upload = start_upload(
        actor,
        apprenticeship,
        storage=storage,
        filename=str(payload.get("filename") or ""),
        size=size,
        max_bytes=config["MAX_UPLOAD_BYTES"],
        part_size=config["RESUMABLE_PART_BYTES"],
        sha256=declared.hex() if declared is not None else None,
    )
    try:
        db.session.commit()
    except BaseException:
        storage.abort_multipart(upload.storage_upload_id, upload.storage_key)
        raise
    url = url_for(endpoint, upload_id=upload.id)
    response = _json(describe(upload, url), 201, upload)
    response.headers["Location"] = url
    return response


def handle_status(actor: User, upload_id: str, endpoint: str) -> Response:
    """Where the upload is: its offset, and its evidence once finished."""
    upload = get_upload_or_404(actor, upload_id)
    return _json(describe(upload, url_for(endpoint, upload_id=upload.id)), 200, upload)


def _offset_header() -> int | None:
    value = request.headers.get("Upload-Offset")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ValidationFailed("Upload-Offset must be a byte count.", field="offset")
    return int(value)


def handle_append(actor: User, upload_id: str, endpoint: str) -> Response:
    """Take one part; on the last, finish the upload (201) or refuse it and clean up."""
    upload = get_upload_or_404(actor, upload_id)
    storage = get_storage()
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    receive_part(
        upload,
        storage=storage,
        offset=_offset_header(),
        stream=request.stream,
        content_length=request.content_length,
        max_bytes=max_bytes,
    )
    url = url_for(endpoint, upload_id=upload.id)
    if upload.bytes_received < upload.size:
        db.session.commit()
        return _json(describe(upload, url), 200, upload)
    written: list[str] = []
    try:
        with services.blobs_removed_on_failure(storage) as written:
            finish_upload(actor, upload, storage=storage, max_bytes=max_bytes, written=written)
            db.session.commit()
    except ShowcaseError as error:
        db.session.rollback()
        # Refused, or the parts were already joined (so there is nothing left to resume):
        # the session goes. Otherwise (storage briefly down) the client retries the last part.
        if error.status_code in FINAL_STATUSES or written:
            discard_upload(upload, storage=storage)
            db.session.commit()
        raise
    return _json(describe(upload, url), 201, upload)


# -- page routes: session cookie + X-CSRFToken --------------------------------------------


@bp.post("/apprenticeships/<int:apprenticeship_id>/uploads")
@login_required
def create(apprenticeship_id: int) -> Response:
    return handle_create(
        current_user, apprenticeship_id, request.get_json(silent=True), "uploads.status"
    )


@bp.route("/uploads/<upload_id>", methods=["GET", "HEAD"])
@login_required
def status(upload_id: str) -> Response:
    return handle_status(current_user, upload_id, "uploads.status")


@bp.patch("/uploads/<upload_id>")
@login_required
def append(upload_id: str) -> Response:
    return handle_append(current_user, upload_id, "uploads.status")
