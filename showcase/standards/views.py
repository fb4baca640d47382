"""Readable, printable pages for standards, and their JSON."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from showcase import db
from showcase.errors import Forbidden
from showcase.standards import services
from showcase.standards.files import StandardFileError
from showcase.standards.forms import MAX_SUPPLEMENT_BYTES, SupplementForm
from showcase.standards.grading import grade_words, weighted_average_ceiling
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.permissions import can_manage_supplements, can_read_standards
from showcase.standards.supplements import ILLUSTRATIVE_LABEL, SupplementFile

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
        supplements=_supplement_views(standard),
        can_manage_supplements=can_manage_supplements(current_user),
        illustrative_label=ILLUSTRATIVE_LABEL,
    )


def _supplement_views(standard) -> list[dict]:
    """Each organisation's newest supplement, parsed, with its older versions' numbers."""
    newest: dict[int, dict] = {}
    for row in services.supplements_of(standard):  # newest version first per organisation
        if row.organisation_id in newest:
            newest[row.organisation_id]["older"].append(row)
            continue
        newest[row.organisation_id] = {
            "row": row,
            "file": SupplementFile.model_validate(row.document),
            "older": [],
        }
    return list(newest.values())


@bp.route("/standards/<code>/<version>/supplements", methods=["GET", "POST"])
@login_required
def supplements(code: str, version: str) -> str | Response:
    """An assessment organisation's administrator imports its own criteria for what the plan
    leaves missing; each upload is a new version, and older versions stay listed."""
    if not can_manage_supplements(current_user):
        raise Forbidden("Only an assessment organisation's administrator imports its criteria.")
    standard = get_standard_or_404(code, version)
    form = SupplementForm()
    problems: list[tuple[str, str]] = []
    if form.validate_on_submit():
        text, filename = _supplement_text(form)
        if text is None:
            form.file.errors = [filename]
        else:
            try:
                row, new = services.import_supplement(current_user, standard, text, filename)
            except StandardFileError as error:
                db.session.rollback()
                problems = list(error.problems)
                form.file.errors = ["The file was not imported: fix the problems listed."]
            else:
                flash(
                    f"Imported version {row.version} of your criteria for {standard.key}."
                    if new
                    else f"This file is the same as your version {row.version}; nothing changed.",
                    "success" if new else "info",
                )
                return redirect(url_for("standards.supplements", code=code, version=version))
    return render_template(
        "standards/supplements.html",
        standard=standard,
        form=form,
        problems=problems,
        versions=[
            r
            for r in services.supplements_of(standard)
            if r.organisation_id == current_user.organisation_id
        ],
        illustrative_label=ILLUSTRATIVE_LABEL,
    )


def _supplement_text(form: SupplementForm) -> tuple[str | None, str]:
    """The uploaded or pasted text and a filename; (None, why) when there is none to use."""
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        raw = upload.stream.read(MAX_SUPPLEMENT_BYTES + 1)
        if len(raw) > MAX_SUPPLEMENT_BYTES:
            return None, "The file is larger than 256 KB; a supplement is a few criteria."
        try:
            return raw.decode("utf-8"), upload.filename
        except UnicodeDecodeError:
            return None, "The file is not UTF-8 text: save it as a plain-text YAML file."
    if (form.text.data or "").strip():
        return form.text.data, "pasted text"
    return None, "Choose a supplement file, or paste its text."
