"""The showcase page: choose evidence, gateway checklist, sign-offs, submit and lock, verify."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import exists, select
from werkzeug.wrappers import Response

from showcase import db
from showcase.errors import ShowcaseError
from showcase.evidence.services import EvidenceFilter, list_evidence
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services
from showcase.submissions.loaders import get_submission_or_404
from showcase.submissions.models import Submission
from showcase.submissions.permissions import (
    can_edit_submission,
    can_read_submission,
    can_sign_off,
    signoff_role,
)
from showcase.web import form_post

bp = Blueprint("submissions", __name__)


def _back(submission: Submission) -> Response:
    return redirect(url_for("submissions.show", submission_id=submission.id))


@bp.get("/apprenticeships/<int:apprenticeship_id>/showcase")
@login_required
def latest(apprenticeship_id: int) -> Response | str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    versions = services.versions(apprenticeship)
    if versions:
        return redirect(url_for("submissions.show", submission_id=versions[0].id))
    return render_template(
        "submissions/none.html",
        apprenticeship=apprenticeship,
        is_apprentice=current_user.id == apprenticeship.apprentice_id,
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/showcase/start")
@login_required
def start(apprenticeship_id: int) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    draft = services.start_version(current_user, apprenticeship)
    return _back(draft)


@bp.get("/submissions/<int:submission_id>")
@login_required
def show(submission_id: int) -> str:
    submission = get_submission_or_404(current_user, submission_id)
    apprenticeship = submission.apprenticeship
    editable = can_edit_submission(current_user, submission)
    portfolio = list_evidence(apprenticeship, EvidenceFilter()) if editable else []
    return render_template(
        "submissions/show.html",
        submission=submission,
        apprenticeship=apprenticeship,
        # Only the versions, and the portfolio link, this reader may open (an external quality
        # assurer holds a grant to chosen versions; an assessment organisation's admin sees no
        # portfolio).
        versions=[
            v for v in services.versions(apprenticeship) if can_read_submission(current_user, v)
        ],
        portfolio_visible=db.session.scalar(
            select(
                exists().where(
                    Apprenticeship.id == apprenticeship.id, visible_apprenticeships(current_user)
                )
            )
        ),
        checklist=None if submission.is_locked else services.checklist(submission),
        editable=editable,
        portfolio=portfolio,
        chosen={item.evidence_id for item in submission.items},
        can_sign=can_sign_off(current_user, submission),
        my_role=signoff_role(current_user, apprenticeship),
        declaration=services.DECLARATION.format(apprentice=apprenticeship.apprentice.name),
        organisations=services.assessment_organisations(),
    )


@bp.post("/submissions/<int:submission_id>/items")
@login_required
def choose_items(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    ids = [int(v) for v in request.form.getlist("evidence") if v.isdigit()]
    services.set_items(current_user, submission, ids)
    flash(f"{len(ids)} item{'s' if len(ids) != 1 else ''} in the showcase.", "success")
    return _back(submission)


@bp.post("/submissions/<int:submission_id>/summary")
@login_required
def save_summary(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    org = request.form.get("assessment_organisation", "")
    with form_post("Summary saved."):
        services.set_summary(
            current_user,
            submission,
            summary=request.form.get("summary", ""),
            assessment_organisation_id=int(org) if org.isdigit() else None,
        )
    return _back(submission)


@bp.post("/submissions/<int:submission_id>/acknowledge")
@login_required
def acknowledge(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    with form_post("Gap acknowledged."):
        services.acknowledge_gap(
            current_user,
            submission,
            ref=request.form.get("ref", ""),
            note=request.form.get("note", ""),
        )
    return redirect(url_for("submissions.show", submission_id=submission.id) + "#gaps")


@bp.post("/submissions/<int:submission_id>/sign-off")
@login_required
def sign_off(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    with form_post("Gateway signed off."):
        services.sign_off(current_user, submission, confirm=request.form.get("confirm") == "yes")
    return _back(submission)


@bp.post("/submissions/<int:submission_id>/lock")
@login_required
def lock(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    storage = get_storage()
    with form_post(), blobs_removed_on_failure(storage) as written:
        services.lock_submission(current_user, submission, storage=storage, written=written)
        db.session.commit()  # inside the blob guard: a failed commit removes the frozen copies
    if submission.is_locked:
        flash(
            f"Submitted. Version {submission.version} is locked: it cannot change from now on.",
            "success",
        )
    return _back(submission)


@bp.post("/submissions/<int:submission_id>/verify")
@login_required
def verify(submission_id: int) -> str:
    submission = get_submission_or_404(current_user, submission_id)
    result = services.verify(submission, get_storage())
    return render_template("submissions/verify.html", submission=submission, result=result)


@bp.get("/submissions/<int:submission_id>/manifest.json")
@login_required
def manifest(submission_id: int) -> Response:
    submission = get_submission_or_404(current_user, submission_id)
    if not submission.is_locked:
        raise ShowcaseError(
            "A draft has no manifest yet: it is written when the showcase is locked."
        )
    response = jsonify(
        {"fingerprint_sha256": submission.manifest_sha256, "manifest": submission.manifest}
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="showcase-{submission.id}-v{submission.version}-manifest.json"'
    )
    return response
