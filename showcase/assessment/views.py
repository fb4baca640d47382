"""Assessment pages: assignment by the assessment organisation, the assessor's workspace
(locked showcase, recordings, judgements, grade), and internal quality assurance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from showcase import db
from showcase.accounts.login import roles_required
from showcase.accounts.models import Role, User
from showcase.assessment import services, workspace
from showcase.assessment.loaders import get_assessment_or_404, get_queued_submission_or_404
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.permissions import can_see_result
from showcase.audit.services import record
from showcase.errors import NotFound, ShowcaseError, ValidationFailed
from showcase.evidence import regions
from showcase.standards.grading import grade_words
from showcase.standards.services import doc_for
from showcase.storage.serving import serve_stored_file
from showcase.storage_ext import get_storage
from showcase.submissions.models import Submission, SubmissionStatus
from showcase.submissions.services import verify as verify_submission
from showcase.web import CORRECTABLE, form_post

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


#: The session key of the message shown beside the criterion or record just saved.
NOTICE = "assessment.notice"


def _workspace(assessment: Assessment, notice: dict | None = None) -> dict:
    submission = assessment.submission
    # With the organisation's supplement, if any: its criteria are judged here like the plan's.
    doc = services.assessment_doc(
        assessment, {j.reference.ref: j.met for j in assessment.judgements}
    )
    live_methods = services.methods_needing_records(doc)
    methods = workspace.build(assessment, doc, {m.key for m in live_methods})
    judged = sum(m.judged for m in methods)
    total = sum(m.total for m in methods)
    is_assessor = current_user.id == assessment.assessor_id
    can_judge = is_assessor and assessment.status in services.JUDGING
    # The section and module of the criterion just saved stay open, whatever else is done.
    focus = workspace.find(methods, notice["ref"]) if notice and notice.get("ref") else None
    if notice and notice.get("record"):
        focus = next(((m, None) for m in methods if m.key == notice["record"]), None)
    return {
        "assessment": assessment,
        "submission": submission,
        "doc": doc,
        "methods": methods,
        "judged": judged,
        "total": total,
        "items": workspace.submitted_items(submission.manifest or {}),
        "observation_key": services.OBSERVATION_METHOD,
        "result": services.compute(assessment),
        "is_assessor": is_assessor,
        "can_judge": can_judge,
        "can_qa": current_user.role is Role.QUALITY_ASSURER
        and assessment.status is AssessmentStatus.GRADED
        and not services.qa_problems(current_user, assessment),
        "notice": notice or {},
        "focus_method": focus[0].key if focus else None,
        "focus_module": focus[1].module.key if focus and focus[1] else None,
        "outcome_words": services.outcome_words,
        "region_words": regions.describe,
        "fragment": regions.media_fragment,
        "region_hint": regions.HINT,
        "today": dt.date.today(),
    }


def _render(assessment: Assessment, notice: dict | None = None, status: int = 200) -> Response:
    body = render_template("assessment/workspace.html", **_workspace(assessment, notice))
    return Response(body, status=status, mimetype="text/html")


@bp.get("/assessments/<int:assessment_id>", endpoint="workspace")
@login_required
def workspace_page(assessment_id: int) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    return _render(assessment, session.pop(NOTICE, None))


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


OUTCOMES = {"met": True, "not_met": False, "unassessed": None}


def _judgement_form(form: MultiDict) -> tuple[dict, list[services.CitationIn]]:
    """The criterion form as typed (to show again if it is refused) and its citations: an
    item is cited when its box is ticked or a part of it is given."""
    typed = {
        key.removeprefix("region:"): (value or "").strip()
        for key, value in form.items()
        if key.startswith("region:")
    }
    cited = {int(v) for v in form.getlist("cite") if v.isdigit()}
    cited |= {int(k) for k, v in typed.items() if k.isdigit() and v}
    values = {
        "outcome": form.get("outcome", ""),
        "comment": form.get("comment", ""),
        "cites": {i: typed.get(str(i), "") for i in sorted(cited)},
    }
    return values, [services.CitationIn(i, r) for i, r in values["cites"].items()]


@bp.post("/assessments/<int:assessment_id>/criteria/<module_key>/<criterion_key>")
@login_required
def judge_criterion(assessment_id: int, module_key: str, criterion_key: str) -> Response:
    """Save one criterion's judgement: the outcome, the comment and what it cites; the page
    comes back at that criterion, with the message beside it."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    doc = doc_for(assessment.submission.apprenticeship.standard)
    ref = f"{doc.code}/{module_key}/{criterion_key}"
    values, citations = _judgement_form(request.form)
    anchor = workspace.anchor_of(ref)
    try:
        if values["outcome"] not in OUTCOMES:
            raise ValidationFailed(
                "Choose met, not met or not yet judged.", field=f"{anchor}-outcome"
            )
        judgement = services.record_judgement(
            current_user,
            assessment,
            ref=ref,
            met=OUTCOMES[values["outcome"]],
            comment=values["comment"],
            version=request.form.get("version", type=int),
            citations=citations,
        )
    except services.StaleJudgement as error:
        db.session.rollback()
        mine = services.outcome_words(OUTCOMES.get(values["outcome"]))
        notice = {"ref": ref, "kind": "conflict", "message": error.message, "mine": mine}
        notice["mine_comment"] = values["comment"].strip()
        return _render(get_assessment_or_404(current_user, assessment_id), notice, 409)
    except ShowcaseError as error:
        if error.status_code not in CORRECTABLE:
            raise
        db.session.rollback()
        notice = {"ref": ref, "kind": "error", "message": error.message}
        notice |= {"field": error.field, "values": values}
        return _render(get_assessment_or_404(current_user, assessment_id), notice, 422)
    if judgement is None:
        message = "Saved: not yet judged."
    else:
        cited = len(judgement.citations)
        message = f"Saved at {judgement.at:%H:%M}: {services.outcome_words(judgement.met)}" + (
            f", citing {cited} item{'s' if cited != 1 else ''}." if cited else "."
        )
    session[NOTICE] = {"ref": ref, "kind": "success", "message": message}
    return redirect(url_for("assessment.workspace", assessment_id=assessment.id) + f"#{anchor}")


@bp.post("/assessments/<int:assessment_id>/records/<method_key>")
@login_required
def save_record(assessment_id: int, method_key: str) -> Response:
    assessment = get_assessment_or_404(current_user, assessment_id)
    notice = {"record": method_key, "kind": "success", "message": "Record saved."}
    try:
        try:
            held_on = dt.date.fromisoformat(request.form.get("held_on", ""))
            duration = int(request.form.get("duration_minutes") or 0)
        except ValueError:
            raise ValidationFailed(
                "Give the date (YYYY-MM-DD) and the duration in minutes.", field="held_on"
            ) from None
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
    except ShowcaseError as error:
        if error.status_code not in CORRECTABLE:
            raise
        db.session.rollback()
        notice |= {"kind": "error", "message": error.message}
    session[NOTICE] = notice
    return redirect(
        url_for("assessment.workspace", assessment_id=assessment_id) + f"#record-{method_key}"
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
