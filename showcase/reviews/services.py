"""Progress review operations. Each takes the acting user and only flushes; the request commits.

A review row is made the first time anything is recorded against a review point. When the
apprentice, the line manager and the tutor have all signed, the review freezes: its coverage as
of the review date is stored with it (JSON) and it becomes an evidence item of kind
"progress_review". A frozen review never changes again (409).

Sections (``showcase.reviews.sections``): each party writes their own; a changed section clears
the signatures, as changed notes do; freezing writes every section of the template, system ones
included, as rows, so the signed review reads the same for ever. The sensitive section (wellbeing)
stays in its row and is shown to the apprentice and the tutor only: it is left out of the
evidence item the review becomes, and so of the showcase and every export.

Scheduling: the tutor proposes the meeting; each proposal or change is a
``ReviewScheduleChange`` and an audit entry ("review.scheduled" / "review.rescheduled") that
``showcase.notifications.events`` turns into invitations with a calendar file (same UID, the
change's SEQUENCE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.coverage.forecast import forecast_for
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
    ReviewScheduleChange,
    ReviewSection,
)
from showcase.reviews.permissions import (
    can_read_sensitive,
    can_record_review,
    can_schedule_review,
    can_write_section,
    signer_role,
)
from showcase.reviews.sections import (
    MAX_TEXT,
    WRITER_LABELS,
    SectionDef,
    Template,
    template_for,
)
from showcase.standards import sufficiency
from showcase.standards.services import rules_for
from showcase.training.services import HoursStatus, hours_status


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
    missing = missing_sections(review, role)
    if missing:
        raise SectionsMissing(
            f"Write “{missing[0].title}” before you sign: it is yours to write.",
            field=missing[0].key,
        )
    # Everyone signs the whole review: a part written after a signature would clear it again.
    waiting = missing_sections(review)
    if waiting:
        first = waiting[0]
        raise SectionsMissing(
            f"Everyone signs once every part is written: {waiting_text(waiting)}.",
            field=None if first.sensitive else first.key,
        )
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
    for row in review.sections:
        # The sensitive section never leaves the review: the evidence item this becomes is
        # in the showcase, its exports and the assessor's view.
        if row.is_sensitive or row.key in ("progress", "targets") or not row.text:
            continue
        lines += ["", f"{row.title}:", row.text]
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
    _keep_every_section(review, snap, now.date())
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


# ---- sections ------------------------------------------------------------------------------


class SectionsMissing(Conflict):
    code = "review_section_missing"


def template_of(apprenticeship: Apprenticeship) -> Template:
    """The sections of this apprenticeship's reviews: its training provider's, or the default."""
    return template_for(apprenticeship.provider_id, current_app.config.get("REVIEW_SECTIONS_DIR"))


def _row(review: ProgressReview, key: str) -> ReviewSection | None:
    return next((r for r in review.sections if r.key == key), None)


def missing_sections(review: ProgressReview, role: str | None = None) -> list[SectionDef]:
    """The template's required sections left empty: those ``role`` writes, or everybody's."""
    return [
        d
        for d in template_of(review.apprenticeship).written
        if d.required
        and (role is None or d.writer == role)
        and not ((row := _row(review, d.key)) and row.text)
    ]


def waiting_text(waiting: Sequence[SectionDef]) -> str:
    """Whose parts are still to be written, in words anybody may read: a sensitive section is
    named only as "a private part", so its title reaches nobody who may not see it."""
    names = [
        f"a private part, by {d.writer_label}" if d.sensitive else f"{d.writer_label}: “{d.title}”"
        for d in waiting
    ]
    return "still to write — " + "; ".join(names) if names else ""


def save_section(
    actor: User, review: ProgressReview, key: str, text: str, now: dt.datetime | None = None
) -> ReviewSection:
    """Write the actor's own section; a change clears the signatures so far."""
    _refuse_if_frozen(review)
    template = template_of(review.apprenticeship)
    definition = template.get(key)
    if definition is None or definition.is_system:
        raise NotFound(f"This review has no section “{key}” that a person writes.")
    if not can_write_section(actor, review.apprenticeship, definition.writer):
        raise Forbidden(f"“{definition.title}” is written by {definition.writer_label}.")
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"Keep it under {MAX_TEXT:,} characters.", field="text")
    row = _row(review, key)
    if row is not None and row.text == text:
        return row
    if row is None:
        row = ReviewSection(
            review=review,
            key=key,
            position=template.sections.index(definition),
            title=definition.title,
            writer=definition.writer,
            is_sensitive=definition.sensitive,
        )
        db.session.add(row)
    row.text, row.written_by_id, row.written_at = text, actor.id, now or db.utcnow()
    _clear_signatures(review)
    db.session.flush()
    # The text itself stays out of the audit log: admins read it, and it may be sensitive.
    record(
        actor,
        "review.section_saved",
        review,
        apprenticeship_id=review.apprenticeship_id,
        month=review.month,
        section=key,
    )
    return row


@dataclass(frozen=True)
class SectionView:
    """One section as one person sees it on the page or through the API."""

    key: str
    title: str
    writer: str
    sensitive: bool
    hint: str
    required: bool
    text: str
    written_by: str | None
    written_at: dt.datetime | None
    #: The viewer may write it now.
    can_write: bool

    @property
    def is_system(self) -> bool:
        return self.writer == "system"

    @property
    def writer_label(self) -> str:
        return WRITER_LABELS[self.writer]


def sections_for(
    viewer: User, apprenticeship: Apprenticeship, review: ProgressReview | None
) -> list[SectionView]:
    """The review's sections in order, as ``viewer`` may see them: a sensitive section is left
    out altogether for anybody but the apprentice and the tutor. A frozen review shows its rows
    (every section as it was signed); an open one the template, with what is written so far."""
    sensitive_ok = can_read_sensitive(viewer, apprenticeship)
    rows = {r.key: r for r in review.sections} if review is not None else {}
    if review is not None and review.is_frozen and rows:
        defs = [
            SectionDef(r.key, r.title, r.writer, r.is_sensitive)
            for r in sorted(review.sections, key=lambda r: (r.position, r.id))
        ]
    else:
        defs = list(template_of(apprenticeship).sections)
    open_ = review is None or not review.is_frozen
    views = []
    for d in defs:
        row = rows.get(d.key)
        sensitive = row.is_sensitive if row is not None else d.sensitive
        if sensitive and not sensitive_ok:
            continue
        views.append(
            SectionView(
                key=d.key,
                title=row.title if row is not None else d.title,
                writer=d.writer,
                sensitive=sensitive,
                hint=d.hint,
                required=d.required,
                text=row.text if row is not None else "",
                written_by=row.written_by.name if row is not None and row.written_by else None,
                written_at=row.written_at if row is not None else None,
                can_write=open_ and can_write_section(viewer, apprenticeship, d.writer),
            )
        )
    return views


def _hours(value: object) -> str:
    """``2``, ``2.5``, ``12.25``: hours without trailing zeros."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def month_names(months: list[str]) -> str:
    """``["2026-10", "2026-11"]`` → ``October 2026, November 2026``."""
    return ", ".join(f"{dt.date.fromisoformat(m + '-01'):%B %Y}" for m in months)


def hours_text(status: HoursStatus | None, *, months: bool = True) -> str:
    """The off-the-job hours in one line (what a frozen review keeps); ``months`` adds the
    months without active learning."""
    if status is None or (status.pace == "no_plan" and not status.approved_hours):
        return "Not recorded."
    line = f"{_hours(status.approved_hours)} hours approved"
    if status.planned_hours is not None and status.pace != "no_plan":
        line += (
            f" of {_hours(status.expected_hours)} expected by now"
            f" ({_hours(status.planned_hours)} planned in all)"
            f"; {status.pace_words.lower()}."
        )
    else:
        line += "; no plan of hours recorded."
    if months and status.months_without_activity:
        line += f" No active learning in {month_names(status.months_without_activity)}."
    return line


def next_review_text(apprenticeship: Apprenticeship, month: int) -> str:
    """When the review after ``month`` falls due, and its meeting if one is set."""
    later = [m for m in rules_for(apprenticeship.standard).review_points_months if m > month]
    if not later:
        return "This is the last review point of the standard."
    nxt = later[0]
    line = f"The {nxt}-month review is due on {due_date(apprenticeship, nxt):%-d %B %Y}."
    booked = find_review(apprenticeship, nxt)
    if booked is not None and booked.scheduled_at is not None:
        line += f" Meeting: {when_text(booked.scheduled_at)}."
    return line


def _keep_every_section(review: ProgressReview, snap: dict, today: dt.date) -> None:
    """At the freeze: a row for every section of the template, so the signed review keeps its
    whole structure, and the system sections' words as they stood when it was signed."""
    template = template_of(review.apprenticeship)
    overall = snap["overall"]
    forecast = forecast_for(review.apprenticeship, today)
    system_text = {
        "progress": f"{overall['covered']} of {overall['total']} units covered as of "
        f"{review.held_on:%-d %B %Y}. Gateway forecast: {forecast.summary}",
        "off_the_job": hours_text(hours_status(review.apprenticeship, today)),
        "targets": "\n".join(
            f"{a.text} ({a.owner.name}, by {a.due_date:%-d %B %Y})" for a in review.actions
        )
        or "No targets agreed.",
        "next_review": next_review_text(review.apprenticeship, review.month),
    }
    for position, d in enumerate(template.sections):
        row = _row(review, d.key)
        if row is None:
            row = ReviewSection(
                review=review,
                key=d.key,
                position=position,
                title=d.title,
                writer=d.writer,
                is_sensitive=d.sensitive,
                text="",
            )
            db.session.add(row)
        row.position = position
        if d.is_system:
            row.text = system_text[d.key]
    db.session.flush()
    db.session.expire(review, ["sections"])  # read again in position order


# ---- scheduling ----------------------------------------------------------------------------


def timezone() -> ZoneInfo:
    """The zone meeting times are entered and shown in (``REVIEW_TIMEZONE``)."""
    return ZoneInfo(current_app.config.get("REVIEW_TIMEZONE") or "Europe/London")


def when_text(moment: dt.datetime) -> str:
    """``Tuesday 12 January 2027, 14:30 (GMT)`` in the review time zone."""
    local = moment.astimezone(timezone())
    return f"{local:%A %-d %B %Y, %H:%M} ({local:%Z})"


#: How far ahead a review may be booked.
BOOKING_HORIZON = dt.timedelta(days=731)


def schedule_review(
    actor: User,
    review: ProgressReview,
    *,
    starts_at: dt.datetime,
    duration_minutes: int = 60,
    location: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> ReviewScheduleChange:
    """Propose the review's meeting (the tutor), or move it (a reason is needed): the history
    keeps each change, and the invitation goes out again with a higher SEQUENCE."""
    _refuse_if_frozen(review)
    if not can_schedule_review(actor, review.apprenticeship):
        raise Forbidden("The tutor proposes the date and time of the review.")
    if starts_at.tzinfo is None:
        raise ValidationFailed("Give the time with its time zone.", field="starts_at")
    if starts_at < (now or db.utcnow()):
        raise ValidationFailed("Choose a date and time still to come.", field="starts_at")
    if starts_at > (now or db.utcnow()) + BOOKING_HORIZON:
        raise ValidationFailed("Choose a date within the next two years.", field="starts_at")
    if not 10 <= duration_minutes <= 480:
        raise ValidationFailed("A review lasts 10 minutes to 8 hours.", field="duration_minutes")
    location, reason = (location or "").strip(), (reason or "").strip()
    if len(location) > 500 or len(reason) > 500:
        field = "location" if len(location) > 500 else "reason"
        raise ValidationFailed("Keep it under 500 characters.", field=field)
    first = review.scheduled_at is None
    if not first:
        unchanged = (review.scheduled_at, review.duration_minutes, review.location) == (
            starts_at,
            duration_minutes,
            location,
        )
        if unchanged:
            raise ValidationFailed("That is when and where it is already.", field="starts_at")
        if not reason:
            raise ValidationFailed("Say why the review moves: the others are told.", field="reason")
        review.schedule_sequence += 1
    review.scheduled_at = starts_at.astimezone(dt.UTC)
    review.duration_minutes = duration_minutes
    review.location = location
    change = ReviewScheduleChange(
        review=review,
        sequence=review.schedule_sequence,
        scheduled_at=review.scheduled_at,
        duration_minutes=duration_minutes,
        location=location,
        reason=reason,
        changed_by_id=actor.id,
        changed_at=now or db.utcnow(),
    )
    db.session.add(change)
    db.session.flush()
    record(
        actor,
        "review.scheduled" if first else "review.rescheduled",
        review,
        apprenticeship_id=review.apprenticeship_id,
        month=review.month,
        change_id=change.id,
        sequence=change.sequence,
        scheduled_at=review.scheduled_at.isoformat(),
    )
    return change


def invitation_text(review: ProgressReview, change: ReviewScheduleChange) -> tuple[str, str]:
    """The invitation email's subject and body (no section's words: they may be sensitive)."""
    apprenticeship = review.apprenticeship
    moved = change.sequence > 0
    subject = (
        f"{'Moved: ' if moved else ''}{review.month}-month progress review of "
        f"{apprenticeship.apprentice.name}, {when_text(change.scheduled_at)}"
    )
    lines = [
        f"The {review.month}-month progress review of {apprenticeship.apprentice.name} "
        + ("has moved." if moved else "is booked."),
        "",
        f"When: {when_text(change.scheduled_at)}, for {change.duration_minutes} minutes",
        f"Where: {change.location or 'to be confirmed'}",
        f"With: {apprenticeship.apprentice.name} (apprentice), "
        f"{apprenticeship.line_manager.name} (line manager), "
        f"{apprenticeship.tutor.name} (tutor)",
    ]
    if moved and change.reason:
        lines.append(f"Why it moved: {change.reason}")
    lines += [
        "",
        "Before the meeting, write your own section of the review in Showcase.",
        "The calendar file attached adds the meeting to your calendar"
        + (" (it updates the one you have)." if moved else "."),
    ]
    return subject, "\n".join(lines)
