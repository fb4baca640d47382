"""Evidence pages: browse, upload (streamed or resumable), describe, tag, review, the file.

The request shells that the pages and the JSON API share live here too (``store_upload``,
``check_upload_size`` and the resumable upload's answers); ``evidence.api`` calls them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts.models import User
from showcase.errors import Forbidden, ShowcaseError, ValidationFailed
from showcase.evidence import comments, direct, regions, services
from showcase.evidence.forms import (
    CommentForm,
    EvidenceDetailsForm,
    FilterForm,
    ReviewForm,
    TagForm,
    WrittenEvidenceForm,
)
from showcase.evidence.loaders import (
    get_comment_or_404,
    get_deleted_evidence_or_404,
    get_evidence_file_or_404,
    get_evidence_or_404,
    get_tag_or_404,
    get_upload_or_404,
)
from showcase.evidence.models import Evidence, EvidenceKind, TagStatus, UploadSession
from showcase.evidence.permissions import (
    can_add_evidence,
    can_comment,
    can_edit_evidence,
    can_include_comment,
    can_restore_evidence,
    can_review_tags,
    can_see_comments,
    can_tag_evidence,
    recordable_kinds,
)
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.security import page_csp
from showcase.standards.services import doc_for
from showcase.storage import (
    ACCEPTED,
    ReadableStream,
    blobs_removed_on_failure,
    file_type,
    format_size,
    too_large,
)
from showcase.storage.ingest import RequestBody, repr_digest
from showcase.storage.serving import serve_stored_file
from showcase.storage_ext import get_storage
from showcase.web import flash_form_errors, form_post

bp = Blueprint("evidence", __name__)

# A tag's region in words ("1:05-2:30", "pages 3-5") and as the URL fragment that opens the file
# there ("#t=65,150", "#page=3"): the item page, the matrix, the workspace and the manifest.
bp.add_app_template_filter(regions.describe, "region_words")
bp.add_app_template_filter(regions.media_fragment, "region_fragment")
bp.add_app_template_global(regions.HINT, "REGION_HINT")


def unit_choices(apprenticeship: Apprenticeship) -> list[SelectChoice]:
    """The apprenticeship's units, grouped by module, for tag and filter menus."""
    return [
        SelectChoice(u.ref, f"{u.number} {u.text.splitlines()[0][:110]}", optgroup=u.module_title)
        for u in doc_for(apprenticeship.standard).units()
    ]


def details_from(form: EvidenceDetailsForm) -> services.EvidenceDetails:
    return services.EvidenceDetails(
        title=form.title.data,
        kind=EvidenceKind(form.kind.data),
        activity_date=form.activity_date.data,
        description=form.description.data or "",
        witness_name=form.witness_name.data or None,
        witness_role=form.witness_role.data or None,
        witness_relationship=form.witness_relationship.data or None,
        witness_contact=form.witness_contact.data or None,
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/evidence")
@login_required
def index(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    form = FilterForm(request.args)
    form.ref.choices = [SelectChoice("", "Any criterion"), *unit_choices(apprenticeship)]
    filters = services.EvidenceFilter()
    if form.validate():
        filters = services.EvidenceFilter(
            ref=form.ref.data or None,
            kind=EvidenceKind(form.kind.data) if form.kind.data else None,
            since=form.since.data,
            until=form.until.data,
            text=form.q.data or None,
            status=TagStatus(form.status.data) if form.status.data else None,
        )
    page = services.evidence_page(apprenticeship, filters, after=request.args.get("after"))
    retention = float(current_app.config["DELETED_EVIDENCE_RETENTION_DAYS"])
    deleted = (
        [
            item
            for item in services.recently_deleted(apprenticeship, retention, db.utcnow())
            if can_restore_evidence(current_user, item)
        ]
        if can_add_evidence(current_user, apprenticeship)
        else []
    )
    return render_template(
        "evidence/index.html",
        apprenticeship=apprenticeship,
        items=page.items,
        page=page,
        **_pager(apprenticeship, page),
        form=form,
        can_add=can_add_evidence(current_user, apprenticeship),
        recording=bool(recordable_kinds(current_user, apprenticeship)),
        recorded_by_line=services.recorded_by_line,
        deleted=deleted,
        retention=retention,
        checking=direct.checking_uploads(apprenticeship)
        if can_add_evidence(current_user, apprenticeship)
        else [],
    )


def _pager(apprenticeship: Apprenticeship, page: services.EvidencePage) -> dict[str, str | None]:
    """Links to the next page and back to the first, keeping the filters."""
    args = {k: v for k, v in request.args.to_dict().items() if k != "after"}

    def link(**extra: str) -> str:
        return url_for("evidence.index", apprenticeship_id=apprenticeship.id, **args, **extra)

    return {
        "next_url": link(after=page.next) if page.next else None,
        "first_url": link() if request.args.get("after") else None,
    }


@bp.route("/apprenticeships/<int:apprenticeship_id>/evidence/new", methods=["GET", "POST"])
@login_required
def new(apprenticeship_id: int) -> str | Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    written = WrittenEvidenceForm(prefix="written")
    staff_kinds = recordable_kinds(current_user, apprenticeship)
    if staff_kinds and current_user.id != apprenticeship.apprentice_id:
        # Staff record their own kinds only (``permissions.STAFF_KINDS``).
        written.kind.choices = [SelectChoice(k.value, k.label) for k in staff_kinds]
    if request.method == "POST" and written.validate_on_submit():
        try:
            item = services.add_evidence(
                current_user,
                apprenticeship,
                storage=get_storage(),
                stream=None,
                filename=None,
                max_bytes=0,
                details=details_from(written),
            )
        except ShowcaseError as error:
            db.session.rollback()
            getattr(written, error.field or "description").errors.append(error.message)
        else:
            flash(f"“{item.title}” added. Now tag it to the criteria it shows.", "success")
            return redirect(url_for("evidence.show", evidence_id=item.id))
    if not can_add_evidence(current_user, apprenticeship):
        raise Forbidden("Only the apprentice adds evidence to their portfolio.")
    storage = get_storage()
    page = render_template(
        "evidence/new.html",
        apprenticeship=apprenticeship,
        written=written,
        recording=bool(staff_kinds),
        max_size=format_size(current_app.config["MAX_UPLOAD_BYTES"]),
        accepted=ACCEPTED,
        direct_uploads=direct.offered(storage),
    )
    if not direct.offered(storage):
        return page
    # The page's script sends large files' parts straight to S3: allow that origin.
    response = make_response(page)
    response.headers["Content-Security-Policy"] = page_csp(connect_to=storage.upload_origin)
    return response


# -- single-request uploads: the page's script (raw body), the no-script form, the API ----------

#: A multipart form carries its boundaries, part headers and CSRF field besides the file.
FORM_FRAMING_BYTES = 1024 * 1024


def check_upload_size(max_bytes: int) -> None:
    """The one early size check: refuse (413) a body announced larger than an accepted upload,
    before any of it is read. A raw body is the file itself; a multipart form may also carry
    its framing. Whatever passes here is still counted as it streams in (``ingest()``)."""
    allowance = FORM_FRAMING_BYTES if request.mimetype == "multipart/form-data" else 0
    if request.content_length is not None and request.content_length > max_bytes + allowance:
        raise too_large(max_bytes)


def store_upload(
    apprenticeship: Apprenticeship, stream: ReadableStream, filename: str, *, max_bytes: int
) -> Evidence:
    """Ingest one uploaded file as new evidence and commit; if anything fails, no blob stays."""
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        item = services.add_evidence(
            current_user,
            apprenticeship,
            storage=storage,
            stream=stream,
            filename=filename,
            max_bytes=max_bytes,
            written=written,
        )
        db.session.commit()  # inside the blob guard: a failed commit removes the blob
    return item


def store_request_body(apprenticeship: Apprenticeship, filename: str) -> Evidence:
    """Store the request's raw body as one file: the early size check, then the body read
    through ``RequestBody`` (a body cut short is refused; a declared Repr-Digest is checked)."""
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    check_upload_size(max_bytes)
    return store_upload(apprenticeship, RequestBody.of(request), filename, max_bytes=max_bytes)


@bp.post("/apprenticeships/<int:apprenticeship_id>/evidence/upload")
@login_required
def upload(apprenticeship_id: int) -> Response:
    """Store uploads. Raw body (the page's script, one file per request) or multipart (no JS)."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    if request.mimetype == "multipart/form-data":
        return _upload_form_files(apprenticeship)
    filename = unquote(request.headers.get("X-Filename", "") or request.args.get("filename", ""))
    item = store_request_body(apprenticeship, filename)
    response = jsonify(
        {
            "id": item.id,
            "title": item.title,
            "kind": item.kind.value,
            "size": item.file.size,
            "url": url_for("evidence.show", evidence_id=item.id),
        }
    )
    response.status_code = 201
    return response


def _upload_form_files(apprenticeship: Apprenticeship) -> Response:
    # The form has been parsed already (CSRFProtect reads it before any view runs), so the
    # early check comes after the fact here; it still refuses an oversize form as it did.
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    check_upload_size(max_bytes)
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        flash("Choose at least one file to upload.", "error")
        return redirect(url_for("evidence.new", apprenticeship_id=apprenticeship.id))
    added = 0
    for upload in files:
        # Each file commits on its own: one refused file does not lose the others.
        try:
            store_upload(apprenticeship, upload.stream, upload.filename, max_bytes=max_bytes)
            added += 1
        except ShowcaseError as error:
            db.session.rollback()
            flash(f"{upload.filename}: {error.message}", "error")
    if added:
        flash(
            f"{added} file{'s' if added != 1 else ''} added. Describe and tag each one.", "success"
        )
    return redirect(url_for("evidence.index", apprenticeship_id=apprenticeship.id))


@bp.get("/evidence/<int:evidence_id>")
@login_required
def show(evidence_id: int) -> str:
    item = get_evidence_or_404(current_user, evidence_id)
    apprenticeship = item.apprenticeship
    editable = can_edit_evidence(current_user, item)
    details = EvidenceDetailsForm(obj=item, prefix="details")
    details.kind.data = item.kind.value
    if item.recorded_by_id is not None:
        staff_kinds = recordable_kinds(current_user, apprenticeship)
        details.kind.choices = [SelectChoice(k.value, k.label) for k in staff_kinds]
    tag_form = TagForm(prefix="tag")
    tag_form.reference.choices = unit_choices(apprenticeship)
    live_tags = [t for t in item.tags if t.removed_at is None]
    return render_template(
        "evidence/show.html",
        item=item,
        apprenticeship=apprenticeship,
        editable=editable,
        details=details,
        tag_form=tag_form,
        live_tags=live_tags,
        can_review=can_review_tags(current_user, apprenticeship) and not item.is_locked,
        file_type=file_type(item.file.mime_type) if item.file else None,
        file_size=format_size(item.file.size) if item.file else None,
        can_tag=can_tag_evidence(current_user, item),
        recorded_by=services.recorded_by_line(item),
        **_thread(item),
    )


def _thread(item: Evidence) -> dict[str, Any]:
    """The comment thread's part of the item page (nothing for those outside it)."""
    if not can_see_comments(current_user, item):
        return {"comments": None}
    thread = comments.list_comments(item)
    return {
        "comments": thread,
        "comment_form": CommentForm(prefix="comment") if can_comment(current_user, item) else None,
        "may_include": [c for c in thread if can_include_comment(current_user, c)],
        "part_label": comments.part_label,
    }


@bp.post("/evidence/<int:evidence_id>/comments")
@login_required
def add_comment(evidence_id: int) -> Response:
    item = get_evidence_or_404(current_user, evidence_id)
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        with form_post("Comment added."):
            comments.add_comment(current_user, item, form.body.data)
    else:
        flash_form_errors(form)
    return redirect(url_for("evidence.show", evidence_id=item.id) + "#comments")


@bp.post("/comments/<int:comment_id>/include")
@login_required
def include_comment(comment_id: int) -> Response:
    comment = get_comment_or_404(current_user, comment_id)
    include = request.form.get("include") == "1"
    comments.set_included(current_user, comment, include=include)
    flash(
        "The comment will go with your showcase."
        if include
        else "The comment will not go with your showcase.",
        "success",
    )
    return redirect(url_for("evidence.show", evidence_id=comment.evidence_id) + "#comments")


@bp.post("/evidence/<int:evidence_id>/edit")
@login_required
def edit(evidence_id: int) -> Response | str:
    item = get_evidence_or_404(current_user, evidence_id)
    form = EvidenceDetailsForm(prefix="details")
    if form.validate_on_submit():
        with form_post("Details saved."):
            services.update_evidence(current_user, item, details_from(form))
    else:
        flash_form_errors(form)
    return redirect(url_for("evidence.show", evidence_id=item.id))


@bp.post("/evidence/<int:evidence_id>/delete")
@login_required
def delete(evidence_id: int) -> Response:
    item = get_evidence_or_404(current_user, evidence_id)
    apprenticeship_id = item.apprenticeship_id
    services.delete_evidence(current_user, item)
    flash(f"“{item.title}” deleted.", "info")
    return redirect(url_for("evidence.index", apprenticeship_id=apprenticeship_id))


@bp.post("/evidence/<int:evidence_id>/restore")
@login_required
def restore(evidence_id: int) -> Response:
    item = get_deleted_evidence_or_404(current_user, evidence_id)
    services.restore_evidence(
        current_user,
        item,
        retention_days=float(current_app.config["DELETED_EVIDENCE_RETENTION_DAYS"]),
        now=db.utcnow(),
    )
    flash(f"“{item.title}” restored.", "info")
    return redirect(url_for("evidence.show", evidence_id=item.id))


def suggestion_of(form: TagForm) -> dict[str, Any]:
    """The suggestion the tag came from, when the unit tagged is the one it suggested."""
    if form.suggestion_rank.data and form.suggestion_ref.data == form.reference.data:
        return {
            "suggestion_rank": form.suggestion_rank.data,
            "suggestion_ranker": form.suggestion_ranker.data or None,
        }
    return {}


@bp.post("/evidence/<int:evidence_id>/tags")
@login_required
def add_tag(evidence_id: int) -> Response:
    item = get_evidence_or_404(current_user, evidence_id)
    form = TagForm(prefix="tag")
    form.reference.choices = unit_choices(item.apprenticeship)
    if form.validate_on_submit():
        with form_post():
            tag = services.tag_evidence(
                current_user,
                item,
                ref=form.reference.data,
                justification=form.justification.data,
                region=form.region.data or "",
                **suggestion_of(form),
            )
            flash(f"Tagged to {tag.reference.number}. Your tutor will review it.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("evidence.show", evidence_id=item.id) + "#tags")


@bp.post("/tags/<int:tag_id>/review")
@login_required
def review_tag(tag_id: int) -> Response:
    tag = get_tag_or_404(current_user, tag_id)
    form = ReviewForm(prefix="review")
    if form.validate_on_submit():
        with form_post("Review recorded."):
            services.review_tag(
                current_user,
                tag,
                accept=form.decision.data == "accept",
                comment=form.comment.data or "",
            )
    else:
        flash("Choose Accept or Send back.", "error")
    return redirect(url_for("evidence.show", evidence_id=tag.evidence_id) + "#tags")


@bp.post("/tags/<int:tag_id>/remove")
@login_required
def remove_tag(tag_id: int) -> Response:
    tag = get_tag_or_404(current_user, tag_id)
    services.remove_tag(current_user, tag)
    flash("Tag removed.", "info")
    return redirect(url_for("evidence.show", evidence_id=tag.evidence_id) + "#tags")


@bp.get("/evidence/<int:evidence_id>/file")
@login_required
def file(evidence_id: int) -> Response:
    return serve_stored_file(
        get_storage(),
        get_evidence_file_or_404(current_user, evidence_id),
        want_inline=request.args.get("inline") == "1",
    )


# -- resumable uploads -------------------------------------------------------------------------
#
# A small tus-like protocol over the storage multipart API. A phone on a flaky connection
# uploads a long recording in fixed-size parts, each in its own request, and after a dropped
# connection asks the server how far it got and carries on from there. The same protocol is
# served to the pages (session cookie + ``X-CSRFToken``) and under /api/v1 (bearer token):
#
# - ``POST /apprenticeships/<id>/uploads`` {filename, size} → 201 {id, offset, part_size, url};
#   an optional ``Repr-Digest: sha-256=:…:`` header on this request declares the SHA-256 of the
#   whole file to come (as in the IETF resumable-uploads draft), checked after the last part.
# - ``HEAD``/``GET /uploads/<id>`` → the offset (``Upload-Offset`` header and JSON)
# - ``PATCH /uploads/<id>`` with ``Upload-Offset`` and exactly ``part_size`` bytes (fewer for
#   the last part) → the new offset; a wrong offset answers 409 with the offset the server
#   expects. A part whose body ends before its length (the client went away) answers 400
#   ``incomplete_body`` and is not kept: the offset stays where it was.
#
# After the last part the server completes the multipart upload and checks the assembled object
# exactly as ``ingest()`` checks a single-request upload (size, declared SHA-256, sniffed type,
# extension); then the StoredFile and Evidence rows are added in the same commit, or the object
# is deleted and the refusal (413/415/422) is the answer to that last PATCH.
#
# Written by hand because tus servers for Python (tuspy is a client; tusd is Go) don't sit on
# our Storage protocol, and the subset needed here is small.

#: Refusals after which the client can't usefully resume: the session and its parts go.
FINAL_STATUSES = {413, 415, 422}


def offset_mismatch_response(error: services.OffsetMismatch) -> Response:
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


bp.register_error_handler(services.OffsetMismatch, offset_mismatch_response)


def upload_progress(upload: UploadSession, url: str) -> dict[str, Any]:
    """The JSON a client needs to carry on: the offset, and the evidence once finished."""
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


def _progress_response(upload: UploadSession, url: str, status: int) -> Response:
    response = jsonify(upload_progress(upload, url))
    response.status_code = status
    response.headers["Upload-Offset"] = str(upload.bytes_received)
    response.headers["Upload-Length"] = str(upload.size)
    response.headers["Cache-Control"] = "no-store"
    return response


def start_upload_response(
    actor: User, apprenticeship_id: int, payload: Any, status_endpoint: str
) -> Response:
    """Start a resumable upload from a JSON {filename, size} body; 201 with where to send parts.

    ``status_endpoint`` names the route of the session's URL (the page's or the API's).
    """
    apprenticeship = get_apprenticeship_or_404(actor, apprenticeship_id)
    if not isinstance(payload, dict):
        raise ValidationFailed('Send JSON like {"filename": "talk.mp4", "size": 123456}.')
    size = payload.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValidationFailed("Give the file's size in bytes as a whole number.", field="size")
    declared = repr_digest(", ".join(request.headers.getlist("Repr-Digest")) or None)
    storage = get_storage()
    config = current_app.config
    upload = services.start_upload(
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
        db.session.commit()  # here, not at the request's end: a failed one aborts the upload
    except BaseException:
        storage.abort_multipart(upload.storage_upload_id, upload.storage_key)
        raise
    url = url_for(status_endpoint, upload_id=upload.id)
    response = _progress_response(upload, url, 201)
    response.headers["Location"] = url
    return response


def upload_status_response(actor: User, upload_id: str, status_endpoint: str) -> Response:
    """Where a resumable upload is: its offset, and its evidence once finished."""
    upload = get_upload_or_404(actor, upload_id)
    return _progress_response(upload, url_for(status_endpoint, upload_id=upload.id), 200)


def _offset_header() -> int | None:
    value = request.headers.get("Upload-Offset")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ValidationFailed("Upload-Offset must be a byte count.", field="offset")
    return int(value)


def upload_part_response(actor: User, upload_id: str, status_endpoint: str) -> Response:
    """Take one part; on the last, finish the upload (201) or refuse it and clean up."""
    upload = get_upload_or_404(actor, upload_id)
    storage = get_storage()
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    services.receive_part(
        upload,
        storage=storage,
        offset=_offset_header(),
        stream=request.stream,
        content_length=request.content_length,
        max_bytes=max_bytes,
    )
    url = url_for(status_endpoint, upload_id=upload.id)
    if upload.bytes_received < upload.size:
        return _progress_response(upload, url, 200)
    written: list[str] = []
    try:
        with blobs_removed_on_failure(storage) as written:
            services.finish_upload(
                actor, upload, storage=storage, max_bytes=max_bytes, written=written
            )
            db.session.commit()  # inside the blob guard: a failed commit removes the blob
    except ShowcaseError as error:
        db.session.rollback()
        # Refused, or the parts were already joined (so there is nothing left to resume):
        # the session goes. Otherwise (storage briefly down) the client retries the last part.
        if error.status_code in FINAL_STATUSES or written:
            services.discard_upload(upload, storage=storage)
            db.session.commit()  # the refusal re-raised below rolls the request back
        raise
    return _progress_response(upload, url, 201)


@bp.post("/apprenticeships/<int:apprenticeship_id>/uploads")
@login_required
def create_upload(apprenticeship_id: int) -> Response:
    return start_upload_response(
        current_user, apprenticeship_id, request.get_json(silent=True), "evidence.upload_status"
    )


@bp.route("/uploads/<upload_id>", methods=["GET", "HEAD"])
@login_required
def upload_status(upload_id: str) -> Response:
    return upload_status_response(current_user, upload_id, "evidence.upload_status")


@bp.patch("/uploads/<upload_id>")
@login_required
def append_upload(upload_id: str) -> Response:
    return upload_part_response(current_user, upload_id, "evidence.upload_status")


# -- direct uploads to S3 (showcase.evidence.direct): the page's routes; the API has the same ---


def direct_upload_body(upload: UploadSession, blueprint: str) -> dict[str, Any]:
    """A direct upload's JSON (the page's and the API's): its progress and where to go next."""
    item = upload.evidence_id
    return {
        **direct.progress(upload, get_storage()),
        "url": url_for(f"{blueprint}.direct_upload_status", upload_id=upload.id),
        "complete_url": url_for(f"{blueprint}.complete_direct_upload", upload_id=upload.id),
        "evidence_url": url_for("evidence.show", evidence_id=item) if item else None,
    }


def start_direct_upload(actor: User, apprenticeship_id: int, filename: str, size: int) -> Any:
    """Start a direct upload (the page's and the API's shell; the caller answers)."""
    apprenticeship = get_apprenticeship_or_404(actor, apprenticeship_id)
    declared = repr_digest(", ".join(request.headers.getlist("Repr-Digest")) or None)
    config = current_app.config
    return direct.start(
        actor,
        apprenticeship,
        storage=get_storage(),
        filename=filename,
        size=size,
        max_bytes=config["MAX_UPLOAD_BYTES"],
        part_size=config["RESUMABLE_PART_BYTES"],
        sha256=declared.hex() if declared is not None else None,
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/direct-uploads")
@login_required
def create_direct_upload(apprenticeship_id: int) -> tuple[Response, int]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("size"), int):
        raise ValidationFailed('Send JSON like {"filename": "talk.mp4", "size": 123456}.')
    upload = start_direct_upload(
        current_user, apprenticeship_id, str(payload.get("filename") or ""), payload["size"]
    )
    return jsonify(direct_upload_body(upload, "evidence")), 201


@bp.get("/direct-uploads/<upload_id>")
@login_required
def direct_upload_status(upload_id: str) -> Response:
    upload = get_upload_or_404(current_user, upload_id)
    return jsonify(direct_upload_body(upload, "evidence"))


@bp.post("/direct-uploads/<upload_id>/parts/<int:number>")
@login_required
def direct_upload_part(upload_id: str, number: int) -> Response:
    upload = get_upload_or_404(current_user, upload_id)
    payload = request.get_json(silent=True) or {}
    sha256 = payload.get("sha256") if isinstance(payload, dict) else None
    return jsonify(direct.presign_part(upload, number, sha256, storage=get_storage()))


@bp.post("/direct-uploads/<upload_id>/complete")
@login_required
def complete_direct_upload(upload_id: str) -> tuple[Response, int]:
    upload = get_upload_or_404(current_user, upload_id)
    direct.complete(upload, storage=get_storage())
    return jsonify(direct_upload_body(upload, "evidence")), 202
