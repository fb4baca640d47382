"""Readable, printable pages for standards, and their JSON."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from showcase.errors import Forbidden
from showcase.standards import services
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.permissions import can_read_standards

bp = Blueprint("standards", __name__)


def _ensure_reader() -> None:
    if not can_read_standards(current_user):
        raise Forbidden("Sign in to read the standards.")


@bp.get("/standards")
@login_required
def index() -> str:
    _ensure_reader()
    return render_template("standards/index.html", standards=services.list_standards())


@bp.get("/standards/<code>/<version>")
@login_required
def show(code: str, version: str) -> str:
    _ensure_reader()
    standard = get_standard_or_404(code, version)
    return render_template("standards/show.html", standard=standard, doc=services.doc_for(standard))
