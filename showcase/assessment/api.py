"""Assessment in the JSON API: assignment, judgements, records, grade and QA."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import BaseModel

from showcase import db
from showcase.accounts.models import User
from showcase.api import Count, Id, Text, bp, responses, spec, text, validated_body
from showcase.assessment import services
from showcase.assessment.loaders import get_assessment_or_404
from showcase.assessment.models import Assessment
from showcase.assessment.permissions import can_see_result
from showcase.assessment.views import refusals_audited
from showcase.errors import NotFound, ValidationFailed
from showcase.evidence import regions
from showcase.standards.grading import grade_words
from showcase.standards.models import StandardReference
from showcase.submissions.loaders import get_submission_or_404


class AssessmentOut(BaseModel):
    id: int
    submission_id: int
    assessor_id: int
    status: str
    #: The recorded grade: fail, pass, distinction, pass_distinction_undetermined…
    final_grade: str | None
    #: The recorded grade in words ("Pass — distinction cannot be determined: …").
    final_grade_words: str | None
    #: The engine's result now: overall, distinction, grade, headline, explanation, methods…
    computed: dict[str, Any]
    judgements: dict[str, bool]


class MethodResultOut(BaseModel):
    title: str
    #: The method's result in words ("Pass", "Distinction"…).
    result: str


class FeedbackOut(BaseModel):
    ref: str
    met: bool
    comment: str


class ResultOut(BaseModel):
    """A showcase version's grade as the apprentice, line manager and tutor see it: every
    field but ``released`` is null until quality assurance agrees (or the decision was not in
    the sample)."""

    submission_id: int
    released: bool
    released_at: dt.datetime | None = None
    #: The recorded grade: fail, pass, distinction, pass_distinction_undetermined…
    grade: str | None = None
    grade_words: str | None = None
    methods: list[MethodResultOut] = []
    explanation: list[str] = []
    #: The assessor's comments on criteria.
    feedback: list[FeedbackOut] = []
    #: A fail (not yet competent) may be taken again with a new showcase version.
    resubmission_possible: bool = False


class AssignIn(BaseModel):
    assessor_id: Id


class JudgementIn(BaseModel):
    ref: text(StandardReference.ref)
    met: bool | None
    comment: Text = ""


class JudgementsIn(BaseModel):
    judgements: list[JudgementIn]


class RecordIn(BaseModel):
    held_on: dt.date
    duration_minutes: Count
    notes: Text
    areas: list[Text] = []
    contexts: list[Text] | None = None


class QAIn(BaseModel):
    agrees: bool
    reasons: Text


class RegionOut(BaseModel):
    #: "time" (seconds of a recording) or "pages" (of a PDF).
    kind: str
    start: int
    end: int
    #: The region in words ("1:05-2:30", "pages 3-5", with en dashes).
    label: str


class CitationOut(BaseModel):
    evidence_id: int
    #: The item's title as locked in the showcase.
    title: str
    #: The part of the item the judgement rests on; null for the whole item.
    region: RegionOut | None = None


class CriterionJudgementOut(BaseModel):
    """One criterion's judgement: ``met`` null and version 0 while it is not judged. The
    version is also the response's ETag: send it back (``version`` or If-Match) to save."""

    ref: str
    met: bool | None
    comment: str
    version: int
    at: dt.datetime | None
    citations: list[CitationOut]


class CitationIn(BaseModel):
    evidence_id: Id
    #: The part of the item, as people write it: "1:05-2:30", "65-150s", "p. 3", "pages 3-5".
    region: text(60) = ""


class CriterionJudgementIn(BaseModel):
    #: null clears the judgement (not yet judged).
    met: bool | None
    comment: Text = ""
    #: The version this change is based on (0: not judged yet); or send it as If-Match.
    #: A version other than the current one is refused with 409, nothing overwritten.
    version: Count | None = None
    #: The items of the locked showcase the judgement rests on; null leaves them unchanged.
    citations: list[CitationIn] | None = None


def serialise(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.id,
        submission_id=assessment.submission_id,
        assessor_id=assessment.assessor_id,
        status=assessment.status.value,
        final_grade=assessment.final_grade,
        final_grade_words=grade_words(assessment.final_grade, assessment.result)
        if assessment.final_grade
        else None,
        computed=services.result_json(services.compute(assessment)),
        judgements=services.judgements_of(assessment),
    )


@bp.post("/submissions/<int:submission_id>/assessment")
@spec.validate(json=AssignIn, resp=responses(403, 409, HTTP_201=AssessmentOut), tags=["assessment"])
def assign(submission_id: int) -> tuple[AssessmentOut, int]:
    """Assign an independent assessor (the assessment organisation's admin)."""
    submission = get_submission_or_404(current_user, submission_id)
    assessor = db.session.get(User, validated_body().assessor_id)
    if assessor is None:
        raise ValidationFailed("No such assessor.", field="assessor_id")
    with refusals_audited(current_user, submission, assessor):
        assessment = services.assign(current_user, submission, assessor)
    return serialise(assessment), 201


@bp.get("/assessments/<int:assessment_id>")
@spec.validate(resp=responses(HTTP_200=AssessmentOut), tags=["assessment"])
def get_assessment(assessment_id: int) -> AssessmentOut:
    """An assessment with the grading engine's result for the judgements so far."""
    return serialise(get_assessment_or_404(current_user, assessment_id))


@bp.put("/assessments/<int:assessment_id>/judgements")
@spec.validate(
    json=JudgementsIn, resp=responses(403, 409, HTTP_200=AssessmentOut), tags=["assessment"]
)
def put_judgements(assessment_id: int) -> AssessmentOut:
    """Record met / not met (null: not yet assessed) per criterion, with comments."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    services.record_judgements(
        current_user, assessment, [(j.ref, j.met, j.comment) for j in validated_body().judgements]
    )
    return serialise(assessment)


def _criterion_ref(assessment: Assessment, module_key: str, criterion_key: str) -> str:
    doc = services.assessment_doc(assessment)
    ref = f"{doc.code}/{module_key}/{criterion_key}"
    try:
        doc.criterion(ref)
    except KeyError:
        raise NotFound(f"{ref} is not a criterion of {doc.key}.") from None
    return ref


def _judgement_out(assessment: Assessment, ref: str) -> tuple[CriterionJudgementOut, int, dict]:
    judgement = services.judgement_of(assessment, ref)
    titles = {
        e["evidence_id"]: e["title"]
        for e in (assessment.submission.manifest or {}).get("items", [])
    }
    citations = []
    for c in judgement.citations if judgement else []:
        region = regions.as_dict(regions.region_of(c.region_kind, c.region_start, c.region_end))
        citations.append(
            CitationOut(
                evidence_id=c.evidence_id,
                title=titles.get(c.evidence_id, ""),
                region=RegionOut(**region) if region else None,
            )
        )
    version = judgement.version if judgement else 0
    out = CriterionJudgementOut(
        ref=ref,
        met=judgement.met if judgement else None,
        comment=judgement.comment if judgement else "",
        version=version,
        at=judgement.at if judgement else None,
        citations=citations,
    )
    return out, 200, {"ETag": f'"{version}"'}


def _if_match() -> int | None:
    """The version named by an If-Match header ("3", W/"3" or 3); None without one."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    digits = raw.strip().removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ValidationFailed('If-Match names a judgement\'s version, e.g. "3".', field="If-Match")
    return int(digits)


CRITERION_PATH = "/assessments/<int:assessment_id>/criteria/<module_key>/<criterion_key>"


@bp.get(CRITERION_PATH)
@spec.validate(resp=responses(HTTP_200=CriterionJudgementOut), tags=["assessment"])
def get_criterion_judgement(
    assessment_id: int, module_key: str, criterion_key: str
) -> tuple[CriterionJudgementOut, int, dict]:
    """One criterion's judgement, its version (also the ETag) and the items it cites."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    return _judgement_out(assessment, _criterion_ref(assessment, module_key, criterion_key))


@bp.put(CRITERION_PATH)
@spec.validate(
    json=CriterionJudgementIn,
    resp=responses(403, 409, HTTP_200=CriterionJudgementOut),
    tags=["assessment"],
)
def put_criterion_judgement(
    assessment_id: int, module_key: str, criterion_key: str
) -> tuple[CriterionJudgementOut, int, dict]:
    """Judge one criterion (the assigned assessor), citing items of the locked showcase and
    parts of them; a version (field or If-Match) that is not the current one answers 409."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    ref = _criterion_ref(assessment, module_key, criterion_key)
    body: CriterionJudgementIn = validated_body()
    header = _if_match()
    services.record_judgement(
        current_user,
        assessment,
        ref=ref,
        met=body.met,
        comment=body.comment,
        version=body.version if body.version is not None else header,
        citations=None
        if body.citations is None
        else [services.CitationIn(c.evidence_id, c.region) for c in body.citations],
    )
    return _judgement_out(assessment, ref)


@bp.put("/assessments/<int:assessment_id>/records/<method_key>")
@spec.validate(json=RecordIn, resp=responses(403, 409, HTTP_200=AssessmentOut), tags=["assessment"])
def put_record(assessment_id: int, method_key: str) -> AssessmentOut:
    """The observation or professional discussion record."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    body: RecordIn = validated_body()
    services.save_method_record(
        current_user,
        assessment,
        method_key=method_key,
        held_on=body.held_on,
        duration_minutes=body.duration_minutes,
        notes=body.notes,
        areas=body.areas,
        contexts=body.contexts,
    )
    return serialise(assessment)


@bp.post("/assessments/<int:assessment_id>/confirm")
@spec.validate(resp=responses(403, 409, 422, HTTP_200=AssessmentOut), tags=["assessment"])
def confirm(assessment_id: int) -> AssessmentOut:
    """Confirm the computed grade (the assigned assessor)."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    services.confirm_grade(current_user, assessment)
    return serialise(assessment)


@bp.post("/assessments/<int:assessment_id>/qa")
@spec.validate(json=QAIn, resp=responses(403, 409, HTTP_200=AssessmentOut), tags=["assessment"])
def qa(assessment_id: int) -> AssessmentOut:
    """A quality assurer agrees, or disagrees and sends the assessment back for a second review."""
    assessment = get_assessment_or_404(current_user, assessment_id)
    body: QAIn = validated_body()
    services.decide_qa(current_user, assessment, agrees=body.agrees, reasons=body.reasons)
    return serialise(assessment)


@bp.get("/submissions/<int:submission_id>/result")
@spec.validate(resp=responses(HTTP_200=ResultOut), tags=["assessment"])
def get_result(submission_id: int) -> ResultOut:
    """The released grade, each method's result, the assessor's feedback and the date (the
    apprentice, line manager and tutor; ``released`` is false until then)."""
    submission = get_submission_or_404(current_user, submission_id)
    if not can_see_result(current_user, submission):
        raise NotFound("No such result: grades are released to the apprentice's side.")
    assessment = services.assessment_of(submission)
    result = None if assessment is None else services.released_result(assessment)
    if result is None:
        return ResultOut(submission_id=submission.id, released=False)
    return ResultOut(
        submission_id=submission.id,
        released=True,
        released_at=result.released_at,
        grade=result.grade,
        grade_words=result.grade_words,
        methods=[MethodResultOut(title=m.title, result=m.result) for m in result.methods],
        explanation=result.explanation,
        feedback=[FeedbackOut(ref=f.ref, met=f.met, comment=f.comment) for f in result.feedback],
        resubmission_possible=result.resubmission_possible,
    )
