"""Off-the-job training endpoints of the JSON API: the log, approval, and the hours status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from flask_login import current_user
from pydantic import BaseModel, Field

from showcase.api import Id, bp, responses, spec, text, validated_body
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards.models import StandardReference
from showcase.training import services
from showcase.training.loaders import get_entry_or_404
from showcase.training.models import EntryStatus, TrainingEntry


class EntryOut(BaseModel):
    id: int
    apprenticeship_id: int
    activity_date: dt.date
    minutes: int
    #: A key of the activity kinds list (rules/activity_kinds.yaml).
    kind: str
    description: str
    unit_refs: list[str]
    evidence_id: int | None
    #: submitted (waiting for the tutor), approved (frozen), returned (to the apprentice).
    status: EntryStatus
    review_comment: str | None
    reviewed_at: dt.datetime | None


class EntryList(BaseModel):
    items: list[EntryOut]


class EntryIn(BaseModel):
    activity_date: dt.date
    #: Whole minutes, from 1 to 720 (12 hours).
    minutes: Annotated[int, Field(ge=1, le=services.MAX_MINUTES)]
    kind: text(40)
    description: text(services.MAX_DESCRIPTION, min_length=1)
    unit_refs: Annotated[list[text(StandardReference.ref)], Field(max_length=200)] = []
    evidence_id: Id | None = None


class ApproveIn(BaseModel):
    comment: text(services.MAX_COMMENT) = ""


class ReturnIn(BaseModel):
    #: Required: what the apprentice should change.
    comment: text(services.MAX_COMMENT, min_length=1)


class RuleOut(BaseModel):
    jurisdiction: str
    #: Which funding rules the bundled file reflects, and where they come from.
    reflects: str
    source: str
    #: False when no off-the-job rule applies (TLII4001, Australia).
    applies: bool
    academic_year: str | None
    #: False when the year's entry was carried forward without being checked.
    year_verified: bool | None
    minimum_hours: int | None
    minimum_verified: bool
    minimum_note: str
    min_duration_months: int | None


class HoursStatusOut(BaseModel):
    approved_hours: Decimal
    expected_hours: Decimal
    planned_hours: Decimal | None
    #: on_track, behind or no_plan.
    pace: str
    #: Past months of the programme (YYYY-MM) with no approved active learning.
    months_without_activity: list[str]
    prior_learning_hours: int
    planned_end_date: dt.date | None
    rule: RuleOut
    #: not_applicable, not_yet, met, below_minimum, needed or signed.
    statement: str


def serialise(entry: TrainingEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        apprenticeship_id=entry.apprenticeship_id,
        activity_date=entry.activity_date,
        minutes=entry.minutes,
        kind=entry.kind,
        description=entry.description,
        unit_refs=list(entry.unit_refs or []),
        evidence_id=entry.evidence_id,
        status=entry.status,
        review_comment=entry.review_comment,
        reviewed_at=entry.reviewed_at,
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/training/entries")
@spec.validate(resp=responses(HTTP_200=EntryList), tags=["training"])
def list_entries(apprenticeship_id: int) -> EntryList:
    """The apprenticeship's off-the-job training log, newest activity first."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    return EntryList(items=[serialise(e) for e in services.list_entries([apprenticeship.id])])


@bp.post("/apprenticeships/<int:apprenticeship_id>/training/entries")
@spec.validate(json=EntryIn, resp=responses(403, HTTP_201=EntryOut), tags=["training"])
def create_entry(apprenticeship_id: int) -> tuple[EntryOut, int]:
    """Log an activity (the apprentice); it waits for the tutor's approval."""
    body: EntryIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    entry = services.log_entry(current_user, apprenticeship, _details(body))
    return serialise(entry), 201


def _details(body: EntryIn) -> services.EntryDetails:
    return services.EntryDetails(
        activity_date=body.activity_date,
        minutes=body.minutes,
        kind=body.kind,
        description=body.description,
        unit_refs=tuple(body.unit_refs),
        evidence_id=body.evidence_id,
    )


@bp.put("/training/entries/<int:entry_id>")
@spec.validate(json=EntryIn, resp=responses(403, 409, HTTP_200=EntryOut), tags=["training"])
def update_entry(entry_id: int) -> EntryOut:
    """Change an entry not yet approved (the apprentice); a returned entry is resubmitted."""
    body: EntryIn = validated_body()
    entry = get_entry_or_404(current_user, entry_id)
    return serialise(services.edit_entry(current_user, entry, _details(body)))


@bp.post("/training/entries/<int:entry_id>/approve")
@spec.validate(json=ApproveIn, resp=responses(403, 409, HTTP_200=EntryOut), tags=["training"])
def approve_entry(entry_id: int) -> EntryOut:
    """Approve an entry waiting for the tutor; it is frozen from then on."""
    body: ApproveIn = validated_body()
    entry = get_entry_or_404(current_user, entry_id)
    return serialise(services.approve_entry(current_user, entry, body.comment))


@bp.post("/training/entries/<int:entry_id>/return")
@spec.validate(json=ReturnIn, resp=responses(403, 409, HTTP_200=EntryOut), tags=["training"])
def return_entry(entry_id: int) -> EntryOut:
    """Return an entry to the apprentice with a comment saying what to change."""
    body: ReturnIn = validated_body()
    entry = get_entry_or_404(current_user, entry_id)
    return serialise(services.return_entry(current_user, entry, body.comment))


@bp.get("/apprenticeships/<int:apprenticeship_id>/training/status")
@spec.validate(resp=responses(HTTP_200=HoursStatusOut), tags=["training"])
def hours_status(apprenticeship_id: int) -> HoursStatusOut:
    """Approved hours against the hours expected by today, the pace, months without active
    learning, and the funding rule that applies."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    today = dt.date.today()
    status = services.hours_status(apprenticeship, today)
    rule = status.rule or services.rule_of(apprenticeship)
    return HoursStatusOut(
        approved_hours=status.approved_hours,
        expected_hours=status.expected_hours,
        planned_hours=status.planned_hours,
        pace=status.pace,
        months_without_activity=status.months_without_activity,
        prior_learning_hours=status.prior_learning_hours,
        planned_end_date=apprenticeship.planned_end_date,
        rule=RuleOut(
            jurisdiction=rule.jurisdiction,
            reflects=rule.reflects,
            source=rule.source,
            applies=rule.applies,
            academic_year=rule.year.key if rule.year else None,
            year_verified=rule.year.verified if rule.year else None,
            minimum_hours=rule.minimum_hours,
            minimum_verified=rule.minimum_verified,
            minimum_note=rule.minimum_note,
            min_duration_months=rule.min_duration_months,
        ),
        statement=services.statement_for(apprenticeship, status, today).state,
    )
