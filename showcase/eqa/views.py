"""External quality assurance pages: the admins' grants page, and the audit of every page an
external quality assurer views. They read granted versions on the ordinary showcase page and
export them as anyone who may read them does (the read check accepts a live grant)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from showcase import db
from showcase.accounts.models import Role, User
from showcase.audit.services import record
from showcase.eqa import services
from showcase.eqa.permissions import is_assessment_admin
from showcase.errors import NotFound, ShowcaseError
from showcase.submissions.models import AccessGrant

bp = Blueprint("eqa", __name__)

#: Requests that read: their transaction is rolled back at the request's end (showcase.db).
_READS = ("GET", "HEAD")


def _admin_or_404() -> User:
    user: User = current_user
    if not is_assessment_admin(user):
        raise NotFound("No such page.")
    return user


@bp.get("/admin/eqa")
@login_required
def grants() -> str:
    return _grants_page(_admin_or_404())


def _grants_page(admin: User, status: int = 200) -> tuple[str, int] | str:
    page = render_template(
        "eqa/grants.html",
        grants=services.grants_of_organisation(admin),
        submissions=services.grantable_submissions(admin),
        now=db.utcnow(),
        max_days=services.MAX_DAYS,
        form=request.form,
    )
    return (page, status) if status != 200 else page


@bp.post("/admin/eqa")
@login_required
def grant() -> Response | tuple[str, int] | str:
    admin = _admin_or_404()
    days = request.form.get("days", "")
    try:
        made = services.grant_access(
            admin,
            email=request.form.get("email", ""),
            name=request.form.get("name", ""),
            submission_ids=[int(v) for v in request.form.getlist("submission") if v.isdigit()],
            days=int(days) if days.isdigit() else 0,
            invitation_ttl_hours=current_app.config["INVITATION_TTL_HOURS"],
        )
    except ShowcaseError as error:
        if error.status_code != 422:
            raise
        # The page again with what was wrong and what was typed, answered 422; nothing kept.
        db.session.rollback()
        flash(error.message, "error")
        return _grants_page(admin, status=422)
    person = made[0].user
    flash(
        f"{person.name} can read {len(made)} showcase version{'s' if len(made) != 1 else ''} "
        f"until {made[0].expires_at.strftime('%-d %B %Y')}"
        + (" (invitation sent)." if person.password_hash is None else "."),
        "success",
    )
    return redirect(url_for("eqa.grants"))


@bp.post("/admin/eqa/<int:grant_id>/revoke")
@login_required
def revoke(grant_id: int) -> Response:
    revoked = services.revoke_access(_admin_or_404(), grant_id)
    flash(f"Access for {revoked.user.name} revoked.", "success")
    return redirect(url_for("eqa.grants"))


@bp.app_template_global()
def my_access_grants() -> list[AccessGrant]:
    """The signed-in external quality assurer's live grants, for their home page."""
    user: User = current_user
    if not user.is_authenticated or user.role is not Role.EXTERNAL_QUALITY_ASSURER:
        return []
    return services.live_grants(user)


@bp.app_template_global()
def may_grant_external_access() -> bool:
    """For the navigation's link to the grants page."""
    return current_user.is_authenticated and is_assessment_admin(current_user)


@bp.after_app_request
def audit_page_view(response: Response) -> Response:
    """Record every page an external quality assurer views (``eqa.viewed``, with the path and
    the answer's status), refusals included.

    A page view is a GET, whose transaction the request's end rolls back, so the entry is
    committed here; anything else the GET left in the session is rolled back first (the
    request's end would discard it anyway), so this commit carries only the entry. Registered
    after init_db, this hook runs before the request's end. A failed commit fails the page:
    a view that cannot be recorded is not shown.
    """
    if request.method not in _READS or request.endpoint == "static":
        return response
    user = current_user
    if not user.is_authenticated or user.role is not Role.EXTERNAL_QUALITY_ASSURER:
        return response
    db.session.rollback()
    record(
        user, "eqa.viewed", None, path=request.full_path.rstrip("?"), status=response.status_code
    )
    db.session.commit()
    return response
