"""Assessment pages: assignment by the assessment organisation, the assessor's workspace
(locked showcase, recordings, judgements, grade), and internal quality assurance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from showcase import db
from showcase.accounts.login import roles_required
from showcase.accounts.models import Role, User
from showcase.assessment import services
from showcase.assessment.loaders import get_assessment_or_404, get_queued_submission_or_404
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.permissions import can_see_result
from showcase.audit.services import record
from showcase.errors import NotFound, ShowcaseError
from showcase.standards.grading import grade_words
from showcase.standards.services import doc_for
from showcase.storage import file_type
from showcase.storage.serving import serve_stored_file
from showcase.storage_ext import get_storage
from showcase.submissions.models import Submission, SubmissionStatus
from showcase.submissions.services import verify as verify_submission
from showcase.web import form_post

bp = Blueprint("assessment", __name__)


@bp.app_template_global()
def released_result_for(submission: Submission) -> services.ReleasedResult | None:
    """The showcase page's "Your result": the released grade, for the apprentice, line manager
    and tutor only (the submissions package sits below assessment, so it asks through here)."""
    if not current_user.is_authenticated or not can_see_result(current_user, submission):
        return None
    assessment = services.assessment_of(submission)
    return None if assessment is None else services.released_result(assessment)


@bp.app_template_global()
def resubmission_possible(submission: Submission) -> bool:
    """Whether a new version may follow ``submission``: a draft, a locked showcase nobody is
    assessing yet, or a released fail (not yet competent). A grade still with the assessor or
    quality assurance, or a released pass, leaves nothing to resubmit."""
    if not submission.is_locked:
        return True
    assessment = services.assessment_of(submission)
    if assessment is None:
        return True
    result = services.released_result(assessment)
    return result is not None and result.resubmission_possible


@bp.get("/admin/assessments")
@roles_required(Role.ADMIN)
def queue() -> str:
    """The assessment organisation's queue: locked showcases to assign, and assignments."""
    submissions = db.session.scalars(
        select(Submission)
        .where(
            Submission.status == SubmissionStatus.LOCKED,
            Submission.assessment_organisation_id == current_user.organisation_id,
        )
        .order_by(Submission.locked_at)
    ).all()
    assigned = {
        a.submission_id: a
        for a in db.session.scalars(
            select(Assessment).where(Assessment.submission_id.in_([s.id for s in submissions]))
        )
    }
    assessors = db.session.scalars(
        select(User)
        .where(User.role == Role.ASSESSOR, User.organisation_id == current_user.organisation_id)
        .order_by(User.name)
    ).all()
    return render_template(
        "assessment/queue.html", submissions=submissions, assigned=assigned, assessors=assessors
    )


@contextmanager
def refusals_audited(actor: User, submission: Submission, assessor: User) -> Iterator[None]:
    """Record a refused assignment in the audit chain, then let the refusal go on to its page.

    The refusal rolls back the request's changes, so the entry is written and committed in a
    transaction of its own: an attempt to assign a conflicted assessor leaves a trace.
    """
    ids = {
        "submission": submission.id,
        "apprenticeship": submission.apprenticeship_id,
        "assessor": assessor.id,
    }
    try:
        yield
    except ShowcaseError as error:
        db.session.rollback()
        record(
            actor,
            "assessment.assignment_refused",
            db.session.get(Submission, ids["submission"]),
            apprenticeship_id=ids["apprenticeship"],
            assessor_id=ids["assessor"],
            status=error.status_code,
            reason=error.message,
        )
        db.session.commit()  # the refusal re-raised below rolls the request back
        raise


@bp.post("/submissions/<int:submission_id>/assign")
@roles_required(Role.ADMIN)
def assign(submission_id: int) -> Response:
    submission = get_queued_submission_or_404(current_user, submission_id)
    assessor_id = request.form.get("assessor_id", type=int)
    assessor = db.session.get(User, assessor_id) if assessor_id else None
    if assessor is None:
        flash("Choose an assessor.", "error")
        return redirect(url_for("assessment.queue"))
    with (
        form_post(f"Assigned to {assessor.name}."),
        refusals_audited(current_user, submission, assessor),
    ):
        services.assign(current_user, submission, assessor)
    return redirect(url_for("assessment.queue"))


@dataclass
class CriterionRow:
    ref: str
    level: str
    text: str
    module_title: str
    uncertain: str | None
    basis: str
    met: bool | None
    comment: str


def _workspace(assessment: Assessment) -> dict:
    submission = assessment.submission
    doc = doc_for(submission.apprenticeship.standard)
    judged = {j.reference.ref: j for j in assessment.judgements}
    methods = []
    for method in doc.methods:
        rows = [
            CriterionRow(
                ref=c.ref,
                level=c.level,
                text=c.text,
                module_title=doc.module(c.module_key).title,
                uncertain=c.uncertain,
                basis=c.basis,
                met=judged[c.ref].met if c.ref in judged else None,
                comment=judged[c.ref].comment if c.ref in judged else "",
            )
            for c in doc.criteria(method.key)
            if not assessment.contexts or c.context is None or c.context in assessment.contexts
        ]
        methods.append((method, rows))
    items = []
    for item in submission.items:
        entry = next(
            (e for e in submission.manifest["items"] if e["evidence_id"] == item.evidence_id), None
        )
        items.append(
            (
                item,
                entry,
                file_type(entry["file"]["mime_type"]) if entry and entry["file"] else None,
            )
        )
    return {
        "assessment": assessment,
        "submission": submission,
        "doc": doc,
        "methods": methods,
        "items": items,
        "records": {r.method_key: r for r in assessment.records},
        "live_methods": services.methods_needing_records(doc),
        "observation_key": services.OBSERVATION_METHOD,
        "result": services.compute(assessment),
        "can_judge": current_user.id == assessment.assessor_id
        and assessment.status in services.JUDGING,
        "can_qa": current_user.role is Role.QUALITY_ASSURER
        and assessment.status is AssessmentStatus.GRADED
        and not services.qa_problems(current_user, assessment),
        "today": dt.date.today(),
    }


@bp.get("/assessments/<int:assessment_id>")
@login_required
def workspace(assessment_id: int) -> str:
    assessment = get_assessment_or_404(current_user, assessment_id)
    return render_template("assessment/workspace.html", **_workspace(assessment))


@bp.post("/assessments/<int:assessment_id>/verify")
@login_required
def verify(assessment_id: int) -> str:
    assessment = get_assessment_or_404(current_user, assessment_id)
    result = verify_submission(assessment.submission, get_storage())
    return render_template(
        "submissions/verify.html", submission=assessment.submission, result=result
    )


@dataclass
class FrozenFile:
    key: str
    size: int
    sha256: str
    mime_type: str
    display_name: str


@bp.get("/assessments/<int:assessment_id>/items/<int:evidence_id>/file")
@login_required
def item_file(assessment_id: int, evidence_id: int) -> Response:
    """The frozen copy taken at lock time: what was submitted, not what the portfolio has now."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    entry = next(
        (
            e
            for e in assessment.submission.manifest["items"]
            if e["evidence_id"] == evidence_id and e["file"]
        ),
        None,
    )
    if entry is None:
        raise NotFound("No such file in this showcase.")
    f = entry["file"]
    frozen = FrozenFile(f["storage_key"], f["size"], f["sha256"], f["mime_type"], f["filename"])
    return serve_stored_file(get_storage(), frozen, want_inline=request.args.get("inline") == "1")


@bp.post("/assessments/<int:assessment_id>/judgements")
@login_required
def judge(assessment_id: int) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    doc = doc_for(assessment.submission.apprenticeship.standard)
    method_key = request.form.get("method", "")
    judgements = [
        (
            criterion.ref,
            {"met": True, "not_met": False}.get(request.form[f"met:{criterion.ref}"]),
            request.form.get(f"comment:{criterion.ref}", ""),
        )
        for criterion in doc.criteria(method_key)
        if f"met:{criterion.ref}" in request.form
    ]
    services.record_judgements(current_user, assessment, judgements)
    changed = len(judgements)
    flash(f"Judgements saved ({changed} criteria).", "success")
    return redirect(
        url_for("assessment.workspace", assessment_id=assessment.id) + f"#method-{method_key}"
    )


@bp.post("/assessments/<int:assessment_id>/records/<method_key>")
@login_required
def save_record(assessment_id: int, method_key: str) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    try:
        held_on = dt.date.fromisoformat(request.form.get("held_on", ""))
        duration = int(request.form.get("duration_minutes") or 0)
    except ValueError:
        flash("Give the date (YYYY-MM-DD) and the duration in minutes.", "error")
        return redirect(url_for("assessment.workspace", assessment_id=assessment.id))
    with form_post("Record saved."):
        services.save_method_record(
            current_user,
            assessment,
            method_key=method_key,
            held_on=held_on,
            duration_minutes=duration,
            notes=request.form.get("notes", ""),
            areas=request.form.getlist("areas"),
            contexts=request.form.getlist("contexts")
            if method_key == services.OBSERVATION_METHOD
            else None,
        )
    return redirect(
        url_for("assessment.workspace", assessment_id=assessment.id) + f"#record-{method_key}"
    )


@bp.post("/assessments/<int:assessment_id>/confirm")
@login_required
def confirm(assessment_id: int) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    with form_post():
        services.confirm_grade(current_user, assessment)
        flash(
            f"Grade confirmed: {grade_words(assessment.final_grade, assessment.result)}.", "success"
        )
    return redirect(url_for("assessment.workspace", assessment_id=assessment.id))


@bp.post("/assessments/<int:assessment_id>/qa")
@login_required
def qa(assessment_id: int) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    decision = request.form.get("decision")
    with form_post("Quality assurance decision recorded."):
        services.decide_qa(
            current_user,
            assessment,
            agrees=decision == "agree",
            reasons=request.form.get("reasons", ""),
        )
    return redirect(url_for("assessment.workspace", assessment_id=assessment.id))
