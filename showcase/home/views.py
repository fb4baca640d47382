"""Each role's home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from showcase.accounts.models import Role, User
from showcase.accounts.views import managed_organisations
from showcase.assessment.loaders import assessments_for
from showcase.portfolios.services import list_apprenticeships

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    user: User = current_user
    context: dict = {
        "apprenticeships": list_apprenticeships(user),
        "assessments": assessments_for(user),
    }
    if user.role is Role.ADMIN:
        context["organisations"] = managed_organisations(user)
    return render_template(f"home/{user.role.value}.html", **context)
