"""Assigning independent assessors, recording judgements, grading by the standard's rules,
and internal quality assurance. Independence comes from the plan's rules in the data file."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction

from flask import current_app
from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.memberships import memberships_during
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.assessment.models import (
    Assessment,
    AssessmentStatus,
    Judgement,
    JudgementCitation,
    MethodRecord,
    QADecision,
)
from showcase.audit.models import AuditEntry
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.evidence import regions
from showcase.portfolios.models import Apprenticeship, ApprenticeshipParty, start_of
from showcase.portfolios.services import party_history
from showcase.standards.grading import AssessmentResult, grade, grade_words
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.standards.schema import StandardDoc
from showcase.standards.services import criterion_applies, doc_for, grading_doc
from showcase.submissions.models import Submission

JUDGING = (AssessmentStatus.ASSIGNED, AssessmentStatus.SECOND_REVIEW)

#: Grades that count as a fail: every fail is sampled, and a fail can be resubmitted.
FAIL_GRADES = frozenset({"fail", "not_yet_competent"})
#: The audit action that releases a grade to the apprentice, line manager and tutor.
RELEASED = "assessment.released"

#: The method judged from the locked submission itself; every other method of the plan is a
#: live event (observation, discussion…) whose record the assessor writes before grading.
SUBMISSION_METHOD = "showcase"
#: The method whose record must cover the plan's ``observation_mandatory_areas``.
OBSERVATION_METHOD = "observation"


def methods_needing_records(doc: StandardDoc) -> list:
    """The plan's live methods: each needs a record before the grade can be confirmed."""
    return [m for m in doc.methods if m.key != SUBMISSION_METHOD]


def _rule_clause(doc: StandardDoc, key: str, fallback: str) -> str:
    """Which of the plan's rules refuses, and what it says: ``rule no_direct_relationship,
    section 6: the plan requires no direct relationship with the apprentice``."""
    try:
        rule = doc.plan.rule(key)
    except KeyError:
        return f"the plan requires {fallback}"
    return f"rule {rule.key}, {rule.source}: the plan requires {rule.text}"


def _related(person: User, apprenticeship: Apprenticeship) -> list[str]:
    """Ways ``person`` is or was connected to the apprentice (empty when independent).

    The whole history counts, not today's parties only: ever the apprentice's tutor or line
    manager (on this or another of their apprenticeships), or a member of the apprentice's
    employer or training provider at any time since the apprenticeship started.
    """
    apprentice = apprenticeship.apprentice.name
    reasons = []
    if person.id == apprenticeship.apprentice_id:
        reasons.append(f"{person.name} is the apprentice")
    ever_party = db.session.scalars(
        select(Apprenticeship)
        .where(
            Apprenticeship.apprentice_id == apprenticeship.apprentice_id,
            or_(
                Apprenticeship.tutor_id == person.id,
                Apprenticeship.line_manager_id == person.id,
                Apprenticeship.id.in_(
                    select(ApprenticeshipParty.apprenticeship_id).where(
                        ApprenticeshipParty.user_id == person.id
                    )
                ),
            ),
        )
        .order_by(Apprenticeship.start_date, Apprenticeship.id)
    ).all()
    for other in ever_party:
        for row in party_history(other):
            if row.user_id != person.id:
                continue
            verb = "has been" if row.ended_at is None else "was"
            reasons.append(f"{person.name} {verb} {apprentice}'s {row.role.label} {row.period}")
    organisations = {
        apprenticeship.employer_id: "the apprentice's employer",
        apprenticeship.provider_id: "the apprentice's training provider",
    }
    for stint in memberships_during(
        person, organisations, since=start_of(apprenticeship.start_date)
    ):
        verb = "works" if stint.ended_at is None else "worked"
        reasons.append(
            f"{person.name} {verb} for {stint.organisation.name}, "
            f"{organisations[stint.organisation.id]}, {stint.period}"
        )
    return reasons


def independence_problems(assessor: User, submission: Submission) -> list[str]:
    """Why ``assessor`` may not assess ``submission`` (empty when they may), each naming the
    plan's rule that refuses."""
    apprenticeship = submission.apprenticeship
    problems = []
    if assessor.role is not Role.ASSESSOR:
        problems.append(f"{assessor.name} is not an independent assessor")
    if assessor.organisation_id != submission.assessment_organisation_id:
        problems.append(f"{assessor.name} is not with the assessment organisation chosen")
    related = _related(assessor, apprenticeship)
    if related:
        rule = _rule_clause(
            doc_for(apprenticeship.standard),
            "no_direct_relationship",
            "no direct relationship with the apprentice",
        )
        # The rule once, after every way it is broken.
        problems.append("; ".join(related) + f" ({rule})")
    return problems


def assign(actor: User, submission: Submission, assessor: User) -> Assessment:
    """The assessment organisation's admin assigns an independent assessor to a locked showcase."""
    if not submission.is_locked:
        raise Conflict("Only a submitted (locked) showcase can be assigned for assessment.")
    if not (
        actor.role is Role.ADMIN
        and actor.organisation is not None
        and actor.organisation.kind is OrganisationKind.ASSESSMENT_ORGANISATION
        and actor.organisation_id == submission.assessment_organisation_id
    ):
        raise Forbidden(
            "Only the chosen assessment organisation's administrators assign assessors."
        )
    existing = db.session.scalar(
        select(Assessment).where(Assessment.submission_id == submission.id)
    )
    if existing is not None:
        raise Conflict(f"This showcase is already assigned to {existing.assessor.name}.")
    problems = independence_problems(assessor, submission)
    if problems:
        raise ValidationFailed(
            f"{assessor.name} cannot assess this showcase: " + "; ".join(problems) + ".",
            field="assessor",
        )
    assessment = Assessment(submission=submission, assessor=assessor, assigned_by_id=actor.id)
    db.session.add(assessment)
    db.session.flush()
    record(
        actor,
        "assessment.assigned",
        assessment,
        apprenticeship_id=submission.apprenticeship_id,
        assessor_id=assessor.id,
    )
    return assessment


def _ensure_assessor(actor: User, assessment: Assessment) -> None:
    # Held until commit: a judgement racing the grade's confirmation (or a second tab's) must
    # see the status the other left, not the one loaded before it committed.
    db.lock_for_change(assessment)
    if actor.id != assessment.assessor_id:
        raise Forbidden("Only the assigned assessor records judgements.")
    if assessment.status not in JUDGING:
        raise Conflict(
            f"This assessment is {assessment.status.label.lower()}; "
            "judgements can no longer change."
        )


def _criterion(assessment: Assessment, ref: str) -> StandardReference:
    reference = db.session.scalar(
        select(StandardReference).where(
            StandardReference.standard_id == assessment.submission.apprenticeship.standard_id,
            StandardReference.ref == ref,
            StandardReference.kind == ReferenceKind.CRITERION,
        )
    )
    if reference is None or not criterion_applies(
        assessment.submission.apprenticeship.standard,
        reference,
        assessment.submission.assessment_organisation_id,
        frozenset(judgements_of(assessment)),
    ):
        raise ValidationFailed(f"{ref} is not a criterion of this standard.", field="ref")
    return reference


@dataclass(frozen=True)
class CitationIn:
    """An item of the locked showcase a judgement rests on, and the part of it as typed
    ("1:05-2:30", "p. 3"; empty for the whole item)."""

    evidence_id: int
    region: str = ""


class StaleJudgement(Conflict):
    """A save naming an older version of the judgement: someone (or another tab) saved since."""

    code = "stale_judgement"

    def __init__(self, message: str, *, current: Judgement | None) -> None:
        super().__init__(message, field="version")
        self.current = current


def outcome_words(met: bool | None) -> str:
    return {True: "Met", False: "Not met", None: "Not yet judged"}[met]


def _stale_message(current: Judgement | None, version: int) -> str:
    if current is None:
        return (
            "Not saved: this criterion's judgement was cleared since you opened it "
            f"(you had version {version}). Nothing was overwritten; check it and save again."
        )
    cited = len(current.citations)
    saved = f"{outcome_words(current.met)}" + (f", “{current.comment}”" if current.comment else "")
    return (
        f"Not saved: this criterion was saved at {current.at:%H:%M} (version {current.version}, "
        f"you had version {version}) as {saved}, citing {cited} "
        f"item{'s' if cited != 1 else ''}. Nothing was overwritten; check it and save again."
    )


def _resolve_citations(
    assessment: Assessment, citations: Iterable[CitationIn]
) -> list[tuple[int, regions.Region | None]]:
    """Check each cited item is in the locked showcase and its region is in its file."""
    submitted = {i.evidence_id: i for i in assessment.submission.items}
    resolved: dict[int, regions.Region | None] = {}
    for citation in citations:
        field = f"region:{citation.evidence_id}"
        item = submitted.get(citation.evidence_id)
        if item is None:
            raise ValidationFailed(
                "A judgement can cite only items of this locked showcase.", field=field
            )
        try:
            region = regions.parse_region(citation.region)
            if region is not None:
                regions.check_region(item.evidence, region)
        except regions.RegionError as error:
            raise ValidationFailed(f"{item.evidence.title}: {error}", field=field) from None
        resolved[citation.evidence_id] = region
    return sorted(resolved.items())


def _cited(judgement: Judgement) -> list[tuple[int, regions.Region | None]]:
    return sorted(
        (c.evidence_id, regions.region_of(c.region_kind, c.region_start, c.region_end))
        for c in judgement.citations
    )


def _replace_citations(
    judgement: Judgement, wanted: list[tuple[int, regions.Region | None]]
) -> None:
    # In place, item by item: dropping a row and inserting one for the same item in one flush
    # would insert first and trip the (judgement, item) unique constraint.
    existing = {c.evidence_id: c for c in judgement.citations}
    kept = []
    for evidence_id, region in wanted:
        citation = existing.pop(evidence_id, None) or JudgementCitation(evidence_id=evidence_id)
        citation.region_kind = region.kind if region else None
        citation.region_start = region.start if region else None
        citation.region_end = region.end if region else None
        kept.append(citation)
    judgement.citations = kept


def record_judgement(
    actor: User,
    assessment: Assessment,
    *,
    ref: str,
    met: bool | None,
    comment: str = "",
    version: int | None = None,
    citations: Iterable[CitationIn] | None = None,
) -> Judgement | None:
    """Record met / not met for one criterion (``met=None`` clears it: not yet assessed), with
    the items (and regions) it cites; ``citations=None`` leaves them as they are.

    ``version`` is the judgement's version the caller saw (0: none yet); if it has moved on
    since, nothing is saved and StaleJudgement says what is there now.
    """
    _ensure_assessor(actor, assessment)
    reference = _criterion(assessment, ref)
    judgement = db.session.scalar(
        select(Judgement)
        .where(Judgement.assessment_id == assessment.id, Judgement.reference_id == reference.id)
        .options(selectinload(Judgement.citations))
        # Under the assessment's lock: re-read, the identity map may hold the page's copy.
        .execution_options(populate_existing=True)
    )
    if version is not None and version != (judgement.version if judgement else 0):
        raise StaleJudgement(_stale_message(judgement, version), current=judgement)
    wanted = None if citations is None else _resolve_citations(assessment, citations)
    if met is None:
        if judgement is not None:
            db.session.delete(judgement)
            db.session.flush()
            record(
                actor,
                "assessment.judgement_cleared",
                assessment,
                apprenticeship_id=assessment.submission.apprenticeship_id,
                ref=ref,
            )
        return None
    if judgement is None:
        judgement = Judgement(assessment=assessment, reference=reference, met=met, version=0)
        db.session.add(judgement)
    comment = (comment or "").strip()
    cited_changed = wanted is not None and wanted != _cited(judgement)
    if (
        judgement.met != met
        or judgement.comment != comment
        or judgement.id is None
        or cited_changed
    ):
        judgement.met = met
        judgement.comment = comment
        judgement.at = db.utcnow()
        judgement.version = (judgement.version or 0) + 1
        if cited_changed:
            _replace_citations(judgement, wanted or [])
        db.session.flush()
        record(
            actor,
            "assessment.judged",
            judgement,
            apprenticeship_id=assessment.submission.apprenticeship_id,
            ref=ref,
            met=met,
            version=judgement.version,
            citations=[
                {"evidence_id": e, "region": regions.as_dict(r)} for e, r in _cited(judgement)
            ],
        )
    return judgement


def record_judgements(
    actor: User, assessment: Assessment, judgements: Iterable[tuple[str, bool | None, str]]
) -> None:
    """Record several ``(ref, met, comment)`` judgements; only the assigned assessor, while
    judging, may send them, even an empty list."""
    _ensure_assessor(actor, assessment)
    for ref, met, comment in judgements:
        record_judgement(actor, assessment, ref=ref, met=met, comment=comment)


def save_method_record(
    actor: User,
    assessment: Assessment,
    *,
    method_key: str,
    held_on: dt.date,
    duration_minutes: int,
    notes: str,
    areas: list[str],
    contexts: list[str] | None = None,
) -> MethodRecord:
    """The observation or professional discussion record; the observation must cover the
    plan's mandatory areas."""
    _ensure_assessor(actor, assessment)
    doc = doc_for(assessment.submission.apprenticeship.standard)
    try:
        method = doc.method(method_key)
    except KeyError:
        raise ValidationFailed(f"{method_key} is not an assessment method of {doc.key}.") from None
    if held_on > dt.date.today():
        raise ValidationFailed("The date cannot be in the future.", field="held_on")
    if not 0 < duration_minutes <= 24 * 60:
        raise ValidationFailed(
            "Give the duration in minutes (at most a day).", field="duration_minutes"
        )
    if not (notes or "").strip():
        raise ValidationFailed(
            f"Describe what happened in the {method.title.lower()}.", field="notes"
        )
    known = {m.key for m in doc.modules()}
    unknown = sorted(set(areas) - known)
    if unknown:
        raise ValidationFailed(f"Unknown areas: {', '.join(unknown)}.", field="areas")
    if method_key == OBSERVATION_METHOD:
        missing = [k for k in doc.plan.observation_mandatory_areas if k not in areas]
        if missing:
            titles = ", ".join(doc.module(k).title for k in missing)
            raise ValidationFailed(
                f"The observation must cover every mandatory area; not yet covered: {titles}.",
                field="areas",
            )
    if contexts is not None:
        allowed = {c.key for c in doc.contexts}
        if set(contexts) - allowed:
            raise ValidationFailed("Unknown working context.", field="contexts")
        assessment.contexts = sorted(contexts) or None
    record_row = db.session.scalar(
        select(MethodRecord).where(
            MethodRecord.assessment_id == assessment.id, MethodRecord.method_key == method_key
        )
    )
    if record_row is None:
        record_row = MethodRecord(assessment=assessment, method_key=method_key)
        db.session.add(record_row)
    record_row.held_on = held_on
    record_row.duration_minutes = duration_minutes
    record_row.notes = notes.strip()
    record_row.areas = sorted(set(areas))
    db.session.flush()
    record(
        actor,
        "assessment.method_recorded",
        record_row,
        apprenticeship_id=assessment.submission.apprenticeship_id,
        method=method_key,
    )
    return record_row


def judgement_of(assessment: Assessment, ref: str) -> Judgement | None:
    """One criterion's judgement (with its citations), as it stands now."""
    return db.session.scalar(
        select(Judgement)
        .join(StandardReference, Judgement.reference_id == StandardReference.id)
        .where(Judgement.assessment_id == assessment.id, StandardReference.ref == ref)
        .options(selectinload(Judgement.citations))
        .execution_options(populate_existing=True)
    )


def judgements_of(assessment: Assessment) -> dict[str, bool]:
    return {
        ref: met
        for ref, met in db.session.execute(
            select(StandardReference.ref, Judgement.met)
            .join(Judgement, Judgement.reference_id == StandardReference.id)
            .where(Judgement.assessment_id == assessment.id)
        )
    }


def assessment_doc(assessment: Assessment, judged: dict[str, bool] | None = None) -> StandardDoc:
    """The document an assessment is judged and graded with: the plan, merged with the
    assessment organisation's supplement where it has one (showcase.standards.supplements).
    ``judged`` saves re-reading the judgements when the caller holds them."""
    return grading_doc(
        assessment.submission.apprenticeship.standard,
        assessment.submission.assessment_organisation_id,
        frozenset(judgements_of(assessment) if judged is None else judged),
    )


def compute(assessment: Assessment) -> AssessmentResult:
    """The grading engine's result for the judgements so far, with the assessment
    organisation's supplement where it has one (showcase.standards.supplements)."""
    judged = judgements_of(assessment)
    return grade(assessment_doc(assessment, judged), judged, contexts=assessment.contexts)


def result_json(result: AssessmentResult) -> dict:
    """The result as JSON-safe data (fractions as strings), with ``distinction``
    (awarded / not_awarded / undetermined), the recorded ``grade`` and its ``headline``."""

    def clean(value: object) -> object:
        if isinstance(value, Fraction):
            return str(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return clean(asdict(result))


def in_sample(assessment_id: int, *, first_of_assessor: bool, failed: bool, share: float) -> bool:
    """The quality assurer's sampling plan for one decision.

    Every first decision of an assessor and every fail; of the rest, a ``share`` chosen by a hash
    of the assessment's id, so the choice is the same every time anyone looks (and cannot be
    steered by re-loading the page).
    """
    if first_of_assessor or failed:
        return True
    digest = hashlib.sha256(f"showcase-qa-sample:{assessment_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def released_at_column() -> ColumnElement[dt.datetime | None]:
    """When the grade of each ``Assessment`` row was released (NULL while it is not): the one
    release rule, as a correlated SQL expression so lists read it in the same query.

    A grade is released by the ``assessment.released`` audit entry (a quality assurer agreed,
    or the sampling plan left the decision out of the sample when the assessor confirmed it);
    an assured assessment is released whatever its history (from the agreeing decision, or
    the confirmation, when it has no such entry).
    A second review (or a fresh assignment) takes the grade back out of view.
    """
    entry = (
        select(func.min(AuditEntry.at))
        .where(
            AuditEntry.action == RELEASED,
            AuditEntry.object_type == Assessment.__name__,
            AuditEntry.object_id == Assessment.id,
        )
        .correlate(Assessment)
        .scalar_subquery()
    )
    agreed = (
        select(func.max(QADecision.at))
        .where(QADecision.assessment_id == Assessment.id, QADecision.agrees.is_(True))
        .correlate(Assessment)
        .scalar_subquery()
    )
    return case(
        (
            Assessment.status == AssessmentStatus.ASSURED,
            func.coalesce(entry, agreed, Assessment.graded_at, Assessment.assigned_at),
        ),
        (Assessment.status == AssessmentStatus.GRADED, entry),
        else_=None,
    )


def released_at(assessment: Assessment) -> dt.datetime | None:
    """When ``assessment``'s grade was released to the apprentice's side; None while it is not."""
    db.session.flush()
    return db.session.scalar(select(released_at_column()).where(Assessment.id == assessment.id))


def is_released(assessment: Assessment) -> bool:
    """Whether the apprentice, line manager and tutor may see the grade."""
    return released_at(assessment) is not None


def _sampled(assessment: Assessment) -> bool:
    """Whether quality assurance must sample this decision before its release (decided once,
    when the assessor confirms): the sampling plan, and always after a second review."""
    if assessment.qa_decisions:
        return True
    earlier = db.session.scalar(
        select(func.count(Assessment.id))
        .join(Submission, Assessment.submission_id == Submission.id)
        .where(
            Assessment.assessor_id == assessment.assessor_id,
            Assessment.id != assessment.id,
            Assessment.graded_at.is_not(None),
            Submission.assessment_organisation_id
            == assessment.submission.assessment_organisation_id,
        )
    )
    return in_sample(
        assessment.id,
        first_of_assessor=not earlier,
        failed=(assessment.final_grade or "") in FAIL_GRADES,
        share=float(current_app.config.get("QA_SAMPLE_SHARE", 0.25)),
    )


def confirm_grade(actor: User, assessment: Assessment) -> Assessment:
    """The assessor confirms the computed grade; the assessment is then closed to changes.
    A decision the sampling plan leaves out of quality assurance is released at once."""
    _ensure_assessor(actor, assessment)
    doc = doc_for(assessment.submission.apprenticeship.standard)
    recorded = {r.method_key for r in assessment.records}
    missing = [m.title for m in methods_needing_records(doc) if m.key not in recorded]
    if missing:
        raise ValidationFailed(f"Record the {' and the '.join(missing)} first.")
    result = compute(assessment)
    if result.overall == "not_yet_assessed":
        raise ValidationFailed("The grade cannot be confirmed yet: " + " ".join(result.explanation))
    assessment.result = result_json(result)
    # The recorded value, not the bare overall: a pass whose distinction the data cannot decide
    # is stored as "pass_distinction_undetermined", so nothing that prints it says a plain pass.
    assessment.final_grade = result.grade
    assessment.graded_at = db.utcnow()
    assessment.status = AssessmentStatus.GRADED
    db.session.flush()
    record(
        actor,
        "assessment.graded",
        assessment,
        apprenticeship_id=assessment.submission.apprenticeship_id,
        grade=result.grade,
    )
    if not _sampled(assessment):
        record(
            actor,
            RELEASED,
            assessment,
            apprenticeship_id=assessment.submission.apprenticeship_id,
            grade=result.grade,
            sampled=False,
        )
    return assessment


def qa_problems(quality_assurer: User, assessment: Assessment) -> list[str]:
    problems = []
    if quality_assurer.role is not Role.QUALITY_ASSURER:
        problems.append(f"{quality_assurer.name} is not an internal quality assurer")
    if quality_assurer.id == assessment.assessor_id:
        problems.append("the assessor cannot quality-assure their own decision")
    if quality_assurer.organisation_id != assessment.submission.assessment_organisation_id:
        problems.append("quality assurance is done within the assessment organisation")
    problems.extend(_related(quality_assurer, assessment.submission.apprenticeship))
    return problems


def decide_qa(actor: User, assessment: Assessment, *, agrees: bool, reasons: str) -> QADecision:
    """Sample a graded assessment; a disagreement sends it back to the assessor."""
    db.lock_for_change(assessment)  # two quality assurers at once: the second sees the first
    problems = qa_problems(actor, assessment)
    if problems:
        raise Forbidden("You cannot quality-assure this assessment: " + "; ".join(problems) + ".")
    if assessment.status is not AssessmentStatus.GRADED:
        raise Conflict("Only a graded assessment awaiting quality assurance can be sampled.")
    if is_released(assessment):
        raise Conflict(
            "This grade was not in the quality assurance sample and is already released."
        )
    reasons = (reasons or "").strip()
    if len(reasons) < 10:
        raise ValidationFailed("Give your reasons.", field="reasons")
    decision = QADecision(
        assessment=assessment,
        quality_assurer_id=actor.id,
        agrees=agrees,
        reasons=reasons,
        sampled_grade=assessment.final_grade or "",
    )
    db.session.add(decision)
    assessment.status = AssessmentStatus.ASSURED if agrees else AssessmentStatus.SECOND_REVIEW
    db.session.flush()
    record(
        actor,
        "assessment.qa_decided",
        decision,
        apprenticeship_id=assessment.submission.apprenticeship_id,
        agrees=agrees,
    )
    if agrees:
        record(
            actor,
            RELEASED,
            assessment,
            apprenticeship_id=assessment.submission.apprenticeship_id,
            grade=assessment.final_grade,
            sampled=True,
        )
    return decision


@dataclass(frozen=True)
class MethodOutcome:
    """One assessment method's result as the apprentice's side reads it."""

    title: str
    #: The method's grade in words ("Pass", "Distinction", "Not yet assessed"…).
    result: str


@dataclass(frozen=True)
class Feedback:
    """The assessor's comment on one criterion."""

    ref: str
    met: bool
    comment: str


@dataclass(frozen=True)
class ReleasedResult:
    """A released grade: what the apprentice, line manager and tutor are shown."""

    assessment_id: int
    grade: str
    grade_words: str
    released_at: dt.datetime
    methods: list[MethodOutcome]
    explanation: list[str]
    feedback: list[Feedback]

    @property
    def resubmission_possible(self) -> bool:
        """A fail (or not yet competent) may be taken again with a new showcase version."""
        return self.grade in FAIL_GRADES


def assessment_of(submission: Submission) -> Assessment | None:
    """The assessment of one showcase version, if it has been assigned."""
    return db.session.scalar(select(Assessment).where(Assessment.submission_id == submission.id))


def released_result(assessment: Assessment) -> ReleasedResult | None:
    """The grade, each method's result and the assessor's feedback, once released (else None)."""
    when = released_at(assessment)
    if when is None or not assessment.final_grade:
        return None
    stored = assessment.result or {}
    feedback = db.session.execute(
        select(StandardReference.ref, Judgement.met, Judgement.comment)
        .join(Judgement, Judgement.reference_id == StandardReference.id)
        .where(Judgement.assessment_id == assessment.id, Judgement.comment != "")
        .order_by(StandardReference.id)
    ).all()
    return ReleasedResult(
        assessment_id=assessment.id,
        grade=assessment.final_grade,
        grade_words=grade_words(assessment.final_grade, stored),
        released_at=when,
        methods=[
            MethodOutcome(title=str(m.get("title", "")), result=grade_words(str(m.get("status"))))
            for m in stored.get("methods", [])
        ],
        explanation=[str(line) for line in stored.get("explanation", [])],
        feedback=[Feedback(ref=r, met=met, comment=c) for r, met, c in feedback],
    )
