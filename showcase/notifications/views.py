"""/notifications: the list, marking read, the email settings, and unsubscribing by link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from showcase.extensions import csrf
from showcase.notifications import services
from showcase.notifications.forms import EmptyForm, UnsubscribeForm, settings_form
from showcase.notifications.models import KINDS

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> str:
    return render_template(
        "notifications/index.html",
        notifications=services.list_notifications(current_user),
        form=EmptyForm(),
        kinds=KINDS,
    )


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        services.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def mark_all_read() -> Response:
    if EmptyForm().validate_on_submit():
        count = services.mark_all_read(current_user)
        flash(f"Marked {count} notification{'' if count == 1 else 's'} read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> Response | str:
    form = settings_form(services.preferences(current_user))
    if form.validate_on_submit():
        services.set_preferences(current_user, form.modes())
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=KINDS)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> str:
    """No sign-in: GET shows one button (link scanners fetch GETs, so a GET changes nothing);
    POST, from that button or a mail client's one-click (RFC 8058), turns the emails off."""
    user, scope = services.read_unsubscribe_token(token)
    form = UnsubscribeForm()
    done = False
    if form.validate_on_submit():
        services.unsubscribe(user, scope)
        done = True
    return render_template(
        "notifications/unsubscribe.html",
        form=form,
        done=done,
        what=services.scope_label(scope),
    )
