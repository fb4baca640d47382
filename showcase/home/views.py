"""Each role's home page."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request, session
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from showcase.accounts.models import Role, User
from showcase.accounts.views import managed_organisations
from showcase.assessment.loaders import assessments_for
from showcase.assessment.stage import Standing, standing_of
from showcase.home.todo import actionable, marking_url, todo_for
from showcase.portfolios.services import list_apprenticeships

bp = Blueprint("home", __name__)
log = logging.getLogger(__name__)

#: The navigation's count is kept in the (signed) session for this long, so pages other than
#: home do not each re-read the whole list; the home page and any change you make refresh it.
TODO_COUNT_TTL_SECONDS = 60


@bp.get("/")
@login_required
def index() -> str:
    user: User = current_user
    today = dt.date.today()
    todo = todo_for(user, today)
    _remember_count(user, actionable(todo))
    context: dict = {
        "apprenticeships": list_apprenticeships(user),
        "assessments": assessments_for(user),
        "todo": todo,
        "today": today,
        "marking_url": marking_url(),
    }
    if user.role is Role.ADMIN:
        context["organisations"] = managed_organisations(user)
    return render_template(f"home/{user.role.value}.html", **context)


def _remember_count(user: User, count: int) -> None:
    session["todo_count"] = [user.id, count, int(time.time())]


def _todo_count() -> int:
    """The signed-in person's to-do count for the navigation (cached briefly; see above)."""
    if not current_user.is_authenticated:
        return 0
    cached = session.get("todo_count")
    fresh = (
        isinstance(cached, list)
        and len(cached) == 3
        and cached[0] == current_user.id
        and time.time() - cached[2] < TODO_COUNT_TTL_SECONDS
        and request.method == "GET"
    )
    if fresh:
        return int(cached[1])
    try:
        count = actionable(todo_for(current_user))
    except SQLAlchemyError:
        # A badge is not worth a failed page (error pages render this header too).
        log.warning("to-do count failed", exc_info=True)
        return 0
    _remember_count(current_user, count)
    return count


@bp.after_app_request
def _forget_count_after_change(response: Response) -> Response:
    """Any change you make may change your list: the next page counts afresh."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and "todo_count" in session:
        session.pop("todo_count", None)
    return response


@bp.app_context_processor
def _navigation() -> dict[str, Callable[..., Any]]:
    """``todo_count()`` for base.html and ``standing_of_apprenticeship()`` for pages that show
    where an apprenticeship stands (one query each, only when a template asks)."""

    def standing_of_apprenticeship(apprenticeship_id: int) -> Standing:
        return standing_of(apprenticeship_id)

    return {"todo_count": _todo_count, "standing_of_apprenticeship": standing_of_apprenticeship}


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement: public, at a stable address, linked from every footer."""
    return render_template("accessibility.html")
