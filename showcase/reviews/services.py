"""Progress review operations. Each takes the acting user and only flushes; the request commits.

A review row is made the first time anything is recorded against a review point. When the
apprentice, the line manager and the tutor have all signed, the review freezes: its coverage as
of the review date is stored with it (JSON) and it becomes an evidence item of kind
"progress_review". A frozen review never changes again (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.coverage.services import report_at
from showcase.errors import Conflict, Forbidden, NotFound, ValidationFailed
from showcase.evidence.models import Evidence, EvidenceKind
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import (
    SIGNER_LABELS,
    SIGNERS,
    ActionFollowUp,
    ActionOutcome,
    ProgressReview,
    ReviewAction,
)
from showcase.reviews.permissions import can_record_review, signer_role
from showcase.standards import sufficiency
from showcase.standards.services import rules_for


class ReviewFrozen(Conflict):
    code = "review_signed"


def _refuse_if_frozen(review: ProgressReview) -> None:
    """Refuse changes to a signed review. Every change passes here first, so this is where it
    takes the review's row lock (held to commit) and re-reads it: two last signatures at once
    freeze it exactly once, and a signature never lands on notes its signer did not see."""
    db.lock_for_change(review)
    if review.is_frozen:
        raise ReviewFrozen(
            f"The {review.month}-month review was signed by everyone on "
            f"{review.frozen_at:%-d %B %Y} and can no longer change. "
            "Record new notes and actions at the next review."
        )


def due_date(apprenticeship: Apprenticeship, month: int) -> dt.date:
    """The due date of a review point; NotFound when the standard has no such point."""
    rules = rules_for(apprenticeship.standard)
    if month not in rules.review_points_months:
        raise NotFound(
            f"{apprenticeship.standard.key} has no {month}-month review "
            f"(its review points: {', '.join(map(str, rules.review_points_months)) or 'none'})."
        )
    return sufficiency.add_months(apprenticeship.start_date, month)


def list_reviews(apprenticeship: Apprenticeship) -> list[ProgressReview]:
    """The apprenticeship's recorded reviews, by month."""
    return list(
        db.session.scalars(
            select(ProgressReview)
            .where(ProgressReview.apprenticeship_id == apprenticeship.id)
            .order_by(ProgressReview.month)
        )
    )


# ---- the schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewPoint:
    """A review point of the standard: when it falls due and what was recorded against it."""

    month: int
    due: dt.date
    review: ProgressReview | None
    overdue: bool

    @property
    def signed(self) -> bool:
        return self.review is not None and self.review.is_frozen


def schedule(
    start: dt.date,
    months: tuple[int, ...],
    by_month: dict[int, ProgressReview],
    today: dt.date,
) -> list[ReviewPoint]:
    """Review points from plain data (the cohort dashboard calls this once per apprentice)."""
    points = []
    for month, due in sufficiency.review_due_dates(start, months):
        review = by_month.get(month)
        signed = review is not None and review.is_frozen
        points.append(ReviewPoint(month, due, review, overdue=not signed and due < today))
    return points


def review_points(
    apprenticeship: Apprenticeship,
    reviews: list[ProgressReview],
    today: dt.date | None = None,
) -> list[ReviewPoint]:
    """The standard's review points with due dates; unsigned past-due ones are overdue."""
    by_month = {r.month: r for r in reviews}
    rules = rules_for(apprenticeship.standard)
    return schedule(
        apprenticeship.start_date, rules.review_points_months, by_month, today or dt.date.today()
    )


# ---- recording and signing -------------------------------------------------------------------


def find_review(apprenticeship: Apprenticeship, month: int) -> ProgressReview | None:
    """The recorded review of a point, with its actions, if any."""
    return db.session.scalar(
        select(ProgressReview)
        .where(ProgressReview.apprenticeship_id == apprenticeship.id, ProgressReview.month == month)
        .options(
            selectinload(ProgressReview.actions).joinedload(ReviewAction.owner),
            selectinload(ProgressReview.followups),
        )
    )


def ensure_review(
    actor: User, apprenticeship: Apprenticeship, month: int, today: dt.date | None = None
) -> ProgressReview:
    """The review of a point, made now if nothing was recorded yet (held today)."""
    due = due_date(apprenticeship, month)
    review = find_review(apprenticeship, month)
    if review is None:
        # Two parties may open a new review at once: the first to hold the apprenticeship's
        # row makes it, the other finds it once the first commits.
        db.lock_for_change(apprenticeship)
        review = find_review(apprenticeship, month)
    if review is None:
        if signer_role(actor, apprenticeship) is None:
            raise Forbidden("Only the apprentice, their line manager and their tutor take part.")
        review = ProgressReview(
            apprenticeship=apprenticeship,
            month=month,
            due_date=due,
            held_on=today or dt.date.today(),
            notes="",
        )
        db.session.add(review)
        db.session.flush()
    return review


def _clear_signatures(review: ProgressReview) -> None:
    # A signature vouches for what the review said when it was signed; a change needs new ones.
    for signer in SIGNERS:
        setattr(review, f"{signer}_signed_at", None)
        setattr(review, f"{signer}_signed_by_id", None)


def _ensure_recorder(actor: User, review: ProgressReview) -> None:
    _refuse_if_frozen(review)
    if not can_record_review(actor, review.apprenticeship):
        raise Forbidden("The line manager and the tutor record the review's notes and actions.")


def save_notes(actor: User, review: ProgressReview, notes: str) -> ProgressReview:
    """Replace the review's notes (signatures so far are cleared when the text changes)."""
    _ensure_recorder(actor, review)
    notes = (notes or "").strip()
    if notes != review.notes:
        review.notes = notes
        _clear_signatures(review)
    db.session.flush()
    return review


def add_action(
    actor: User, review: ProgressReview, *, text: str, owner: User, due: dt.date
) -> ReviewAction:
    """Record an agreed action with its owner (one of the three parties) and due date."""
    _ensure_recorder(actor, review)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Say what will be done.", field="text")
    if signer_role(owner, review.apprenticeship) is None:
        raise ValidationFailed(
            "The owner must be the apprentice, their line manager or their tutor.",
            field="owner_id",
        )
    if due < review.held_on:
        raise ValidationFailed("The due date cannot be before the review.", field="due_date")
    action = ReviewAction(
        review=review, text=text, owner=owner, due_date=due, created_by_id=actor.id
    )
    db.session.add(action)
    _clear_signatures(review)
    db.session.flush()
    return action


def sign_review(
    actor: User, review: ProgressReview, now: dt.datetime | None = None
) -> ProgressReview:
    """Sign as the apprentice, line manager or tutor; the last signature freezes the review."""
    _refuse_if_frozen(review)
    role = signer_role(actor, review.apprenticeship)
    if role is None:
        raise Forbidden("Only the apprentice, their line manager and their tutor sign reviews.")
    if review.signed_at(role) is not None:
        raise Conflict(f"You have already signed this review as {SIGNER_LABELS[role].lower()}.")
    now = now or db.utcnow()
    setattr(review, f"{role}_signed_at", now)
    setattr(review, f"{role}_signed_by_id", actor.id)
    if all(review.signed_at(s) is not None for s in SIGNERS):
        _freeze(actor, review, now)
    db.session.flush()
    record(
        actor,
        "review.signed",
        review,
        apprenticeship_id=review.apprenticeship_id,
        month=review.month,
        role=role,
        frozen=review.frozen_at is not None,
    )
    return review


def previous_review(apprenticeship_id: int, month: int) -> ProgressReview | None:
    """The latest signed review before ``month``, with its actions, if there is one."""
    return db.session.scalar(
        select(ProgressReview)
        .where(
            ProgressReview.apprenticeship_id == apprenticeship_id,
            ProgressReview.month < month,
            ProgressReview.frozen_at.is_not(None),
        )
        .order_by(ProgressReview.month.desc())
        .limit(1)
        .options(selectinload(ProgressReview.actions).joinedload(ReviewAction.owner))
    )


def previous_snapshot(review: ProgressReview) -> dict | None:
    """The frozen snapshot of the latest earlier signed review, if there is one."""
    earlier = previous_review(review.apprenticeship_id, review.month)
    return earlier.snapshot if earlier is not None else None


def record_followup(
    actor: User, review: ProgressReview, action_id: int, outcome: ActionOutcome, note: str
) -> ActionFollowUp:
    """Say what became of an action agreed at the previous signed review (line manager or
    tutor). Like notes, a changed follow-up clears the signatures so far."""
    _ensure_recorder(actor, review)
    earlier = previous_review(review.apprenticeship_id, review.month)
    action = next((a for a in earlier.actions if a.id == action_id), None) if earlier else None
    if action is None:
        raise NotFound("That action was not agreed at the previous signed review.")
    note = (note or "").strip()
    if len(note) > 1000:
        raise ValidationFailed("Keep the note under 1,000 characters.", field="note")
    followup = next((f for f in review.followups if f.action_id == action_id), None)
    if followup is None:
        followup = ActionFollowUp(review=review, action=action, recorded_by_id=actor.id)
        db.session.add(followup)
    elif (followup.outcome, followup.note) == (outcome, note):
        return followup
    followup.outcome, followup.note, followup.recorded_by_id = outcome, note, actor.id
    _clear_signatures(review)
    db.session.flush()
    return followup


def review_report(review: ProgressReview) -> sufficiency.Report:
    """Coverage as of the review date."""
    return report_at(review.apprenticeship, review.held_on)


def summary(review: ProgressReview, snap: dict, since: sufficiency.Changes | None) -> str:
    """The description of the evidence item a signed review becomes."""
    overall = snap["overall"]
    lines = [
        f"{review.month}-month progress review held on {review.held_on:%-d %B %Y}, "
        "signed by the apprentice, the line manager and the tutor.",
        f"Coverage: {overall['covered']} of {overall['total']} units covered.",
    ]
    if since is not None:
        lines.append(
            f"Since the last review: {len(since.newly_covered)} units newly covered, "
            f"{len(since.newly_evidenced)} newly evidenced."
        )
    lines.append(f"Gaps: {len(snap['gaps'])} units not yet covered.")
    if review.notes:
        lines += ["", "Notes:", review.notes]
    if review.followups:
        lines += ["", "Actions from the previous review:"]
        lines += [
            f"- {f.action.text}: {f.outcome.label}" + (f" ({f.note})" if f.note else "")
            for f in review.followups
        ]
    if review.actions:
        lines += ["", "Actions:"]
        lines += [f"- {a.text} ({a.owner.name}, by {a.due_date:%-d %B %Y})" for a in review.actions]
    return "\n".join(lines)


def _freeze(actor: User, review: ProgressReview, now: dt.datetime) -> None:
    snap = sufficiency.snapshot(review_report(review))
    before = previous_snapshot(review)
    since = sufficiency.changes(before, snap)
    review.snapshot = snap
    review.frozen_at = now
    evidence = Evidence(
        apprenticeship=review.apprenticeship,
        title=f"{review.month}-month progress review",
        kind=EvidenceKind.PROGRESS_REVIEW,
        activity_date=review.held_on,
        description=summary(review, snap, since),
        created_by_id=actor.id,
        # The signed review is a record of what was agreed: it never changes afterwards.
        locked_at=now,
    )
    db.session.add(evidence)
    review.evidence = evidence
