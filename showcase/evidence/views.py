"""Evidence pages: browse, upload (streamed), describe, tag, review, and the file itself."""

from __future__ import annotations

from urllib.parse import unquote

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.errors import FileTooLarge, Forbidden, ShowcaseError
from showcase.evidence import services
from showcase.evidence.forms import (
    EvidenceDetailsForm,
    FilterForm,
    ReviewForm,
    TagForm,
    WrittenEvidenceForm,
)
from showcase.evidence.loaders import (
    get_evidence_file_or_404,
    get_evidence_or_404,
    get_tag_or_404,
)
from showcase.evidence.models import EvidenceKind, TagStatus
from showcase.evidence.permissions import (
    can_add_evidence,
    can_edit_evidence,
    can_review_tags,
)
from showcase.evidence.serving import serve_stored_file
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.standards.services import doc_for
from showcase.storage import ACCEPTED, file_type, format_size
from showcase.storage.ingest import RequestBody
from showcase.storage_ext import get_storage
from showcase.web import flash_form_errors, form_post

bp = Blueprint("evidence", __name__)


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
    items = services.list_evidence(apprenticeship, filters)
    return render_template(
        "evidence/index.html",
        apprenticeship=apprenticeship,
        items=items,
        form=form,
        can_add=can_add_evidence(current_user, apprenticeship),
    )


@bp.route("/apprenticeships/<int:apprenticeship_id>/evidence/new", methods=["GET", "POST"])
@login_required
def new(apprenticeship_id: int) -> str | Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    written = WrittenEvidenceForm(prefix="written")
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
            db.session.commit()
            flash(f"“{item.title}” added. Now tag it to the criteria it shows.", "success")
            return redirect(url_for("evidence.show", evidence_id=item.id))
    if not can_add_evidence(current_user, apprenticeship):
        raise Forbidden("Only the apprentice adds evidence to their portfolio.")
    return render_template(
        "evidence/new.html",
        apprenticeship=apprenticeship,
        written=written,
        max_size=format_size(current_app.config["MAX_UPLOAD_BYTES"]),
        accepted=ACCEPTED,
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/evidence/upload")
@login_required
def upload(apprenticeship_id: int) -> Response:
    """Store uploads. Raw body (the page's script, one file per request) or multipart (no JS)."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    if request.content_length is not None and request.content_length > max_bytes + 1024 * 1024:
        raise FileTooLarge(
            f"That file is larger than the {format_size(max_bytes)} Showcase accepts."
        )
    storage = get_storage()
    if request.mimetype == "multipart/form-data":
        return _upload_form_files(apprenticeship, storage, max_bytes)
    filename = unquote(request.headers.get("X-Filename", "") or request.args.get("filename", ""))
    with services.blobs_removed_on_failure(storage) as written:
        item = services.add_evidence(
            current_user,
            apprenticeship,
            storage=storage,
            stream=RequestBody.of(request),
            filename=filename,
            max_bytes=max_bytes,
            written=written,
        )
        db.session.commit()
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


def _upload_form_files(apprenticeship: Apprenticeship, storage, max_bytes: int) -> Response:
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        flash("Choose at least one file to upload.", "error")
        return redirect(url_for("evidence.new", apprenticeship_id=apprenticeship.id))
    added = 0
    for upload in files:
        # Each file commits on its own: one refused file does not lose the others.
        try:
            with services.blobs_removed_on_failure(storage) as written:
                services.add_evidence(
                    current_user,
                    apprenticeship,
                    storage=storage,
                    stream=upload.stream,
                    filename=upload.filename,
                    max_bytes=max_bytes,
                    written=written,
                )
                db.session.commit()
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
    )


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
    db.session.commit()
    flash(f"“{item.title}” deleted.", "info")
    return redirect(url_for("evidence.index", apprenticeship_id=apprenticeship_id))


@bp.post("/evidence/<int:evidence_id>/tags")
@login_required
def add_tag(evidence_id: int) -> Response:
    item = get_evidence_or_404(current_user, evidence_id)
    form = TagForm(prefix="tag")
    form.reference.choices = unit_choices(item.apprenticeship)
    if form.validate_on_submit():
        with form_post():
            tag = services.tag_evidence(
                current_user, item, ref=form.reference.data, justification=form.justification.data
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
    db.session.commit()
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
