"""Sign-in, sign-out, invitations and password resets, the account page, API tokens, each
role's home page, and administration."""

from __future__ import annotations

from urllib.parse import urlsplit

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
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts import services
from showcase.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    EmptyForm,
    ForgotPasswordForm,
    OrganisationForm,
    ResetPasswordForm,
    SetPasswordForm,
    SignInForm,
    SignOutEverywhereForm,
    UserForm,
)
from showcase.accounts.loaders import get_managed_user_or_404, get_organisation_or_404
from showcase.accounts.login import roles_required
from showcase.accounts.models import (
    ApiToken,
    InvitationPurpose,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from showcase.errors import ShowcaseError
from showcase.extensions import limiter

bp = Blueprint("accounts", __name__)

#: Longer ``next`` targets are not followed (no page of ours has such a URL).
_MAX_NEXT_LENGTH = 2048


def _me() -> User:
    """The signed-in user itself, not Flask-Login's proxy (the audit records the type of what
    it is given, and the proxy's own type is LocalProxy)."""
    return current_user._get_current_object()


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _forgot_password_limit() -> str:
    return current_app.config["FORGOT_PASSWORD_RATE_LIMIT"]


def _forgot_password_email() -> str:
    # A second count per address asked about, so nobody floods one mailbox from many clients.
    return "forgot:" + services.normalise_email(request.form.get("email", ""))[:254]


def safe_next(target: str | None) -> str | None:
    """``target`` as the Location header will carry it, if that is a path on this site.

    Judged after the normalisation the header gets (IRI to URI), and refusing what browsers
    rewrite before they resolve a URL: they drop tabs and newlines (so ``/\\t/evil.example``
    becomes ``//evil.example``) and read a backslash as a slash. CR and LF would also break
    the header itself.
    """
    if not target or len(target) > _MAX_NEXT_LENGTH:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    location = iri_to_uri(target)
    if not location.startswith("/") or location.startswith("//"):
        return None
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return None
    return location


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            error = (
                "That email and password do not match an active account. Check both and try again."
            )
        elif user.must_reset_password:
            db.session.rollback()
            error = (
                "Your administrator has asked you to choose a new password. Use the link in the "
                "email we sent you, or choose 'Forgot your password?' below for a new one."
            )
        else:
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    status = 401 if error else 200
    return render_template("accounts/sign_in.html", form=form, error=error), status


@bp.route("/sign-in/forgot", methods=["GET", "POST"])
@limiter.limit(_forgot_password_limit, methods=["POST"])
@limiter.limit(_forgot_password_limit, methods=["POST"], key_func=_forgot_password_email)
def forgot_password() -> str:
    form = ForgotPasswordForm()
    sent_to = None
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data, ttl_hours=current_app.config["PASSWORD_RESET_TTL_HOURS"]
        )
        sent_to = form.email.data.strip()
        form = ForgotPasswordForm(formdata=None)
    return render_template("accounts/forgot_password.html", form=form, sent_to=sent_to)


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response:
    return _set_password_page(token, InvitationPurpose.INVITATION)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    return _set_password_page(token, InvitationPurpose.PASSWORD_RESET)


def _set_password_page(token: str, purpose: InvitationPurpose) -> str | Response:
    invitation = services.find_invitation(token, purpose)
    # Someone who had a password may have API tokens: offer to revoke them, on by default.
    offers_revoke = purpose is InvitationPurpose.PASSWORD_RESET or bool(
        invitation.user.password_hash
    )
    form = ResetPasswordForm() if offers_revoke else SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                token,
                form.password.data,
                purpose=purpose,
                revoke_tokens=offers_revoke and form.revoke_tokens.data,
            )
        except ShowcaseError as error:
            db.session.rollback()
            if error.field != "password":
                raise
            form.password.errors = [error.message]
        else:
            logout_user()
            session.clear()
            login_user(user)
            flash("Your password is set. Welcome to Showcase.", "success")
            return redirect(url_for("home.index"))
    return render_template(
        "accounts/accept_invitation.html",
        form=form,
        invited=invitation.user,
        purpose=purpose.value,
        offers_revoke=offers_revoke,
    )


def managed_organisations(user: User) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not user.is_platform_admin:
        stmt = stmt.where(Organisation.id == user.organisation_id)
    return list(db.session.scalars(stmt))


# ---- the signed-in person's own account --------------------------------------------


def _account_page(
    password_form: ChangePasswordForm | None = None,
    everywhere_form: SignOutEverywhereForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "accounts/account.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        everywhere_form=everywhere_form or SignOutEverywhereForm(formdata=None),
    ), status


@bp.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                _me(), current=form.current_password.data, new=form.password.data
            )
        except ShowcaseError as error:
            db.session.rollback()
            if error.field not in ("password", "current_password"):
                raise
            getattr(form, error.field).errors = [error.message]
        else:
            user = _me()
            # The change ended every session, this one too: start a fresh one here.
            session.clear()
            login_user(user)
            flash("Your password is changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("accounts.account"))
    return _account_page(password_form=form, status=422)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    form = SignOutEverywhereForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.account"))
    revoked = services.sign_out_everywhere(_me(), revoke_tokens=form.revoke_tokens.data)
    logout_user()
    session.clear()
    flash(
        "You have signed out everywhere"
        + (f" and revoked {revoked} API token{'s' if revoked != 1 else ''}." if revoked else "."),
        "info",
    )
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> str:
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_api_token(_me(), name=form.name.data)
        form = ApiTokenForm(formdata=None)
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "accounts/tokens.html",
        form=form,
        tokens=tokens,
        new_token=new_token,
        revoke=EmptyForm(),
        now=db.utcnow(),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        services.revoke_api_token(_me(), token_id)
        flash("Token revoked.", "info")
    return redirect(url_for("accounts.api_tokens"))


# ---- administration ------------------------------------------------------------------


@bp.route("/admin/organisations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisations() -> str | Response:
    form = OrganisationForm()
    if current_user.is_platform_admin and form.validate_on_submit():
        org = services.create_organisation(
            current_user, name=form.name.data, kind=OrganisationKind(form.kind.data)
        )
        flash(f"{org.name} created.", "success")
        return redirect(url_for("accounts.organisation", organisation_id=org.id))
    return render_template(
        "admin/organisations.html", organisations=managed_organisations(current_user), form=form
    )


@bp.route("/admin/organisations/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisation(organisation_id: int) -> str | Response:
    org = get_organisation_or_404(current_user, organisation_id)
    form = UserForm()
    form.organisation_id.choices = [SelectChoice(org.id, org.name)]
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
            services.send_invitation(
                current_user, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
            )
            flash(f"{user.name} added. Invitation sent to {user.email}.", "success")
            form = UserForm(formdata=None)
            form.organisation_id.choices = [SelectChoice(org.id, org.name)]
    people = db.session.scalars(
        select(User).where(User.organisation_id == org.id).order_by(User.role, User.name)
    ).all()
    return render_template(
        "admin/organisation.html", organisation=org, people=people, form=form, action=EmptyForm()
    )


def _back_to(user: User) -> Response:
    if user.organisation_id is None:
        return redirect(url_for("accounts.organisations"))
    return redirect(url_for("accounts.organisation", organisation_id=user.organisation_id))


@bp.post("/admin/users/<int:user_id>/invite")
@roles_required(Role.ADMIN)
def reinvite(user_id: int) -> Response:
    user = get_managed_user_or_404(current_user, user_id)
    if EmptyForm().validate_on_submit():
        services.send_invitation(
            current_user, user, ttl_hours=current_app.config["INVITATION_TTL_HOURS"]
        )
        flash(f"Invitation sent to {user.email}.", "success")
    return _back_to(user)


@bp.post("/admin/users/<int:user_id>/reset-password")
@roles_required(Role.ADMIN)
def force_password_reset(user_id: int) -> Response:
    user = get_managed_user_or_404(current_user, user_id)
    if EmptyForm().validate_on_submit():
        services.force_password_reset(
            current_user, user, ttl_hours=current_app.config["PASSWORD_RESET_TTL_HOURS"]
        )
        flash(
            f"{user.name} has been signed out and emailed a link to choose a new password "
            f"({user.email}).",
            "success",
        )
    return _back_to(user)
