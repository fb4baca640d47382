"""The cohort dashboard's rows: read-only, a fixed number of queries however large the cohort."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from showcase import db
from showcase.accounts.models import User
from showcase.assessment.stage import (
    ON_PROGRAMME,
    Stage,
    Standing,
    join_standing,
    standing_from_row,
)
from showcase.coverage.models import CoverageSummary
from showcase.coverage.services import progress
from showcase.dashboard.permissions import can_see_dashboard
from showcase.errors import Forbidden
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.reviews.models import ProgressReview
from showcase.reviews.services import ReviewPoint, schedule
from showcase.standards import sufficiency
from showcase.standards.models import Standard
from showcase.standards.services import rules_for


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


def dashboard(user: User, today: dt.date | None = None) -> list[DashboardRow]:
    """Every apprenticeship the user sees, with coverage, gaps, reviews and stage (four queries).

    Reads plain columns and the per-apprenticeship summaries, never the tags: the cost grows
    with the number of apprentices only, by one small row each.
    """
    if not can_see_dashboard(user):
        raise Forbidden("Dashboards are for line managers, tutors and administrators.")
    today = today or dt.date.today()
    visible = visible_apprenticeships(user)
    rows_in = db.session.execute(cohort_query(user)).all()
    standard_ids = {row.standard_id for row in rows_in}
    standards = (
        {s.id: s for s in db.session.scalars(select(Standard).where(Standard.id.in_(standard_ids)))}
        if standard_ids
        else {}
    )
    reviews: dict[int, dict[int, ProgressReview]] = {}
    for review in db.session.scalars(
        select(ProgressReview)
        .join(Apprenticeship, ProgressReview.apprenticeship_id == Apprenticeship.id)
        .where(visible)
    ):
        reviews.setdefault(review.apprenticeship_id, {})[review.month] = review
    per_standard: dict[int, tuple[sufficiency.StandardRules, dict[str, int]]] = {}
    for standard_id, standard in standards.items():
        rules = rules_for(standard)
        totals: dict[str, int] = {}
        for unit in rules.units:
            totals[unit.module_key] = totals.get(unit.module_key, 0) + 1
        per_standard[standard_id] = (rules, totals)
    rows = []
    for row in rows_in:
        apprenticeship_id, start, standard_id, name, module_covered = row[:5]
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
        standing = standing_from_row(row)
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
            )
        )
    return rows
