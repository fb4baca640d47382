"""Readable, printable pages for standards, and their JSON."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from showcase.errors import Forbidden
from showcase.standards import services
from showcase.standards.grading import grade_words, weighted_average_ceiling
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.permissions import can_read_standards

bp = Blueprint("standards", __name__)

# Every page and export prints a recorded grade through this filter, so none shows a bare
# "pass" where the distinction could not be determined: {{ a.final_grade|grade_words(a.result) }}.
bp.add_app_template_filter(grade_words, "grade_words")


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
    doc = services.doc_for(standard)
    return render_template(
        "standards/show.html",
        standard=standard,
        doc=doc,
        ceiling=weighted_average_ceiling(doc),
    )
