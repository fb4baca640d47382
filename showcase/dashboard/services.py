"""The cohort dashboard's rows: read-only, a page at a time, a fixed number of queries however
large the cohort or the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select

from showcase import db
from showcase.accounts.models import User
from showcase.assessment.stage import (
    ON_PROGRAMME,
    Stage,
    Standing,
    join_standing,
    standing_from_row,
)
from showcase.coverage.forecast import Enrolment, Forecast, forecasts_from
from showcase.coverage.models import CoverageSummary
from showcase.coverage.services import progress
from showcase.dashboard.permissions import can_see_dashboard
from showcase.errors import Forbidden, ValidationFailed
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.reviews.models import ProgressReview
from showcase.reviews.services import ReviewPoint, schedule
from showcase.standards import sufficiency
from showcase.standards.models import Standard
from showcase.standards.services import rules_for
from showcase.training.services import HoursStatus, hours_status_for

#: Apprentices on one page of the dashboard, and the most an API client may ask for.
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the cohort: just after the apprenticeship with this (start date, id).

    The dashboard's order is (start date, id), so keyset pagination is one more WHERE: a page
    costs the same however deep it is. Written ``<YYYY-MM-DD>.<id>``, safe in a URL."""

    start_date: dt.date
    apprenticeship_id: int

    def __str__(self) -> str:
        return f"{self.start_date.isoformat()}.{self.apprenticeship_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor written by ``str()``; None for none; 422 for anything else."""
        if not text:
            return None
        day, dot, ident = text.partition(".")
        try:
            # Ids fit a BIGINT: at most 18 digits, so no database overflow on a made-up one.
            if not dot or not ident.isdigit() or len(ident) > 18 or len(text) > 40:
                raise ValueError(text)
            return cls(dt.date.fromisoformat(day), int(ident))
        except ValueError:
            raise ValidationFailed(
                "That position in the list is not valid. Start again from the first page.",
                field="after",
            ) from None


def format_hours(hours: Decimal) -> str:
    """Hours as people write them: 12, 12.5 (never 12.00)."""
    text = f"{hours:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class DashboardRow:
    apprenticeship_id: int
    apprentice_name: str
    standard_key: str
    start_date: dt.date
    covered: int
    total: int
    #: (module title, units not yet covered), modules with gaps only, in document order.
    module_gaps: list[tuple[str, int]]
    next_review: ReviewPoint | None
    overdue: list[ReviewPoint]
    months_elapsed: int
    months_to_gateway: int | None
    expected: float | None
    pace: str
    #: Where the apprenticeship stands; past the gateway pace and time to gateway are not
    #: shown (they would call a graded apprentice "behind").
    standing: Standing = ON_PROGRAMME

    @property
    def stage(self) -> Stage:
        return self.standing.stage

    @property
    def all_reviews_signed(self) -> bool:
        """Every review point signed: false for a standard without review points too."""
        return self.next_review is None and self.has_reviews

    #: Whether the standard has review points at all.
    has_reviews: bool = True
    #: The planned end of the practical period (None: not recorded).
    planned_end: dt.date | None = None
    #: The gateway forecast (None past the gateway, where it means nothing).
    forecast: Forecast | None = None
    #: Off-the-job hours approved against those expected by today.
    hours: HoursStatus | None = None

    @property
    def hours_text(self) -> str:
        """ "12 of 40 h": approved of expected by today."""
        if self.hours is None:
            return ""
        approved, expected = self.hours.approved_hours, self.hours.expected_hours
        return f"{format_hours(approved)} of {format_hours(expected)} h"

    @property
    def percent(self) -> int:
        return self.covered * 100 // self.total if self.total else 0

    @property
    def expected_percent(self) -> int | None:
        return None if self.expected is None else round(self.expected * 100)

    @property
    def gaps_summary(self) -> str:
        """ "Module: n; Module: n" — one string, so a long cohort renders quickly."""
        return "; ".join(f"{title}: {n}" for title, n in self.module_gaps)


def cohort_query(user: User, *columns: Any) -> Select:
    """Every apprenticeship ``user`` sees, oldest first: id, start, standard, the apprentice's
    name, the covered units per module, ``columns``, and where each stands (one query; the
    dashboard and the to-do lists read their cohorts through it)."""
    return join_standing(
        select(
            Apprenticeship.id,
            Apprenticeship.start_date,
            Apprenticeship.standard_id,
            *columns,
            User.name,
            CoverageSummary.module_covered,
        )
        .join(User, Apprenticeship.apprentice_id == User.id)
        .outerjoin(CoverageSummary, CoverageSummary.apprenticeship_id == Apprenticeship.id)
        .where(visible_apprenticeships(user))
        .order_by(Apprenticeship.start_date, Apprenticeship.id)
    )


@dataclass(frozen=True)
class DashboardPage:
    rows: list[DashboardRow]
    #: Where the next page starts, or None on the last page.
    next_cursor: Cursor | None
    #: Apprentices before this page, and in the whole cohort.
    offset: int
    total: int


def _after(cursor: Cursor) -> Any:
    return or_(
        Apprenticeship.start_date > cursor.start_date,
        and_(
            Apprenticeship.start_date == cursor.start_date,
            Apprenticeship.id > cursor.apprenticeship_id,
        ),
    )


def dashboard(
    user: User,
    today: dt.date | None = None,
    *,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> DashboardPage:
    """A page of the apprenticeships the user sees, oldest start first, with coverage, gaps,
    reviews, stage, the gateway forecast and off-the-job hours.

    A fixed number of queries whatever the cohort's or the page's size: the count, the page's
    rows (plain columns and the per-apprenticeship coverage summaries, never the tags), their
    standards, their reviews, the forecast's stored days (and accepted spells, for learners
    missing any) and the hours.
    """
    if not can_see_dashboard(user):
        raise Forbidden("Dashboards are for line managers, tutors and administrators.")
    today = today or dt.date.today()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    later = _after(after) if after is not None else None
    # The cohort's size and how many come before this page, for "26 to 50 of 1,000".
    total, offset = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((later, 0), else_=1)), 0)
            if later is not None
            else literal(0),
        )
        .select_from(Apprenticeship)
        .where(visible_apprenticeships(user))
    ).one()
    stmt = cohort_query(user, Apprenticeship.planned_end_date)
    if later is not None:
        stmt = stmt.where(later)
    rows_in = db.session.execute(stmt.limit(limit + 1)).all()
    more = len(rows_in) > limit
    rows = _rows(rows_in[:limit], today)
    return DashboardPage(
        rows=rows,
        next_cursor=Cursor(rows[-1].start_date, rows[-1].apprenticeship_id) if more else None,
        offset=int(offset),
        total=int(total),
    )


def all_rows(user: User, today: dt.date | None = None) -> Iterator[DashboardRow]:
    """Every row of the user's dashboard, read a page of ``MAX_PAGE_SIZE`` at a time (the CSV)."""
    today = today or dt.date.today()
    after = None
    while True:
        page = dashboard(user, today, after=after, limit=MAX_PAGE_SIZE)
        yield from page.rows
        if page.next_cursor is None:
            return
        after = page.next_cursor


def _rows(rows_in: list[Any], today: dt.date) -> list[DashboardRow]:
    """Dashboard rows from ``cohort_query(user, planned_end_date)`` rows (four queries)."""
    # Positional: the standing columns repeat names ("id"), so rows are read by position.
    ids = [row[0] for row in rows_in]
    standard_ids = sorted({row[2] for row in rows_in})
    standards = (
        {s.id: s for s in db.session.scalars(select(Standard).where(Standard.id.in_(standard_ids)))}
        if standard_ids
        else {}
    )
    reviews: dict[int, dict[int, ProgressReview]] = {}
    if ids:
        for review in db.session.scalars(
            select(ProgressReview).where(ProgressReview.apprenticeship_id.in_(ids))
        ):
            reviews.setdefault(review.apprenticeship_id, {})[review.month] = review
    per_standard: dict[int, tuple[sufficiency.StandardRules, dict[str, int]]] = {}
    for standard_id, standard in standards.items():
        rules = rules_for(standard)
        totals: dict[str, int] = {}
        for unit in rules.units:
            totals[unit.module_key] = totals.get(unit.module_key, 0) + 1
        per_standard[standard_id] = (rules, totals)
    standings = {row[0]: standing_from_row(row) for row in rows_in}
    # Forecasts for those still learning only: past the gateway there is nothing to forecast.
    forecasts = forecasts_from(
        [
            Enrolment(row[0], row[1], row[3], per_standard[row[2]][0], row[5] or {})
            for row in rows_in
            if standings[row[0]].stage.learning
        ],
        today,
    )
    hours = hours_status_for(ids, today) if ids else {}
    rows = []
    for row in rows_in:
        apprenticeship_id, start, standard_id, planned_end, name, module_covered = row[:6]
        rules, totals = per_standard[standard_id]
        done = module_covered or {}
        gaps = [
            (m.title, totals.get(m.key, 0) - done.get(m.key, 0))
            for m in rules.modules
            if totals.get(m.key, 0) > done.get(m.key, 0)
        ]
        points = schedule(
            start, rules.review_points_months, reviews.get(apprenticeship_id, {}), today
        )
        n_covered, n_total = sum(done.values()), len(rules.units)
        now = progress(rules, start, today, n_covered, n_total)
        standing = standings[apprenticeship_id]
        learning = standing.stage.learning
        rows.append(
            DashboardRow(
                apprenticeship_id=apprenticeship_id,
                apprentice_name=name,
                standard_key=standards[standard_id].key,
                start_date=start,
                covered=n_covered,
                total=n_total,
                module_gaps=gaps,
                next_review=next((p for p in points if not p.signed), None) if learning else None,
                overdue=[p for p in points if p.overdue] if learning else [],
                months_elapsed=now.months,
                months_to_gateway=now.months_to_gateway if learning else None,
                expected=now.expected if learning else None,
                pace=now.pace if learning else "unknown",
                standing=standing,
                has_reviews=bool(points),
                planned_end=planned_end,
                forecast=forecasts.get(apprenticeship_id),
                hours=hours.get(apprenticeship_id),
            )
        )
    return rows
