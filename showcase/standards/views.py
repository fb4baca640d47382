"""Readable, printable pages for standards, and their JSON."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from showcase.standards import services

bp = Blueprint("standards", __name__)


@bp.get("/standards")
@login_required
def index() -> str:
    return render_template("standards/index.html", standards=services.list_standards())


@bp.get("/standards/<code>/<version>")
@login_required
def show(code: str, version: str) -> str:
    standard = services.get_standard_or_404(code, version)
    return render_template("standards/show.html", standard=standard, doc=services.doc_for(standard))
