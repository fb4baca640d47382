"""Off-the-job training operations. Each takes the acting user and only flushes; the request
commits.

The apprentice logs activities; the tutor approves each one or returns it with a comment; a
returned entry is edited and goes back to the tutor; an approved entry is frozen. Hours count
once approved. The plan (hours and end date) is set at enrolment and changed by administrators,
reduced by recognised prior learning; what the funding rules ask of it comes from the rules
files (``showcase.training.rules``), and the arithmetic from ``showcase.training.hours``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from blinker import signal
from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.portfolios.services import PLAN_SET
from showcase.standards.models import Standard
from showcase.standards.services import rules_for
from showcase.standards.sufficiency import add_months
from showcase.training import hours as arithmetic
from showcase.training.models import (
    EntryStatus,
    PriorLearning,
    TrainingEntry,
    UnderDeliveryStatement,
)
from showcase.training.permissions import (
    can_edit_entry,
    can_log_training,
    can_plan_training,
    can_review_training,
    can_sign_statement,
)
from showcase.training.rules import AppliedRule, active_kinds, activity_kinds, rule_for

#: The longest single activity that can be logged (a long training day).
MAX_MINUTES = 12 * 60
MAX_DESCRIPTION = 5000
MAX_COMMENT = 2000


class EntryFrozen(Conflict):
    code = "entry_approved"


# ---- the hours status ------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursStatus:
    """Approved off-the-job hours against the hours expected by a date."""

    approved_hours: Decimal  # approved entries up to today
    expected_hours: Decimal  # planned hours pro rata from start to today (0 when no plan)
    planned_hours: Decimal | None
    pace: str  # "on_track" | "behind" | "no_plan"
    months_without_activity: list[str]  # "2026-09" …, past months with no approved active learning
    #: The same in minutes, for arithmetic without rounding.
    approved_minutes: int = 0
    expected_minutes: int = 0
    #: The planned hours before recognised prior learning, and what it took off.
    planned_before_rpl: int | None = None
    prior_learning_hours: int = 0
    #: The funding rule that applies (None only for an unknown apprenticeship).
    rule: AppliedRule | None = field(default=None, compare=False)
    #: Approved minutes and whether there was active learning, per calendar month ("2026-09").
    by_month: dict[str, tuple[int, bool]] = field(default_factory=dict, compare=False)
    planned_end_date: date | None = None

    @property
    def minimum_hours(self) -> int | None:
        return self.rule.minimum_hours if self.rule else None

    @property
    def pace_words(self) -> str:
        return arithmetic.PACE_WORDS[self.pace]


def _status(
    start: date,
    planned_end: date | None,
    planned_hours: int | None,
    rpl_hours: int,
    rule: AppliedRule,
    by_month: dict[str, tuple[int, bool]],
    today: date,
) -> HoursStatus:
    approved = sum(m for m, _ in by_month.values())
    has_plan = planned_hours is not None and planned_end is not None
    planned = max((planned_hours or 0) - rpl_hours, 0) if planned_hours is not None else None
    expected = (
        arithmetic.expected_minutes(planned * 60, start, planned_end, today)
        if has_plan and planned is not None and planned_end is not None
        else 0
    )
    active = {month for month, (_, was_active) in by_month.items() if was_active}
    flagged = (
        arithmetic.months_without_activity(start, planned_end, today, active)
        if rule.monthly_check
        else []
    )
    return HoursStatus(
        approved_hours=arithmetic.hours(approved),
        expected_hours=arithmetic.hours(expected),
        planned_hours=Decimal(planned) if planned is not None else None,
        pace=arithmetic.pace(approved, expected, has_plan),
        months_without_activity=flagged,
        approved_minutes=approved,
        expected_minutes=expected,
        planned_before_rpl=planned_hours,
        prior_learning_hours=rpl_hours,
        rule=rule,
        by_month=by_month,
        planned_end_date=planned_end,
    )


def hours_status(apprenticeship: Apprenticeship, today: date) -> HoursStatus:
    """The hours status of one apprenticeship on ``today``."""
    return hours_status_for([apprenticeship.id], today)[apprenticeship.id]


def hours_status_for(apprenticeship_ids: Sequence[int], today: date) -> dict[int, HoursStatus]:
    """The same for many apprenticeships in a fixed number of queries (the dashboard uses it).

    Two queries whatever the number: the apprenticeships with their standards and prior
    learning, and the approved minutes per apprenticeship and calendar month (with whether any
    of them was active learning), for activities up to ``today``.
    """
    ids = list(dict.fromkeys(apprenticeship_ids))
    if not ids:
        return {}
    rpl = (
        select(func.coalesce(func.sum(PriorLearning.hours), 0))
        .where(PriorLearning.apprenticeship_id == Apprenticeship.id)
        .scalar_subquery()
    )
    plans = db.session.execute(
        select(
            Apprenticeship.id,
            Apprenticeship.start_date,
            Apprenticeship.planned_end_date,
            Apprenticeship.planned_otj_hours,
            Standard.code,
            Standard.jurisdiction,
            rpl,
        )
        .join(Standard, Apprenticeship.standard_id == Standard.id)
        .where(Apprenticeship.id.in_(ids))
    ).all()
    year = extract("year", TrainingEntry.activity_date)
    month = extract("month", TrainingEntry.activity_date)
    active = func.sum(case((TrainingEntry.kind.in_(sorted(active_kinds())), 1), else_=0))
    months: dict[int, dict[str, tuple[int, bool]]] = defaultdict(dict)
    for appr_id, y, m, minutes, active_count in db.session.execute(
        select(
            TrainingEntry.apprenticeship_id, year, month, func.sum(TrainingEntry.minutes), active
        )
        .where(
            TrainingEntry.apprenticeship_id.in_(ids),
            TrainingEntry.status == EntryStatus.APPROVED,
            TrainingEntry.activity_date <= today,
        )
        .group_by(TrainingEntry.apprenticeship_id, year, month)
    ):
        months[appr_id][f"{int(y):04d}-{int(m):02d}"] = (int(minutes), bool(active_count))
    return {
        appr_id: _status(
            start,
            end,
            planned,
            int(prior or 0),
            rule_for(jurisdiction, code, start),
            dict(sorted(months.get(appr_id, {}).items())),
            today,
        )
        for appr_id, start, end, planned, code, jurisdiction, prior in plans
    }


@dataclass(frozen=True)
class MonthRow:
    """One calendar month of the programme on the log page."""

    key: str
    label: str
    approved_minutes: int
    active: bool
    #: A past month of a programme whose rules ask for active learning every month, with none.
    flagged: bool
    past: bool


def month_rows(apprenticeship: Apprenticeship, status: HoursStatus, today: date) -> list[MonthRow]:
    """Every calendar month from the start to today's (or the planned end's), newest first."""
    last = today
    if apprenticeship.planned_end_date is not None:
        last = min(today, apprenticeship.planned_end_date - dt.timedelta(days=1))
    flagged = set(status.months_without_activity)
    current = arithmetic.month_key(today)
    rows = []
    for key in arithmetic.calendar_months(apprenticeship.start_date, last):
        minutes, active = status.by_month.get(key, (0, False))
        rows.append(
            MonthRow(
                key=key,
                label=arithmetic.month_label(key),
                approved_minutes=minutes,
                active=active,
                flagged=key in flagged,
                past=key < current,
            )
        )
    return list(reversed(rows))


# ---- the plan --------------------------------------------------------------------------------


def rule_of(apprenticeship: Apprenticeship) -> AppliedRule:
    standard = apprenticeship.standard
    return rule_for(standard.jurisdiction, standard.code, apprenticeship.start_date)


def check_plan(apprenticeship: Apprenticeship, **_: object) -> None:
    """Refuse a planned end date before the start, or earlier than the minimum duration the
    funding rules give for the apprenticeship's start date (8 months for England from August
    2025), and negative planned hours. Also runs at enrolment (``showcase.portfolios``
    sends the ``PLAN_SET`` signal), so a bad plan is never saved."""
    end, planned = apprenticeship.planned_end_date, apprenticeship.planned_otj_hours
    if planned is not None and not 0 <= planned <= 100_000:
        raise ValidationFailed(
            "Planned off-the-job hours must be a whole number from 0 to 100,000.",
            field="planned_otj_hours",
        )
    if end is None:
        return
    start = apprenticeship.start_date
    if end <= start:
        raise ValidationFailed(
            "The planned end date must be after the start date.", field="planned_end_date"
        )
    if end > add_months(start, 120):
        raise ValidationFailed(
            "The planned end date is more than 10 years after the start.", field="planned_end_date"
        )
    rule = rule_of(apprenticeship)
    months = rule.min_duration_months
    if months is not None and end < add_months(start, months):
        raise ValidationFailed(
            f"An apprenticeship must last at least {months} months under the "
            f"{rule.jurisdiction} funding rules for starts in {rule.year.key if rule.year else ''}"
            f": choose a planned end date on or after {add_months(start, months):%-d %B %Y}.",
            field="planned_end_date",
        )


# ``showcase.portfolios.services.create_apprenticeship`` sends PLAN_SET with the new
# apprenticeship (its planned end date and hours set) before it is saved; refuse a bad plan.
signal(PLAN_SET).connect(check_plan, weak=False)


def set_plan(
    actor: User,
    apprenticeship: Apprenticeship,
    *,
    planned_end_date: date | None,
    planned_otj_hours: int | None,
) -> Apprenticeship:
    """Change the planned end date and off-the-job hours (administrators; audited)."""
    if not can_plan_training(actor, apprenticeship):
        raise Forbidden(
            "Only administrators of the apprenticeship's employer or training provider change "
            "the plan."
        )
    db.lock_for_change(apprenticeship)
    before = (apprenticeship.planned_end_date, apprenticeship.planned_otj_hours)
    if before == (planned_end_date, planned_otj_hours):
        return apprenticeship
    apprenticeship.planned_end_date = planned_end_date
    apprenticeship.planned_otj_hours = planned_otj_hours
    check_plan(apprenticeship)
    db.session.flush()
    record(
        actor,
        "training.plan_changed",
        apprenticeship,
        apprenticeship_id=apprenticeship.id,
        planned_end_date={"from": before[0], "to": planned_end_date},
        planned_otj_hours={"from": before[1], "to": planned_otj_hours},
    )
    return apprenticeship


def prior_learning(apprenticeship: Apprenticeship) -> list[PriorLearning]:
    return list(
        db.session.scalars(
            select(PriorLearning)
            .where(PriorLearning.apprenticeship_id == apprenticeship.id)
            .options(joinedload(PriorLearning.recorded_by))
            .order_by(PriorLearning.recorded_at, PriorLearning.id)
        )
    )


def record_prior_learning(
    actor: User, apprenticeship: Apprenticeship, *, hours: int, reason: str
) -> PriorLearning:
    """Take ``hours`` off the planned hours for recognised prior learning, with its reason."""
    if not can_plan_training(actor, apprenticeship):
        raise Forbidden("Only administrators of the employer or training provider record this.")
    db.lock_for_change(apprenticeship)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say what prior learning was recognised.", field="reason")
    if len(reason) > MAX_DESCRIPTION:
        raise ValidationFailed("Keep the reason under 5,000 characters.", field="reason")
    if apprenticeship.planned_otj_hours is None:
        raise ValidationFailed(
            "Set the planned off-the-job hours first: prior learning reduces them.", field="hours"
        )
    already = sum(p.hours for p in prior_learning(apprenticeship))
    if not 1 <= hours <= apprenticeship.planned_otj_hours - already:
        raise ValidationFailed(
            f"Prior learning can take from 1 to {apprenticeship.planned_otj_hours - already} "
            "hours off the plan.",
            field="hours",
        )
    row = PriorLearning(
        apprenticeship_id=apprenticeship.id, hours=hours, reason=reason, recorded_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "training.prior_learning_recorded",
        row,
        apprenticeship_id=apprenticeship.id,
        hours=hours,
    )
    return row


# ---- the log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryDetails:
    """What the apprentice says about one activity."""

    activity_date: date
    minutes: int
    kind: str
    description: str
    unit_refs: tuple[str, ...] = ()
    evidence_id: int | None = None


def _checked(apprenticeship: Apprenticeship, details: EntryDetails, today: date) -> EntryDetails:
    if details.activity_date > today:
        raise ValidationFailed("Log activities once they have happened.", field="activity_date")
    if details.activity_date < apprenticeship.start_date:
        raise ValidationFailed(
            f"The apprenticeship started on {apprenticeship.start_date:%-d %B %Y}: "
            "training before then does not count.",
            field="activity_date",
        )
    if not 1 <= details.minutes <= MAX_MINUTES:
        raise ValidationFailed("Say how long it took: from 1 minute to 12 hours.", field="minutes")
    if details.kind not in activity_kinds():
        raise ValidationFailed("Choose what kind of activity it was.", field="kind")
    description = (details.description or "").strip()
    if not description:
        raise ValidationFailed("Say what you did and what you learnt.", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed("Keep the description under 5,000 characters.", field="description")
    units = rules_for(apprenticeship.standard).by_ref
    refs = tuple(dict.fromkeys(details.unit_refs))
    unknown = [r for r in refs if r not in units]
    if unknown:
        raise ValidationFailed(
            f"Not a unit of {apprenticeship.standard.key}: {', '.join(unknown[:3])}.",
            field="unit_refs",
        )
    if details.evidence_id is not None:
        item = db.session.get(Evidence, details.evidence_id)
        if item is None or item.apprenticeship_id != apprenticeship.id or item.deleted_at:
            raise ValidationFailed(
                "Link an evidence item of your own portfolio.", field="evidence_id"
            )
    return EntryDetails(
        details.activity_date, details.minutes, details.kind, description, refs, details.evidence_id
    )


def log_entry(
    actor: User, apprenticeship: Apprenticeship, details: EntryDetails, today: date | None = None
) -> TrainingEntry:
    """The apprentice logs an activity; it waits for the tutor's approval."""
    if not can_log_training(actor, apprenticeship):
        raise Forbidden("Only the apprentice logs their off-the-job training.")
    details = _checked(apprenticeship, details, today or date.today())
    entry = TrainingEntry(
        apprenticeship=apprenticeship,
        activity_date=details.activity_date,
        minutes=details.minutes,
        kind=details.kind,
        description=details.description,
        unit_refs=list(details.unit_refs),
        evidence_id=details.evidence_id,
        status=EntryStatus.SUBMITTED,
        created_by_id=actor.id,
        submitted_at=db.utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    record(
        actor,
        "training.entry_logged",
        entry,
        apprenticeship_id=apprenticeship.id,
        activity_date=details.activity_date,
        minutes=details.minutes,
        kind=details.kind,
    )
    return entry


def _refuse_if_frozen(entry: TrainingEntry) -> None:
    # Row lock first, then the check on the re-read row: an approval and an edit at the same
    # moment never both land.
    db.lock_for_change(entry)
    if entry.is_frozen:
        raise EntryFrozen(
            "The tutor approved this entry: it is part of the funding record and can no longer "
            "change. Log a new entry instead."
        )


def edit_entry(
    actor: User, entry: TrainingEntry, details: EntryDetails, today: date | None = None
) -> TrainingEntry:
    """The apprentice corrects an entry; a returned entry goes back to the tutor."""
    _refuse_if_frozen(entry)
    if not can_edit_entry(actor, entry):
        raise Forbidden("Only the apprentice changes their own log.")
    details = _checked(entry.apprenticeship, details, today or date.today())
    resubmitted = entry.status is EntryStatus.RETURNED
    entry.activity_date = details.activity_date
    entry.minutes = details.minutes
    entry.kind = details.kind
    entry.description = details.description
    entry.unit_refs = list(details.unit_refs)
    entry.evidence_id = details.evidence_id
    if resubmitted:
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = db.utcnow()
    db.session.flush()
    record(
        actor,
        "training.entry_resubmitted" if resubmitted else "training.entry_edited",
        entry,
        apprenticeship_id=entry.apprenticeship_id,
        activity_date=details.activity_date,
        minutes=details.minutes,
        kind=details.kind,
    )
    return entry


def _review(actor: User, entry: TrainingEntry, status: EntryStatus, comment: str) -> TrainingEntry:
    _refuse_if_frozen(entry)
    if not can_review_training(actor, entry.apprenticeship):
        raise Forbidden("Only the apprentice's tutor approves or returns training entries.")
    if entry.status is EntryStatus.RETURNED:
        raise Conflict(
            "This entry was returned to the apprentice; it comes back to you once they change it."
        )
    comment = (comment or "").strip()
    if status is EntryStatus.RETURNED and not comment:
        raise ValidationFailed(
            "Say why the entry is returned, so the apprentice knows what to change.",
            field="comment",
        )
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("Keep the comment under 2,000 characters.", field="comment")
    entry.status = status
    entry.review_comment = comment or None
    entry.reviewed_by_id = actor.id
    entry.reviewed_at = db.utcnow()
    db.session.flush()
    record(
        actor,
        f"training.entry_{status.value}",
        entry,
        apprenticeship_id=entry.apprenticeship_id,
        minutes=entry.minutes,
        comment=comment,
    )
    return entry


def approve_entry(actor: User, entry: TrainingEntry, comment: str = "") -> TrainingEntry:
    """The tutor approves an entry (the comment is optional); it is frozen from then on."""
    return _review(actor, entry, EntryStatus.APPROVED, comment)


def return_entry(actor: User, entry: TrainingEntry, comment: str) -> TrainingEntry:
    """The tutor returns an entry to the apprentice with a comment saying what to change."""
    return _review(actor, entry, EntryStatus.RETURNED, comment)


def list_entries(apprenticeship_ids: Sequence[int]) -> list[TrainingEntry]:
    """The entries of these apprenticeships, newest activity first (one query)."""
    if not apprenticeship_ids:
        return []
    return list(
        db.session.scalars(
            select(TrainingEntry)
            .where(TrainingEntry.apprenticeship_id.in_(list(apprenticeship_ids)))
            .options(
                joinedload(TrainingEntry.reviewed_by),
                joinedload(TrainingEntry.evidence),
                joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.apprentice),
                joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.standard),
            )
            .order_by(TrainingEntry.activity_date.desc(), TrainingEntry.id.desc())
        )
    )


def waiting_for(tutor: User) -> list[TrainingEntry]:
    """Entries waiting for ``tutor``'s approval, across their learners, oldest first."""
    return list(
        db.session.scalars(
            select(TrainingEntry)
            .join(Apprenticeship, TrainingEntry.apprenticeship_id == Apprenticeship.id)
            .where(
                Apprenticeship.tutor_id == tutor.id, TrainingEntry.status == EntryStatus.SUBMITTED
            )
            .options(
                joinedload(TrainingEntry.evidence),
                joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.apprentice),
                joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.standard),
            )
            .order_by(TrainingEntry.submitted_at, TrainingEntry.id)
        )
    )


# ---- the under-delivery statement ------------------------------------------------------------


@dataclass(frozen=True)
class StatementState:
    """Whether the employer must sign an under-delivery statement, and the latest signed one."""

    #: "not_applicable", "not_yet" (the programme has not ended), "met" (the plan was
    #: delivered), "below_minimum", "needed", "signed".
    state: str
    text: str
    signed: UnderDeliveryStatement | None = None

    @property
    def needs_signature(self) -> bool:
        return self.state == "needed"


def statement_state(
    status: HoursStatus,
    planned_end: date | None,
    today: date,
    latest: UnderDeliveryStatement | None,
) -> StatementState:
    """From plain data: does the programme need the employer's under-delivery statement?"""
    rule = status.rule
    if rule is None or not rule.statement_required:
        return StatementState("not_applicable", "No under-delivery statement applies.", latest)
    if status.planned_hours is None or planned_end is None:
        return StatementState("not_applicable", "No plan is recorded yet.", latest)
    if today < planned_end:
        return StatementState("not_yet", "Checked when the planned end date is reached.", latest)
    planned = int(status.planned_hours) * 60
    if status.approved_minutes >= planned:
        return StatementState("met", "The planned hours were delivered.", latest)
    minimum = rule.minimum_hours
    if minimum is not None and status.approved_minutes < minimum * 60:
        return StatementState(
            "below_minimum",
            f"Fewer hours than the minimum of {minimum} were delivered: a statement does not "
            "make up for that.",
            latest,
        )
    if (
        latest is not None
        and latest.delivered_minutes == status.approved_minutes
        and latest.planned_minutes == planned
    ):
        return StatementState("signed", "The employer signed the statement.", latest)
    unknown = (
        " The minimum for this standard is not recorded in the rules file, so whether the "
        "delivered hours reach it could not be checked."
        if minimum is None
        else ""
    )
    return StatementState(
        "needed",
        f"Fewer off-the-job hours were delivered ({arithmetic.hours_text(status.approved_minutes)})"
        f" than planned ({int(status.planned_hours)} h): the employer signs a statement." + unknown,
        latest,
    )


def latest_statements(apprenticeship_ids: Sequence[int]) -> dict[int, UnderDeliveryStatement]:
    """The newest signed statement of each apprenticeship (one query)."""
    latest: dict[int, UnderDeliveryStatement] = {}
    if not apprenticeship_ids:
        return latest
    for row in db.session.scalars(
        select(UnderDeliveryStatement)
        .where(UnderDeliveryStatement.apprenticeship_id.in_(list(apprenticeship_ids)))
        .options(joinedload(UnderDeliveryStatement.signed_by))
        .order_by(UnderDeliveryStatement.signed_at, UnderDeliveryStatement.id)
    ):
        latest[row.apprenticeship_id] = row
    return latest


def statement_for(
    apprenticeship: Apprenticeship, status: HoursStatus, today: date
) -> StatementState:
    latest = latest_statements([apprenticeship.id]).get(apprenticeship.id)
    return statement_state(status, apprenticeship.planned_end_date, today, latest)


def sign_statement(
    actor: User, apprenticeship: Apprenticeship, reason: str, today: date | None = None
) -> UnderDeliveryStatement:
    """The line manager signs the under-delivery statement, with the figures as they stand."""
    if not can_sign_statement(actor, apprenticeship):
        raise Forbidden("The apprentice's line manager signs the statement for the employer.")
    today = today or date.today()
    db.lock_for_change(apprenticeship)
    status = hours_status(apprenticeship, today)
    state = statement_for(apprenticeship, status, today)
    if not state.needs_signature:
        raise Conflict(f"No statement is waiting to be signed: {state.text}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why fewer hours than planned were needed or delivered.", field="reason"
        )
    if len(reason) > MAX_DESCRIPTION:
        raise ValidationFailed("Keep the reason under 5,000 characters.", field="reason")
    statement = UnderDeliveryStatement(
        apprenticeship_id=apprenticeship.id,
        planned_minutes=int(status.planned_hours or 0) * 60,
        delivered_minutes=status.approved_minutes,
        minimum_hours=status.minimum_hours,
        reason=reason,
        signed_by_id=actor.id,
        signed_at=db.utcnow(),
    )
    db.session.add(statement)
    db.session.flush()
    record(
        actor,
        "training.statement_signed",
        statement,
        apprenticeship_id=apprenticeship.id,
        planned_minutes=statement.planned_minutes,
        delivered_minutes=statement.delivered_minutes,
        minimum_hours=statement.minimum_hours,
    )
    return statement


# ---- to-do items (showcase.home.todo turns these into its items) ------------------------------


@dataclass(frozen=True)
class TrainingTodo:
    kind: str  # "training_waiting", "training_returned", "training_inactive_month",
    #            "training_statement"
    apprenticeship_id: int
    text: str
    url: str
    since: date | None = None
    detail: str = ""
    soon: bool = False


def _log_url(apprenticeship_id: int) -> str:
    return f"/apprenticeships/{apprenticeship_id}/training"


def tutor_todo(apprenticeship_ids: Sequence[int]) -> list[TrainingTodo]:
    """Entries waiting for the tutor: one line per learner (one query)."""
    if not apprenticeship_ids:
        return []
    rows = db.session.execute(
        select(
            TrainingEntry.apprenticeship_id,
            func.count(),
            func.sum(TrainingEntry.minutes),
            func.min(TrainingEntry.submitted_at),
        )
        .where(
            TrainingEntry.apprenticeship_id.in_(list(apprenticeship_ids)),
            TrainingEntry.status == EntryStatus.SUBMITTED,
        )
        .group_by(TrainingEntry.apprenticeship_id)
    ).all()
    return [
        TrainingTodo(
            kind="training_waiting",
            apprenticeship_id=appr_id,
            text=f"{n} off-the-job training entr{'y' if n == 1 else 'ies'} "
            f"({arithmetic.hours_text(int(minutes))}) waiting for your approval",
            url="/training/queue",
            since=oldest.date() if oldest else None,
            soon=True,
        )
        for appr_id, n, minutes, oldest in rows
    ]


def apprentice_todo(apprenticeship_ids: Sequence[int], today: date) -> list[TrainingTodo]:
    """Returned entries and past months without active learning (three queries)."""
    if not apprenticeship_ids:
        return []
    items = []
    for entry in db.session.scalars(
        select(TrainingEntry)
        .where(
            TrainingEntry.apprenticeship_id.in_(list(apprenticeship_ids)),
            TrainingEntry.status == EntryStatus.RETURNED,
        )
        .order_by(TrainingEntry.reviewed_at, TrainingEntry.id)
    ):
        items.append(
            TrainingTodo(
                kind="training_returned",
                apprenticeship_id=entry.apprenticeship_id,
                text=f"Off-the-job training entry of {entry.activity_date:%-d %b %Y} returned: "
                "change it and send it back",
                url=f"/training/entries/{entry.id}/edit",
                since=entry.reviewed_at.date() if entry.reviewed_at else None,
                detail=f"“{entry.review_comment}”" if entry.review_comment else "",
                soon=True,
            )
        )
    for appr_id, status in hours_status_for(apprenticeship_ids, today).items():
        missing = status.months_without_activity
        if missing:
            items.append(
                TrainingTodo(
                    kind="training_inactive_month",
                    apprenticeship_id=appr_id,
                    text="No approved off-the-job training in "
                    + ", ".join(arithmetic.month_label(m) for m in missing[-3:])
                    + (f" and {len(missing) - 3} earlier months" if len(missing) > 3 else ""),
                    url=_log_url(appr_id),
                    detail="The funding rules expect active learning in every month: log what "
                    "you did, or talk to your tutor.",
                )
            )
    return items


def line_manager_todo(apprenticeship_ids: Sequence[int], today: date) -> list[TrainingTodo]:
    """Under-delivery statements waiting for the employer's signature (two queries, three
    when a programme ended below its plan)."""
    if not apprenticeship_ids:
        return []
    statuses = hours_status_for(apprenticeship_ids, today)
    candidates = [
        appr_id
        for appr_id, status in statuses.items()
        if statement_state(status, status.planned_end_date, today, None).needs_signature
    ]
    # Only programmes that ended below the plan need their signed statements read.
    latest = latest_statements(candidates)
    items = []
    for appr_id in candidates:
        status = statuses[appr_id]
        state = statement_state(status, status.planned_end_date, today, latest.get(appr_id))
        if state.needs_signature:
            items.append(
                TrainingTodo(
                    kind="training_statement",
                    apprenticeship_id=appr_id,
                    text="Sign the statement on off-the-job hours delivered below the plan",
                    url=_log_url(appr_id) + "#statement",
                    detail=state.text,
                    soon=True,
                )
            )
    return items


# ---- CSV -------------------------------------------------------------------------------------

CSV_HEADER = [
    "apprenticeship_id",
    "apprentice",
    "standard",
    "entry_id",
    "activity_date",
    "minutes",
    "hours",
    "kind",
    "description",
    "units",
    "evidence_id",
    "status",
    "tutor_comment",
    "reviewed_at",
]


def csv_rows(entries: Sequence[TrainingEntry]) -> list[list[object]]:
    """The log as CSV rows (the view makes every cell safe for spreadsheets)."""
    return [
        [
            e.apprenticeship_id,
            e.apprenticeship.apprentice.name,
            e.apprenticeship.standard.key,
            e.id,
            e.activity_date.isoformat(),
            e.minutes,
            str(arithmetic.hours(e.minutes)),
            e.kind,
            e.description,
            " ".join(e.unit_refs or []),
            e.evidence_id or "",
            e.status.value,
            e.review_comment or "",
            e.reviewed_at.isoformat() if e.reviewed_at else "",
        ]
        for e in entries
    ]


def cohort_ids(user: User) -> list[int]:
    """The apprenticeships ``user`` may see, for the cohort export."""
    return list(
        db.session.scalars(
            select(Apprenticeship.id)
            .where(visible_apprenticeships(user))
            .order_by(Apprenticeship.id)
        )
    )
