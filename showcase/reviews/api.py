"""Progress review endpoints of the JSON API."""

from __future__ import annotations

import datetime as dt

from flask_login import current_user
from pydantic import AwareDatetime, BaseModel, Field

from showcase import db
from showcase.accounts.models import User
from showcase.api import Id, Text, bp, responses, spec, text, validated_body
from showcase.errors import ValidationFailed
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services
from showcase.reviews.models import (
    SIGNERS,
    ActionFollowUp,
    ActionOutcome,
    ProgressReview,
    ReviewAction,
    ReviewScheduleChange,
)
from showcase.reviews.permissions import signer_role
from showcase.reviews.sections import MAX_TEXT


class ActionOut(BaseModel):
    """A target agreed at the review: what, who (and their part), by when."""

    id: int
    text: str
    owner_id: int
    owner: str
    #: apprentice, employer or tutor (None if the person no longer holds the part).
    owner_role: str | None = None
    due_date: dt.date


class SectionOut(BaseModel):
    """One section as the caller may see it. A sensitive section (wellbeing) is listed only
    for the apprentice and the tutor; for anybody else it is not there at all."""

    key: str
    title: str
    #: apprentice, employer, tutor, or system (filled in by Showcase).
    writer: str
    sensitive: bool
    #: What its writer wrote; for a system section of a signed review, what it said then.
    text: str
    written_by: str | None = None
    written_at: dt.datetime | None = None
    #: Its writer must write it before anybody signs.
    required: bool = False
    #: The caller may write it now.
    can_write: bool


class ScheduleChangeOut(BaseModel):
    sequence: int
    scheduled_at: dt.datetime
    duration_minutes: int
    location: str
    reason: str
    changed_by: str
    changed_at: dt.datetime


class ScheduleOut(BaseModel):
    """The meeting; ``sequence`` is its calendar invitation's SEQUENCE (0 when first booked)."""

    scheduled_at: dt.datetime
    duration_minutes: int
    location: str
    sequence: int
    #: Every proposal and change, oldest first, with who made it, when and why.
    history: list[ScheduleChangeOut]


class FollowUpOut(BaseModel):
    action_id: int
    outcome: ActionOutcome
    note: str


class ReviewOut(BaseModel):
    month: int
    due_date: dt.date
    overdue: bool
    recorded: bool
    held_on: dt.date | None = None
    notes: str = ""
    signed: dict[str, dt.datetime | None] = {}
    frozen_at: dt.datetime | None = None
    evidence_id: int | None = None
    snapshot: dict | None = None
    actions: list[ActionOut] = []
    #: What became of the previous signed review's actions, recorded at this one.
    followups: list[FollowUpOut] = []
    #: The review's sections in order, as the caller may see them.
    sections: list[SectionOut] = []
    schedule: ScheduleOut | None = None


class ReviewList(BaseModel):
    items: list[ReviewOut]


class NotesIn(BaseModel):
    notes: Text


class FollowUpIn(BaseModel):
    outcome: ActionOutcome
    note: text(ActionFollowUp.note) = ""


class SectionIn(BaseModel):
    text: text(MAX_TEXT)


class ScheduleIn(BaseModel):
    """Book the meeting, or move it (then ``reason`` is needed; the others are told)."""

    starts_at: AwareDatetime
    duration_minutes: int = Field(default=60, ge=10, le=480)
    location: text(ProgressReview.location) = ""
    reason: text(ReviewScheduleChange.reason) = ""


class ActionIn(BaseModel):
    text: text(ReviewAction.text)
    owner_id: Id
    due_date: dt.date


def _sections(apprenticeship: Apprenticeship, review: ProgressReview | None) -> list[SectionOut]:
    return [
        SectionOut(
            key=s.key,
            title=s.title,
            writer=s.writer,
            sensitive=s.sensitive,
            text=s.text,
            written_by=s.written_by,
            written_at=s.written_at,
            required=s.required,
            can_write=s.can_write,
        )
        for s in services.sections_for(current_user, apprenticeship, review)
    ]


def _schedule(review: ProgressReview) -> ScheduleOut | None:
    if review.scheduled_at is None:
        return None
    return ScheduleOut(
        scheduled_at=review.scheduled_at,
        duration_minutes=review.duration_minutes or 60,
        location=review.location,
        sequence=review.schedule_sequence,
        history=[
            ScheduleChangeOut(
                sequence=c.sequence,
                scheduled_at=c.scheduled_at,
                duration_minutes=c.duration_minutes,
                location=c.location,
                reason=c.reason,
                changed_by=c.changed_by.name,
                changed_at=c.changed_at,
            )
            for c in review.schedule_changes
        ],
    )


def serialise(
    month: int,
    due: dt.date,
    overdue: bool,
    review: ProgressReview | None,
    apprenticeship: Apprenticeship | None = None,
) -> ReviewOut:
    """One review point; with ``apprenticeship``, also its sections as the caller sees them."""
    if review is None:
        return ReviewOut(
            month=month,
            due_date=due,
            overdue=overdue,
            recorded=False,
            sections=_sections(apprenticeship, None) if apprenticeship is not None else [],
        )
    return ReviewOut(
        month=month,
        due_date=due,
        overdue=overdue,
        recorded=True,
        held_on=review.held_on,
        notes=review.notes,
        signed={s: review.signed_at(s) for s in SIGNERS},
        frozen_at=review.frozen_at,
        evidence_id=review.evidence_id,
        snapshot=review.snapshot,
        actions=[
            ActionOut(
                id=a.id,
                text=a.text,
                owner_id=a.owner_id,
                owner=a.owner.name,
                owner_role=signer_role(a.owner, review.apprenticeship),
                due_date=a.due_date,
            )
            for a in review.actions
        ],
        followups=[
            FollowUpOut(action_id=f.action_id, outcome=f.outcome, note=f.note)
            for f in review.followups
        ],
        sections=_sections(apprenticeship, review) if apprenticeship is not None else [],
        schedule=_schedule(review),
    )


def _one(apprenticeship: Apprenticeship, month: int, review: ProgressReview | None) -> ReviewOut:
    points = services.review_points(apprenticeship, [review] if review else [])
    point = next(p for p in points if p.month == month)
    return serialise(month, point.due, point.overdue, review, apprenticeship)


@bp.get("/apprenticeships/<int:apprenticeship_id>/reviews")
@spec.validate(resp=responses(HTTP_200=ReviewList), tags=["reviews"])
def list_reviews(apprenticeship_id: int) -> ReviewList:
    """Every review point of the apprenticeship, recorded or not."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    points = services.review_points(apprenticeship, services.list_reviews(apprenticeship))
    return ReviewList(
        items=[serialise(p.month, p.due, p.overdue, p.review, apprenticeship) for p in points]
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>")
@spec.validate(resp=responses(HTTP_200=ReviewOut), tags=["reviews"])
def get_review(apprenticeship_id: int, month: int) -> ReviewOut:
    """One review point."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    services.due_date(apprenticeship, month)  # NotFound for a month with no review point
    return _one(apprenticeship, month, services.find_review(apprenticeship, month))


@bp.put("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/notes")
@spec.validate(json=NotesIn, resp=responses(403, 409, HTTP_200=ReviewOut), tags=["reviews"])
def put_notes(apprenticeship_id: int, month: int) -> ReviewOut:
    """Replace the notes (line manager or tutor; 409 once signed by everyone)."""
    body: NotesIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)
    services.save_notes(current_user, review, body.notes)
    return _one(apprenticeship, month, review)


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/actions")
@spec.validate(json=ActionIn, resp=responses(403, 409, HTTP_201=ReviewOut), tags=["reviews"])
def post_action(apprenticeship_id: int, month: int) -> tuple[ReviewOut, int]:
    """Record an action with its owner and due date (line manager or tutor)."""
    body: ActionIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)  # permission first
    owner = db.session.get(User, body.owner_id)
    if owner is None:  # the same answer as for anyone who is not a party
        raise ValidationFailed(
            "The owner must be the apprentice, their line manager or their tutor.",
            field="owner_id",
        )
    services.add_action(current_user, review, text=body.text, owner=owner, due=body.due_date)
    return _one(apprenticeship, month, review), 201


@bp.put("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/followups/<int:action_id>")
@spec.validate(json=FollowUpIn, resp=responses(403, 409, HTTP_200=ReviewOut), tags=["reviews"])
def put_followup(apprenticeship_id: int, month: int, action_id: int) -> ReviewOut:
    """Say what became of an action agreed at the previous signed review (line manager or
    tutor; 404 for any other action; 409 once this review is signed by everyone)."""
    body: FollowUpIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)
    services.record_followup(current_user, review, action_id, body.outcome, body.note)
    return _one(apprenticeship, month, review)


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/sign")
@spec.validate(resp=responses(403, 409, HTTP_200=ReviewOut), tags=["reviews"])
def post_sign(apprenticeship_id: int, month: int) -> ReviewOut:
    """Sign as the apprentice, line manager or tutor; the last signature freezes the review."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)
    services.sign_review(current_user, review)
    return _one(apprenticeship, month, review)


@bp.put("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/sections/<key>")
@spec.validate(json=SectionIn, resp=responses(403, 409, HTTP_200=ReviewOut), tags=["reviews"])
def put_section(apprenticeship_id: int, month: int, key: str) -> ReviewOut:
    """Write the caller's own section (the apprentice, line manager or tutor, each theirs;
    403 for somebody else's, 404 for a key the review has no written section for, 409 once
    signed by everyone). A change clears the signatures so far."""
    body: SectionIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)
    services.save_section(current_user, review, key, body.text)
    return _one(apprenticeship, month, review)


@bp.put("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/schedule")
@spec.validate(json=ScheduleIn, resp=responses(403, 409, HTTP_200=ReviewOut), tags=["reviews"])
def put_schedule(apprenticeship_id: int, month: int) -> ReviewOut:
    """Book the review's meeting, or move it with a reason (the tutor; 403 for anybody else).
    The three parties get an invitation with a calendar file; a move sends the same event
    (UID) with a higher SEQUENCE, and ``schedule.history`` keeps every change."""
    body: ScheduleIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    review = services.ensure_review(current_user, apprenticeship, month)
    services.schedule_review(
        current_user,
        review,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        location=body.location,
        reason=body.reason,
    )
    return _one(apprenticeship, month, review)
