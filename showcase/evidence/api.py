"""Evidence endpoints of the JSON API: the same loaders, services and serving as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import unquote

from flask import Response as FlaskResponse
from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field
from spectree import Response

from showcase.api import bp, responses, spec, text, validated_body
from showcase.errors import Forbidden
from showcase.evidence import comments, direct, regions, services
from showcase.evidence.comments import part_label
from showcase.evidence.loaders import (
    get_comment_or_404,
    get_evidence_file_or_404,
    get_evidence_or_404,
    get_tag_or_404,
    get_upload_or_404,
)
from showcase.evidence.models import (
    Evidence,
    EvidenceComment,
    EvidenceKind,
    EvidenceTag,
    TagStatus,
    UploadSession,
)
from showcase.evidence.permissions import can_see_comments
from showcase.evidence.views import (
    direct_upload_body,
    offset_mismatch_response,
    start_direct_upload,
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


class RegionOut(BaseModel):
    """The part of the item's file a tag points at (showcase.evidence.regions)."""

    kind: Literal["time", "pages"]
    #: Seconds from the start of the recording, or the first page (from 1).
    start: int
    #: The last second (inclusive), or the last page.
    end: int
    #: In words, e.g. "pages 3-5" (printed with an en dash).
    label: str
    #: Append to the file's URL to open it there: "#t=65,150" or "#page=3".
    fragment: str


class TagOut(BaseModel):
    id: int
    ref: str
    justification: str
    status: TagStatus
    review_comment: str | None
    reviewed_at: dt.datetime | None
    #: The part of the file the tag points at; None for the whole item.
    region: RegionOut | None = None


class RecorderOut(BaseModel):
    user_id: int
    name: str
    #: Their part in the apprenticeship: "tutor" or "line manager".
    role: str


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
    #: Who recorded a staff record (tutor, line manager); None when the apprentice added it.
    recorded_by: RecorderOut | None = None


class EvidenceList(BaseModel):
    items: list[EvidenceOut]
    #: How many items match the filters in all pages.
    total: int
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None


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
    after: text(40) | None = Field(
        default=None, description="The 'next' of the previous page: where this page starts."
    )
    limit: int = Field(default=services.EVIDENCE_PAGE_SIZE, ge=1, le=200)


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


#: A region as people type it: "1:05-2:30" or "65-150s" of a recording, "p. 3" or "pages 3-5"
#: of a PDF; checked against the file (422 with the reason when it is not in it).
RegionText = Annotated[str, Field(max_length=60, description=regions.HINT)]


class TagIn(BaseModel):
    ref: Ref
    justification: Justification
    region: RegionText = ""


class TagEditIn(BaseModel):
    justification: Justification
    #: A new region ("" clears it); left out, the region stays as it is.
    region: RegionText | None = None


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
    region = tag.region
    return TagOut(
        id=tag.id,
        ref=tag.reference.ref,
        justification=tag.justification,
        status=tag.status,
        review_comment=tag.review_comment,
        reviewed_at=tag.reviewed_at,
        region=RegionOut(
            kind=region.kind,
            start=region.start,
            end=region.end,
            label=regions.describe(region),
            fragment=regions.media_fragment(region),
        )
        if region
        else None,
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
        recorded_by=_recorder(item),
    )


def _recorder(item: Evidence) -> RecorderOut | None:
    recorder = item.recorded_by
    if recorder is None:
        return None
    return RecorderOut(
        user_id=recorder.id, name=recorder.name, role=part_label(recorder, item.apprenticeship)
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
    page = services.evidence_page(apprenticeship, filters, after=query.after, limit=query.limit)
    return EvidenceList(items=[serialise(i) for i in page.items], total=page.total, next=page.next)


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
    tag = services.tag_evidence(
        current_user, item, ref=body.ref, justification=body.justification, region=body.region
    )
    return _tag(tag), 201


@bp.patch("/tags/<int:tag_id>")
@spec.validate(json=TagEditIn, resp=responses(403, 409, HTTP_200=TagOut), tags=["evidence"])
def edit_tag(tag_id: int) -> TagOut:
    """Reword a tag's justification; it goes back to the tutor."""
    tag = get_tag_or_404(current_user, tag_id)
    body: TagEditIn = validated_body()
    services.edit_tag(current_user, tag, justification=body.justification, region=body.region)
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


# -- comment threads (issue 14) ----------------------------------------------------------------


class CommentOut(BaseModel):
    id: int
    evidence_id: int
    author_id: int
    author: str
    #: The author's part: "apprentice", "tutor" or "line manager".
    role: str
    body: str
    created_at: dt.datetime
    #: Whether the apprentice chose to include it with their showcase.
    included: bool


class CommentList(BaseModel):
    items: list[CommentOut]


class CommentIn(BaseModel):
    body: text(comments.COMMENT_MAX, min_length=1)


class IncludeIn(BaseModel):
    include: bool


def _comment(comment: EvidenceComment) -> CommentOut:
    return CommentOut(
        id=comment.id,
        evidence_id=comment.evidence_id,
        author_id=comment.author_id,
        author=comment.author.name,
        role=part_label(comment.author, comment.evidence.apprenticeship),
        body=comment.body,
        created_at=comment.created_at,
        included=comment.included_at is not None,
    )


@bp.get("/evidence/<int:evidence_id>/comments")
@spec.validate(resp=responses(403, HTTP_200=CommentList), tags=["evidence"])
def list_comments(evidence_id: int) -> CommentList:
    """The item's comment thread, oldest first (the apprentice, tutor and line manager)."""
    item = get_evidence_or_404(current_user, evidence_id)
    if not can_see_comments(current_user, item):
        raise Forbidden("Only the apprentice, their tutor and line manager see comments.")
    return CommentList(items=[_comment(c) for c in comments.list_comments(item)])


@bp.post("/evidence/<int:evidence_id>/comments")
@spec.validate(json=CommentIn, resp=responses(403, HTTP_201=CommentOut), tags=["evidence"])
def add_comment(evidence_id: int) -> tuple[CommentOut, int]:
    """Add a comment to the item's thread (no edits or deletions afterwards)."""
    item = get_evidence_or_404(current_user, evidence_id)
    body: CommentIn = validated_body()
    return _comment(comments.add_comment(current_user, item, body.body)), 201


@bp.put("/comments/<int:comment_id>/included")
@spec.validate(json=IncludeIn, resp=responses(403, 409, HTTP_200=CommentOut), tags=["evidence"])
def include_comment(comment_id: int) -> CommentOut:
    """The apprentice includes a comment with their showcase, or not, until the item locks."""
    comment = get_comment_or_404(current_user, comment_id)
    body: IncludeIn = validated_body()
    return _comment(comments.set_included(current_user, comment, include=body.include))


class WrittenIn(BaseModel):
    """Evidence written rather than uploaded (a reflective account, a tutor's observation)."""

    title: text(Evidence.title, min_length=1)
    kind: EvidenceKind
    activity_date: dt.date | None = None
    description: text(20000, min_length=1)


@bp.post("/apprenticeships/<int:apprenticeship_id>/evidence/written")
@spec.validate(json=WrittenIn, resp=responses(403, HTTP_201=EvidenceOut), tags=["evidence"])
def add_written_evidence(apprenticeship_id: int) -> tuple[EvidenceOut, int]:
    """Add written evidence with no file: the apprentice any kind, their tutor and line manager
    a staff record of their own kinds (observation record or professional discussion notes; a
    manager statement), marked as recorded by them."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    body: WrittenIn = validated_body()
    item = services.add_evidence(
        current_user,
        apprenticeship,
        storage=get_storage(),
        stream=None,
        filename=None,
        max_bytes=0,
        details=services.EvidenceDetails(
            title=body.title,
            kind=body.kind,
            activity_date=body.activity_date,
            description=body.description,
        ),
    )
    return serialise(item), 201


# -- direct uploads to S3 (showcase.evidence.direct) ---------------------------------------------


class DirectUploadOut(BaseModel):
    id: str
    direct: bool
    #: "uploading", "checking" (joined, being checked), "refused" (see failure) or "stored".
    state: str
    filename: str
    size: int
    part_size: int
    parts: int
    received: list[dict]
    missing: list[int]
    failure: str | None
    evidence_id: int | None
    #: The item's page, once stored.
    evidence_url: str | None
    url: str
    complete_url: str


class DirectPartIn(BaseModel):
    #: The part's SHA-256, base64 (as S3's x-amz-checksum-sha256 header carries it).
    sha256: str = Field(max_length=100)


class DirectPartOut(BaseModel):
    part: int
    url: str
    method: str
    length: int
    headers: dict[str, str]
    expires_in: int


def _direct(upload: UploadSession) -> DirectUploadOut:
    return DirectUploadOut(**direct_upload_body(upload, "api"))


@bp.post("/apprenticeships/<int:apprenticeship_id>/direct-uploads")
@spec.validate(
    json=UploadIn,
    headers=UploadCreateHeaders,
    resp=responses(403, 409, 413, 503, HTTP_201=DirectUploadOut),
    tags=["evidence"],
)
def create_direct_upload(apprenticeship_id: int) -> tuple[DirectUploadOut, int]:
    """With S3 storage: start an upload whose parts go straight to S3 (409 with local storage).

    For each part, POST its SHA-256 to ``…/parts/<n>`` for a presigned URL and PUT the part
    there with the header it names; ``GET`` the upload to see which parts S3 holds (to resume);
    then POST ``complete_url``. The file is checked (SHA-256, content, malware) before it
    becomes evidence: poll the upload until its state is "stored" or "refused".
    """
    body: UploadIn = validated_body()
    upload = start_direct_upload(current_user, apprenticeship_id, body.filename, body.size)
    return _direct(upload), 201


@bp.get("/direct-uploads/<upload_id>")
@spec.validate(resp=responses(403, 503, HTTP_200=DirectUploadOut), tags=["evidence"])
def direct_upload_status(upload_id: str) -> DirectUploadOut:
    """Where a direct upload is: the parts S3 holds, what is missing, or the check's outcome."""
    return _direct(get_upload_or_404(current_user, upload_id))


@bp.post("/direct-uploads/<upload_id>/parts/<int:number>")
@spec.validate(
    json=DirectPartIn, resp=responses(403, 409, 503, HTTP_200=DirectPartOut), tags=["evidence"]
)
def direct_upload_part(upload_id: str, number: int) -> DirectPartOut:
    """A presigned URL for part ``number`` (1-based), bound to the part's SHA-256."""
    upload = get_upload_or_404(current_user, upload_id)
    body: DirectPartIn = validated_body()
    return DirectPartOut(**direct.presign_part(upload, number, body.sha256, storage=get_storage()))


@bp.post("/direct-uploads/<upload_id>/complete")
@spec.validate(resp=responses(403, 409, 503, HTTP_202=DirectUploadOut), tags=["evidence"])
def complete_direct_upload(upload_id: str) -> tuple[DirectUploadOut, int]:
    """Join the parts (409 while some are missing) and start the check; 202."""
    upload = get_upload_or_404(current_user, upload_id)
    direct.complete(upload, storage=get_storage())
    return _direct(upload), 202
