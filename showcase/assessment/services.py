"""Assigning independent assessors, recording judgements, grading by the standard's rules,
and internal quality assurance. Independence comes from the plan's rules in the data file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict
from fractions import Fraction

from sqlalchemy import or_, select

from showcase import db
from showcase.accounts.memberships import memberships_during
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.assessment.models import (
    Assessment,
    AssessmentStatus,
    Judgement,
    MethodRecord,
    QADecision,
)
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.portfolios.models import Apprenticeship, ApprenticeshipParty, start_of
from showcase.portfolios.services import party_history
from showcase.standards.grading import AssessmentResult, grade
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.standards.schema import StandardDoc
from showcase.standards.services import doc_for
from showcase.submissions.models import Submission

JUDGING = (AssessmentStatus.ASSIGNED, AssessmentStatus.SECOND_REVIEW)

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
    if reference is None:
        raise ValidationFailed(f"{ref} is not a criterion of this standard.", field="ref")
    return reference


def record_judgement(
    actor: User, assessment: Assessment, *, ref: str, met: bool | None, comment: str = ""
) -> Judgement | None:
    """Record met / not met for one criterion (``met=None`` clears it: not yet assessed)."""
    _ensure_assessor(actor, assessment)
    reference = _criterion(assessment, ref)
    judgement = db.session.scalar(
        select(Judgement).where(
            Judgement.assessment_id == assessment.id, Judgement.reference_id == reference.id
        )
    )
    if met is None:
        if judgement is not None:
            db.session.delete(judgement)
            db.session.flush()
        return None
    if judgement is None:
        judgement = Judgement(assessment=assessment, reference=reference, met=met)
        db.session.add(judgement)
    if judgement.met != met or judgement.comment != (comment or "").strip() or judgement.id is None:
        judgement.met = met
        judgement.comment = (comment or "").strip()
        judgement.at = db.utcnow()
        db.session.flush()
        record(
            actor,
            "assessment.judged",
            judgement,
            apprenticeship_id=assessment.submission.apprenticeship_id,
            ref=ref,
            met=met,
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


def judgements_of(assessment: Assessment) -> dict[str, bool]:
    return {
        ref: met
        for ref, met in db.session.execute(
            select(StandardReference.ref, Judgement.met)
            .join(Judgement, Judgement.reference_id == StandardReference.id)
            .where(Judgement.assessment_id == assessment.id)
        )
    }


def compute(assessment: Assessment) -> AssessmentResult:
    """The grading engine's result for the judgements so far."""
    doc = doc_for(assessment.submission.apprenticeship.standard)
    return grade(doc, judgements_of(assessment), contexts=assessment.contexts)


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


def confirm_grade(actor: User, assessment: Assessment) -> Assessment:
    """The assessor confirms the computed grade; the assessment is then closed to changes."""
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
    return decision
