"""Evidence endpoints of the JSON API: the same loaders, services and serving as the pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from flask import Response as FlaskResponse
from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field
from spectree import Response

from showcase.api import bp, responses, spec, text, validated_body
from showcase.evidence import services
from showcase.evidence.loaders import (
    get_evidence_file_or_404,
    get_evidence_or_404,
    get_tag_or_404,
)
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag, TagStatus
from showcase.evidence.views import (
    offset_mismatch_response,
    start_upload_response,
    store_request_body,
    upload_part_response,
    upload_status_response,
)
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards.models import StandardReference
from showcase.storage.serving import serve_stored_file
from showcase.storage_ext import get_storage

bp.register_error_handler(services.OffsetMismatch, offset_mismatch_response)


class FileOut(BaseModel):
    name: str
    size: int
    sha256: str
    mime_type: str
    url: str


class TagOut(BaseModel):
    id: int
    ref: str
    justification: str
    status: TagStatus
    review_comment: str | None
    reviewed_at: dt.datetime | None


class EvidenceOut(BaseModel):
    id: int
    apprenticeship_id: int
    title: str
    kind: EvidenceKind
    activity_date: dt.date
    description: str
    witness_name: str | None
    witness_role: str | None
    witness_relationship: str | None
    witness_contact: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    locked: bool
    file: FileOut | None
    tags: list[TagOut]


class EvidenceList(BaseModel):
    items: list[EvidenceOut]


#: A unit's or criterion's ref, as long as the column that holds it allows.
Ref = text(StandardReference.ref)
Justification = text(5000)


class EvidenceQuery(BaseModel):
    ref: Ref | None = None
    kind: EvidenceKind | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: text(200) | None = None
    status: TagStatus | None = None


class EvidenceIn(BaseModel):
    """Only the fields given change."""

    title: text(Evidence.title) | None = None
    kind: EvidenceKind | None = None
    activity_date: dt.date | None = None
    description: text(20000) | None = None
    witness_name: text(Evidence.witness_name) | None = None
    witness_role: text(Evidence.witness_role) | None = None
    witness_relationship: text(Evidence.witness_relationship) | None = None
    witness_contact: text(Evidence.witness_contact) | None = None


class TagIn(BaseModel):
    ref: Ref
    justification: Justification


class TagEditIn(BaseModel):
    justification: Justification


class ReviewIn(BaseModel):
    accept: bool
    comment: Justification = ""


REPR_DIGEST = (
    "Optional, RFC 9530: the SHA-256 of the whole file, as 'sha-256=:<base64 of the 32-byte "
    "digest>:'. The file that arrives must have it, or nothing is stored and the answer is 422 "
    "digest_mismatch. A header without a sha-256 member, or malformed, answers 400."
)


class UploadHeaders(BaseModel):
    """Headers of a single-request upload (the body is the raw file)."""

    x_filename: str | None = Field(
        default=None,
        alias="X-Filename",
        max_length=1000,
        description="The file's name, URL-encoded; only its extension is checked.",
    )
    repr_digest: str | None = Field(default=None, alias="Repr-Digest", description=REPR_DIGEST)


class UploadCreateHeaders(BaseModel):
    """Headers of the request that starts a resumable upload."""

    repr_digest: str | None = Field(
        default=None,
        alias="Repr-Digest",
        description=REPR_DIGEST.replace("the whole file", "the whole file the parts will make up")
        + " It is checked once the last part has arrived.",
    )


class UploadIn(BaseModel):
    filename: str = Field(max_length=1000)
    size: int


class UploadOut(BaseModel):
    id: str
    offset: int
    size: int
    part_size: int
    filename: str
    complete: bool
    url: str


def _tag(tag: EvidenceTag) -> TagOut:
    return TagOut(
        id=tag.id,
        ref=tag.reference.ref,
        justification=tag.justification,
        status=tag.status,
        review_comment=tag.review_comment,
        reviewed_at=tag.reviewed_at,
    )


def serialise(item: Evidence) -> EvidenceOut:
    stored = item.file
    return EvidenceOut(
        id=item.id,
        apprenticeship_id=item.apprenticeship_id,
        title=item.title,
        kind=item.kind,
        activity_date=item.activity_date,
        description=item.description,
        witness_name=item.witness_name,
        witness_role=item.witness_role,
        witness_relationship=item.witness_relationship,
        witness_contact=item.witness_contact,
        created_at=item.created_at,
        updated_at=item.updated_at,
        locked=item.is_locked,
        file=FileOut(
            name=stored.display_name,
            size=stored.size,
            sha256=stored.sha256,
            mime_type=stored.mime_type,
            url=f"/api/v1/evidence/{item.id}/file",
        )
        if stored is not None
        else None,
        tags=[_tag(t) for t in item.tags if t.removed_at is None],
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/evidence")
@spec.validate(query=EvidenceQuery, resp=responses(HTTP_200=EvidenceList), tags=["evidence"])
def list_evidence(apprenticeship_id: int) -> EvidenceList:
    """Live evidence of an apprenticeship, newest activity first, with optional filters."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    query: EvidenceQuery = request.context.query  # type: ignore[attr-defined]
    filters = services.EvidenceFilter(
        ref=query.ref,
        kind=query.kind,
        since=query.since,
        until=query.until,
        text=query.q,
        status=query.status,
    )
    return EvidenceList(
        items=[serialise(i) for i in services.list_evidence(apprenticeship, filters)]
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/evidence")
@spec.validate(headers=UploadHeaders, resp=Response(HTTP_201=EvidenceOut), tags=["evidence"])
def upload_evidence(apprenticeship_id: int) -> tuple[EvidenceOut, int]:
    """Upload one file as the raw request body, its name in ``X-Filename`` (URL-encoded).

    Send ``Content-Length``: a body that ends before it (the connection dropped) is refused
    with 400 ``incomplete_body`` and nothing is stored. ``Repr-Digest`` lets the client prove
    the file arrived intact.
    """
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    item = store_request_body(apprenticeship, unquote(request.headers.get("X-Filename", "")))
    return serialise(item), 201


@bp.get("/evidence/<int:evidence_id>")
@spec.validate(resp=responses(HTTP_200=EvidenceOut), tags=["evidence"])
def get_evidence(evidence_id: int) -> EvidenceOut:
    """One evidence item with its file's details and live tags."""
    return serialise(get_evidence_or_404(current_user, evidence_id))


@bp.patch("/evidence/<int:evidence_id>")
@spec.validate(json=EvidenceIn, resp=responses(403, 409, HTTP_200=EvidenceOut), tags=["evidence"])
def update_evidence(evidence_id: int) -> EvidenceOut:
    """Change what the apprentice says about an item (only the fields given)."""
    item = get_evidence_or_404(current_user, evidence_id)
    body: EvidenceIn = validated_body()
    services.update_evidence(current_user, item, services.EvidenceDetails(**body.model_dump()))
    return serialise(item)


@bp.delete("/evidence/<int:evidence_id>")
@spec.validate(resp=responses(403, 409, HTTP_204=None), tags=["evidence"])
def delete_evidence(evidence_id: int) -> FlaskResponse:
    """Delete an item (recorded, not erased)."""
    item = get_evidence_or_404(current_user, evidence_id)
    services.delete_evidence(current_user, item)
    return FlaskResponse(status=204)


# Not wrapped in spec.validate: spectree reads every response body to validate it, which
# would load the whole file into memory (and fails on a streamed body). Its OpenAPI entry is
# written by hand in showcase.api.FILE_OPERATION.
@bp.get("/evidence/<int:evidence_id>/file")
def evidence_file(evidence_id: int) -> FlaskResponse:
    """The file: streamed with Range support, or a 302 to a short-lived presigned URL."""
    return serve_stored_file(
        get_storage(),
        get_evidence_file_or_404(current_user, evidence_id),
        want_inline=request.args.get("inline") == "1",
    )


@bp.post("/evidence/<int:evidence_id>/tags")
@spec.validate(json=TagIn, resp=responses(403, 409, HTTP_201=TagOut), tags=["evidence"])
def add_tag(evidence_id: int) -> tuple[TagOut, int]:
    """Tag an item to a unit of the apprentice's standard, saying how it shows it."""
    item = get_evidence_or_404(current_user, evidence_id)
    body: TagIn = validated_body()
    tag = services.tag_evidence(current_user, item, ref=body.ref, justification=body.justification)
    return _tag(tag), 201


@bp.patch("/tags/<int:tag_id>")
@spec.validate(json=TagEditIn, resp=responses(403, 409, HTTP_200=TagOut), tags=["evidence"])
def edit_tag(tag_id: int) -> TagOut:
    """Reword a tag's justification; it goes back to the tutor."""
    tag = get_tag_or_404(current_user, tag_id)
    body: TagEditIn = validated_body()
    services.edit_tag(current_user, tag, justification=body.justification)
    return _tag(tag)


@bp.delete("/tags/<int:tag_id>")
@spec.validate(resp=responses(403, 409, HTTP_204=None), tags=["evidence"])
def remove_tag(tag_id: int) -> FlaskResponse:
    """Remove a tag (its history stays)."""
    tag = get_tag_or_404(current_user, tag_id)
    services.remove_tag(current_user, tag)
    return FlaskResponse(status=204)


@bp.post("/tags/<int:tag_id>/review")
@spec.validate(json=ReviewIn, resp=responses(403, 409, HTTP_200=TagOut), tags=["evidence"])
def review_tag(tag_id: int) -> TagOut:
    """The tutor accepts a tag, or sends it back with a comment."""
    tag = get_tag_or_404(current_user, tag_id)
    body: ReviewIn = validated_body()
    services.review_tag(current_user, tag, accept=body.accept, comment=body.comment)
    return _tag(tag)


# -- resumable uploads (the protocol is described in showcase.evidence.views) -------------


@bp.post("/apprenticeships/<int:apprenticeship_id>/uploads")
@spec.validate(
    json=UploadIn, headers=UploadCreateHeaders, resp=Response(HTTP_201=UploadOut), tags=["evidence"]
)
def create_upload(apprenticeship_id: int) -> FlaskResponse:
    """Start a resumable upload of a file of ``size`` bytes (optionally with its digest)."""
    return start_upload_response(
        current_user, apprenticeship_id, request.get_json(silent=True), "api.upload_status"
    )


@bp.route("/uploads/<upload_id>", methods=["GET", "HEAD"])
@spec.validate(resp=Response(HTTP_200=UploadOut), tags=["evidence"])
def upload_status(upload_id: str) -> FlaskResponse:
    """How many bytes of a resumable upload the server has (also ``Upload-Offset``)."""
    return upload_status_response(current_user, upload_id, "api.upload_status")


@bp.patch("/uploads/<upload_id>")
@spec.validate(resp=Response(HTTP_200=UploadOut, HTTP_201=UploadOut), tags=["evidence"])
def append_upload(upload_id: str) -> FlaskResponse:
    """Send the part starting at ``Upload-Offset``; the last part finishes the upload (201).

    A part that ends before its length (the connection dropped) answers 400 ``incomplete_body``
    and is not kept: ask for the offset and send it again.
    """
    return upload_part_response(current_user, upload_id, "api.upload_status")
