"""Witness pages: asking for a statement, the witness register, a statement's signature record
and its verification (signed in), and the witness's own one-time link (no account)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from showcase import db
from showcase.accounts.models import User
from showcase.errors import Forbidden, NotFound, ShowcaseError
from showcase.evidence.views import check_upload_size
from showcase.extensions import limiter
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards.services import doc_for
from showcase.storage import blobs_removed_on_failure
from showcase.storage.serving import serve_stored_file
from showcase.storage_ext import get_scanner, get_storage
from showcase.witnesses import services
from showcase.witnesses.forms import DeclineForm, RequestForm, SignForm
from showcase.witnesses.loaders import (
    get_register_apprenticeship_or_404,
    get_request_or_404,
    get_signature_or_404,
)
from showcase.witnesses.models import WitnessRequest, WitnessSignature
from showcase.witnesses.permissions import (
    can_manage_request,
    can_request_statement,
    is_party,
)

bp = Blueprint("witnesses", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _link_days() -> float:
    return float(current_app.config["WITNESS_LINK_DAYS"])


def _witness_limit() -> str:
    return current_app.config["WITNESS_RATE_LIMIT"]


def _field_error(form, error: ShowcaseError, default: str) -> None:
    """Show a refusal beside the field it is about (or the form's main field)."""
    target = getattr(form, error.field or default, None) or getattr(form, default)
    target.errors = [*target.errors, error.message] if target.errors else [error.message]


# -- the register, asking, resending, withdrawing -----------------------------------------------


@bp.get("/apprenticeships/<int:apprenticeship_id>/witnesses")
@login_required
def register(apprenticeship_id: int) -> str:
    apprenticeship = get_register_apprenticeship_or_404(current_user, apprenticeship_id)
    return render_template(
        "witnesses/register.html",
        apprenticeship=apprenticeship,
        witnesses=services.register(apprenticeship),
        can_request=can_request_statement(current_user, apprenticeship),
        can_manage=can_manage_request,
        party=is_party(current_user, apprenticeship),
        now=db.utcnow(),
    )


def _units(apprenticeship) -> list[tuple[str, list]]:
    """The standard's units grouped by module, for the checkboxes."""
    groups: dict[str, list] = {}
    for unit in doc_for(apprenticeship.standard).units():
        groups.setdefault(unit.module_title, []).append(unit)
    return list(groups.items())


@bp.route("/apprenticeships/<int:apprenticeship_id>/witnesses/new", methods=["GET", "POST"])
@login_required
def new_request(apprenticeship_id: int) -> str | Response | tuple[str, int]:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    if not can_request_statement(current_user, apprenticeship):
        raise Forbidden("Only the apprentice or their tutor asks for witness statements.")
    form = RequestForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        details = services.RequestDetails(
            witness_name=form.witness_name.data or "",
            witness_email=form.witness_email.data or "",
            witness_role=form.witness_role.data or "",
            witness_relationship=form.witness_relationship.data or "",
            witness_organisation=form.witness_organisation.data or "",
            unit_refs=form.unit_refs.data or [],
            activity_date=form.activity_date.data,
            note=form.note.data or "",
        )
        try:
            made = services.request_statement(
                _me(), apprenticeship, details, link_days=_link_days()
            )
        except ShowcaseError as error:
            db.session.rollback()
            if error.status_code != 422:
                raise
            _field_error(form, error, "witness_name")
            status = 422
        else:
            flash(
                f"Request sent to {made.witness_name} at {made.witness_email}. The link works "
                f"until {made.expires_at:%-d %B %Y}.",
                "success",
            )
            return redirect(url_for("witnesses.register", apprenticeship_id=apprenticeship.id))
    elif request.method == "POST":
        status = 422
        if form.activity_date.errors:
            form.activity_date.errors = ["Enter the date as day, month and year."]
    return render_template(
        "witnesses/new.html",
        apprenticeship=apprenticeship,
        form=form,
        units=_units(apprenticeship),
        chosen=set(form.unit_refs.data or []),
        link_days=int(_link_days()),
    ), status


@bp.post("/witness-requests/<int:request_id>/resend")
@login_required
def resend(request_id: int) -> Response:
    witness_request = get_request_or_404(current_user, request_id)
    services.resend_request(_me(), witness_request, link_days=_link_days())
    flash(
        f"A new link was sent to {witness_request.witness_email}; the earlier one no longer works.",
        "success",
    )
    return redirect(
        url_for("witnesses.register", apprenticeship_id=witness_request.apprenticeship_id)
    )


@bp.post("/witness-requests/<int:request_id>/revoke")
@login_required
def revoke(request_id: int) -> Response:
    witness_request = get_request_or_404(current_user, request_id)
    services.revoke_request(_me(), witness_request)
    flash(f"The request to {witness_request.witness_name} is withdrawn.", "info")
    return redirect(
        url_for("witnesses.register", apprenticeship_id=witness_request.apprenticeship_id)
    )


# -- a signed statement: its record, its PDF, verification --------------------------------------


@bp.get("/witness-statements/<int:evidence_id>")
@login_required
def statement(evidence_id: int) -> str:
    signature = get_signature_or_404(current_user, evidence_id)
    return render_template(
        "witnesses/statement.html",
        signature=signature,
        units=services.units_in_words(signature.request),
        result=None,
        party=is_party(current_user, signature.request.apprenticeship),
    )


@bp.get("/witness-statements/<int:evidence_id>/verify")
@login_required
def verify(evidence_id: int) -> str:
    signature = get_signature_or_404(current_user, evidence_id)
    return render_template(
        "witnesses/statement.html",
        signature=signature,
        units=services.units_in_words(signature.request),
        result=services.verify_signature(signature, get_storage()),
        party=is_party(current_user, signature.request.apprenticeship),
    )


@bp.get("/witness-statements/<int:evidence_id>/file")
@login_required
def file(evidence_id: int) -> Response:
    """The statement's attached file, for everyone who reads the register (assessors too)."""
    signature = get_signature_or_404(current_user, evidence_id)
    if signature.evidence.file is None:
        raise NotFound("This statement has no attached file.")
    return serve_stored_file(
        get_storage(), signature.evidence.file, want_inline=request.args.get("inline") == "1"
    )


@bp.app_template_global()
def witness_signature_of(evidence_id: int) -> WitnessSignature | None:
    """The signature of a witness statement (evidence pages, the assessor's showcase)."""
    return services.signature_for_evidence(evidence_id)


@bp.app_template_global()
def witness_signatures_of(evidence_ids: list[int]) -> dict[int, WitnessSignature]:
    """The signatures of the witness statements among these items (one query for a page)."""
    return services.signatures_for_evidence(evidence_ids)


@bp.get("/witness-statements/<int:evidence_id>/pdf")
@login_required
def pdf(evidence_id: int) -> Response:
    signature = get_signature_or_404(current_user, evidence_id)
    if signature.pdf_file is None:
        raise NotFound("This statement has no PDF copy.")
    return serve_stored_file(
        get_storage(), signature.pdf_file, want_inline=request.args.get("inline") == "1"
    )


# -- the witness's one-time link: no account, nothing but what was asked -----------------------


def _gone(error: ShowcaseError) -> tuple[str, int]:
    db.session.rollback()
    return render_template("witnesses/link_gone.html", message=error.message), error.status_code


def _witness_page(
    witness_request: WitnessRequest,
    token: str,
    sign_form: SignForm | None = None,
    decline_form: DeclineForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    apprentice = witness_request.apprenticeship.apprentice.name
    if sign_form is None:
        sign_form = SignForm(formdata=None)
        sign_form.signer_name.data = witness_request.witness_name
        sign_form.signer_role.data = witness_request.witness_role
        sign_form.signer_relationship.data = witness_request.witness_relationship
        sign_form.signer_organisation.data = witness_request.witness_organisation
    return render_template(
        "witnesses/witness.html",
        witness_request=witness_request,
        token=token,
        apprentice=apprentice,
        units=services.units_in_words(witness_request),
        form=sign_form,
        decline_form=decline_form or DeclineForm(formdata=None),
        declaration=services.declaration_for(apprentice),
        statement_max=services.STATEMENT_MAX,
    ), status


def _client() -> services.ClientInfo:
    return services.ClientInfo(
        address=request.remote_addr or "unknown",
        user_agent=request.headers.get("User-Agent", ""),
    )


@bp.get("/witness/<token>")
@limiter.limit(_witness_limit)
def open_link(token: str) -> tuple[str, int]:
    try:
        witness_request = services.find_request(token)
    except (services.LinkGone, NotFound) as error:
        return _gone(error)
    return _witness_page(witness_request, token)


def _signer(form: SignForm) -> services.SignerDetails:
    return services.SignerDetails(
        name=form.signer_name.data or "",
        role=form.signer_role.data or "",
        relationship=form.signer_relationship.data or "",
        organisation=form.signer_organisation.data or "",
        typed_signature=form.typed_signature.data or "",
        declaration=bool(form.declaration.data),
    )


@bp.post("/witness/<token>/sign")
@limiter.limit(_witness_limit)
def sign(token: str) -> tuple[str, int]:
    try:
        witness_request = services.find_request(token)
    except (services.LinkGone, NotFound) as error:
        return _gone(error)
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    check_upload_size(max_bytes)
    form = SignForm()
    if not form.validate_on_submit():
        return _witness_page(witness_request, token, sign_form=form, status=400)
    upload = request.files.get("file")
    if upload is not None and not upload.filename:
        upload = None
    storage = get_storage()
    try:
        with blobs_removed_on_failure(storage) as written:
            signature = services.sign_statement(
                witness_request,
                statement=form.statement.data or "",
                signer=_signer(form),
                client=_client(),
                storage=storage,
                written=written,
                upload=upload.stream if upload else None,
                filename=upload.filename if upload else None,
                max_bytes=max_bytes,
                scanner=get_scanner(),
            )
            db.session.commit()  # inside the blob guard: a failed commit removes the blobs
    except services.LinkGone as error:
        return _gone(error)
    except ShowcaseError as error:
        db.session.rollback()
        if error.status_code not in (413, 415, 422):
            raise
        _field_error(form, error, "statement" if error.field != "file" else "file")
        return _witness_page(witness_request, token, sign_form=form, status=error.status_code)
    return render_template(
        "witnesses/thanks.html",
        signed=True,
        apprentice=witness_request.apprenticeship.apprentice.name,
        statement_sha256=signature.statement_sha256,
    ), 200


@bp.post("/witness/<token>/decline")
@limiter.limit(_witness_limit)
def decline(token: str) -> tuple[str, int]:
    try:
        witness_request = services.find_request(token)
    except (services.LinkGone, NotFound) as error:
        return _gone(error)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _witness_page(witness_request, token, decline_form=form, status=400)
    try:
        services.decline(witness_request, reason=form.reason.data or "", client=_client())
    except services.LinkGone as error:
        return _gone(error)
    except ShowcaseError as error:
        db.session.rollback()
        if error.status_code != 422:
            raise
        form.reason.errors = [error.message]
        return _witness_page(witness_request, token, decline_form=form, status=422)
    return render_template(
        "witnesses/thanks.html",
        signed=False,
        apprentice=witness_request.apprenticeship.apprentice.name,
        statement_sha256=None,
    ), 200
