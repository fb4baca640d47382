"""Sign-in, sign-out, invitations, API tokens, each role's home page, and administration."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts import services
from showcase.accounts.forms import (
    ApiTokenForm,
    EmptyForm,
    OrganisationForm,
    SetPasswordForm,
    SignInForm,
    UserForm,
)
from showcase.accounts.login import roles_required
from showcase.accounts.models import ApiToken, Organisation, OrganisationKind, Role, User
from showcase.accounts.permissions import can_manage_organisation
from showcase.errors import NotFound, ShowcaseError
from showcase.extensions import limiter

bp = Blueprint("accounts", __name__)


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _is_safe_next(target: str | None) -> bool:
    # Only same-site relative paths: never "//evil.example" or "https://…".
    return bool(target) and target.startswith("/") and not target.startswith("//")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            error = (
                "That email and password do not match an active account. Check both and try again."
            )
        else:
            db.session.commit()
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user, remember=form.remember.data)
            target = request.args.get("next")
            return redirect(target if _is_safe_next(target) else url_for("accounts.home"))
    status = 401 if error else 200
    return render_template("accounts/sign_in.html", form=form, error=error), status


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response:
    invitation = services.find_invitation(token)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data)
        except ShowcaseError as error:
            db.session.rollback()
            form.password.errors = [error.message]
        else:
            db.session.commit()
            logout_user()
            session.clear()
            login_user(user)
            flash("Your password is set. Welcome to Showcase.", "success")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/accept_invitation.html", form=form, invited=invitation.user)


@bp.get("/")
@login_required
def home() -> str:
    from showcase.assessment.views import assessments_for
    from showcase.portfolios.services import list_apprenticeships

    user: User = current_user
    context: dict = {
        "apprenticeships": list_apprenticeships(user),
        "assessments": assessments_for(user),
    }
    if user.role is Role.ADMIN:
        context["organisations"] = _managed_organisations(user)
    return render_template(f"home/{user.role.value}.html", **context)


def _managed_organisations(user: User) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not user.is_platform_admin:
        stmt = stmt.where(Organisation.id == user.organisation_id)
    return list(db.session.scalars(stmt))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> str:
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_api_token(current_user, name=form.name.data)
        db.session.commit()
        form = ApiTokenForm(formdata=None)
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "accounts/tokens.html", form=form, tokens=tokens, new_token=new_token, revoke=EmptyForm()
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        services.revoke_api_token(current_user, token_id)
        db.session.commit()
        flash("Token revoked.", "info")
    return redirect(url_for("accounts.api_tokens"))


# ---- administration ------------------------------------------------------------------


def get_organisation_or_404(user: User, organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not can_manage_organisation(user, organisation):
        raise NotFound("No such organisation among those you administer.")
    return organisation


@bp.route("/admin/organisations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisations() -> str | Response:
    form = OrganisationForm()
    if current_user.is_platform_admin and form.validate_on_submit():
        org = services.create_organisation(
            current_user, name=form.name.data, kind=OrganisationKind(form.kind.data)
        )
        db.session.commit()
        flash(f"{org.name} created.", "success")
        return redirect(url_for("accounts.organisation", organisation_id=org.id))
    return render_template(
        "admin/organisations.html", organisations=_managed_organisations(current_user), form=form
    )


@bp.route("/admin/organisations/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisation(organisation_id: int) -> str | Response:
    org = get_organisation_or_404(current_user, organisation_id)
    form = UserForm()
    form.organisation_id.choices = [SelectChoice(org.id, org.name)]
    invitation_link = None
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                organisation=org,
            )
        except ShowcaseError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            token = services.issue_invitation(
                current_user, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
            )
            db.session.commit()
            invitation_link = url_for("accounts.accept_invitation", token=token, _external=True)
            flash(f"{user.name} added. Send them the invitation link below.", "success")
            form = UserForm(formdata=None)
            form.organisation_id.choices = [SelectChoice(org.id, org.name)]
    people = db.session.scalars(
        select(User).where(User.organisation_id == org.id).order_by(User.role, User.name)
    ).all()
    return render_template(
        "admin/organisation.html",
        organisation=org,
        people=people,
        form=form,
        invitation_link=invitation_link,
        reinvite=EmptyForm(),
    )


@bp.post("/admin/users/<int:user_id>/invite")
@roles_required(Role.ADMIN)
def reinvite(user_id: int) -> str | Response:
    user = db.session.get(User, user_id)
    if user is None or user.organisation is None:
        raise NotFound("No such person among those you administer.")
    get_organisation_or_404(current_user, user.organisation.id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("accounts.organisation", organisation_id=user.organisation.id))
    token = services.issue_invitation(
        current_user, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
    )
    db.session.commit()
    link = url_for("accounts.accept_invitation", token=token, _external=True)
    flash(f"New invitation link for {user.name}: {link}", "success")
    return redirect(url_for("accounts.organisation", organisation_id=user.organisation.id))
