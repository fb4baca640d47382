"""Coverage reads: today's report from the rollup, past dates replayed from tag history,
the evidence matrix and the cohort dashboard. Read-only; the pure rules are in
``showcase.standards.coverage``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.coverage.models import CoverageRollup, CoverageSummary
from showcase.coverage.permissions import can_see_dashboard
from showcase.coverage.rollup import rules_for
from showcase.errors import Forbidden
from showcase.evidence.models import Evidence, EvidenceTag, TagEvent
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.reviews.models import ProgressReview
from showcase.standards import coverage
from showcase.standards.models import Standard, StandardReference


def live_report(apprenticeship: Apprenticeship, today: dt.date | None = None) -> coverage.Report:
    """Coverage now, read from the maintained rollup (one query)."""
    rules = rules_for(apprenticeship.standard)
    # Plain columns, not ORM objects: this is the hot path of the coverage page.
    rows = db.session.execute(
        select(
            StandardReference.ref,
            CoverageRollup.tag_count,
            CoverageRollup.accepted_count,
            CoverageRollup.pending_count,
            CoverageRollup.sent_back_count,
            CoverageRollup.third_party_count,
            CoverageRollup.third_party_accepted_count,
            CoverageRollup.kinds,
        )
        .join(StandardReference, CoverageRollup.reference_id == StandardReference.id)
        .where(CoverageRollup.apprenticeship_id == apprenticeship.id)
    ).all()
    tallies = {
        ref: coverage.Tally(*counts, kinds=tuple(k for k in kinds.split(",") if k))
        for ref, *counts, kinds in rows
    }
    return coverage.build_report(rules, tallies, today or dt.date.today())


@dataclass(frozen=True)
class History:
    """Everything needed to replay an apprenticeship's coverage at any date."""

    evidence: list[coverage.EvidenceRecord]
    tags: list[coverage.TagRecord]
    events: list[coverage.EventRecord]


def load_history(apprenticeship: Apprenticeship) -> History:
    """The apprenticeship's evidence, tags and tag events as plain records (three queries)."""
    rows = db.session.execute(
        select(
            Evidence.id,
            Evidence.kind,
            Evidence.activity_date,
            Evidence.created_at,
            Evidence.deleted_at,
        ).where(Evidence.apprenticeship_id == apprenticeship.id)
    )
    evidence = [
        coverage.EvidenceRecord(e.id, str(e.kind), e.activity_date, e.created_at, e.deleted_at)
        for e in rows
    ]
    tagged = (
        select(EvidenceTag.id, EvidenceTag.evidence_id, StandardReference.ref)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .where(Evidence.apprenticeship_id == apprenticeship.id)
    )
    tags = [coverage.TagRecord(*row) for row in db.session.execute(tagged)]
    events = [
        coverage.EventRecord(*row)
        for row in db.session.execute(
            select(TagEvent.tag_id, TagEvent.action, TagEvent.at)
            .join(EvidenceTag, TagEvent.tag_id == EvidenceTag.id)
            .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
            .where(Evidence.apprenticeship_id == apprenticeship.id)
            .order_by(TagEvent.at, TagEvent.id)
        )
    ]
    return History(evidence, tags, events)


def report_at(
    apprenticeship: Apprenticeship, as_of: dt.date, today: dt.date | None = None
) -> coverage.Report:
    """Coverage at the end of ``as_of``: the rollup for today, the replayed history before."""
    today = today or dt.date.today()
    if as_of >= today:
        return live_report(apprenticeship, today)
    history = load_history(apprenticeship)
    return coverage.report_as_of(
        rules_for(apprenticeship.standard), history.evidence, history.tags, history.events, as_of
    )


@dataclass(frozen=True)
class SeriesPoint:
    day: dt.date
    month: int
    covered: int
    total: int
    #: Share expected by now if progress were even up to the gateway (None: no gateway).
    expected: float | None

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0


def coverage_series(
    apprenticeship: Apprenticeship, today: dt.date | None = None
) -> list[SeriesPoint]:
    """Coverage at each month since the start (and today), for the chart over time."""
    today = today or dt.date.today()
    rules = rules_for(apprenticeship.standard)
    history = load_history(apprenticeship)
    days = coverage.chart_points(apprenticeship.start_date, today, rules.gateway_min_months)
    if days[-1] != today:
        days.append(today)
    points = []
    for day in days:
        report = coverage.report_as_of(rules, history.evidence, history.tags, history.events, day)
        months = coverage.months_between(apprenticeship.start_date, day)
        points.append(
            SeriesPoint(
                day,
                months,
                report.overall.covered,
                report.overall.total,
                coverage.expected_share(months, rules.gateway_min_months),
            )
        )
    return points


@dataclass(frozen=True)
class MatrixCell:
    evidence_id: int
    title: str
    kind: str
    status: str


def matrix(apprenticeship: Apprenticeship) -> dict[str, list[MatrixCell]]:
    """Each unit's live tags with their evidence, by ref (one query)."""
    rows = db.session.execute(
        select(
            StandardReference.ref, Evidence.id, Evidence.title, Evidence.kind, EvidenceTag.status
        )
        .select_from(EvidenceTag)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .where(
            Evidence.apprenticeship_id == apprenticeship.id,
            Evidence.deleted_at.is_(None),
            EvidenceTag.removed_at.is_(None),
        )
        .order_by(Evidence.activity_date, Evidence.id)
    )
    cells: dict[str, list[MatrixCell]] = {}
    for ref, evidence_id, title, kind, status in rows:
        cells.setdefault(ref, []).append(MatrixCell(evidence_id, title, str(kind), str(status)))
    return cells


# ---------------------------------------------------------------------------- reviews due


@dataclass(frozen=True)
class ReviewPoint:
    month: int
    due: dt.date
    review: ProgressReview | None
    overdue: bool

    @property
    def signed(self) -> bool:
        return self.review is not None and self.review.is_frozen


def _points(
    start: dt.date,
    months: tuple[int, ...],
    by_month: dict[int, ProgressReview],
    today: dt.date,
) -> list[ReviewPoint]:
    points = []
    for month, due in coverage.review_due_dates(start, months):
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
    return _points(
        apprenticeship.start_date, rules.review_points_months, by_month, today or dt.date.today()
    )


# ------------------------------------------------------------------------------ dashboard


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


def dashboard(user: User, today: dt.date | None = None) -> list[DashboardRow]:
    """Every apprenticeship the user sees, with coverage, gaps and reviews (four queries).

    Reads plain columns and the per-apprenticeship summaries, never the tags: the cost grows
    with the number of apprentices only, by one small row each.
    """
    if not can_see_dashboard(user):
        raise Forbidden("Dashboards are for line managers, tutors and administrators.")
    today = today or dt.date.today()
    visible = visible_apprenticeships(user)
    people = (
        select(
            Apprenticeship.id,
            Apprenticeship.start_date,
            Apprenticeship.standard_id,
            User.name,
            CoverageSummary.module_covered,
        )
        .join(User, Apprenticeship.apprentice_id == User.id)
        .outerjoin(CoverageSummary, CoverageSummary.apprenticeship_id == Apprenticeship.id)
        .where(visible)
        .order_by(Apprenticeship.start_date, Apprenticeship.id)
    )
    rows_in = db.session.execute(people).all()
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
    per_standard: dict[int, tuple[coverage.StandardRules, dict[str, int]]] = {}
    for standard_id, standard in standards.items():
        rules = rules_for(standard)
        totals: dict[str, int] = {}
        for unit in rules.units:
            totals[unit.module_key] = totals.get(unit.module_key, 0) + 1
        per_standard[standard_id] = (rules, totals)
    rows = []
    for apprenticeship_id, start, standard_id, name, module_covered in rows_in:
        rules, totals = per_standard[standard_id]
        done = module_covered or {}
        gaps = [
            (m.title, totals.get(m.key, 0) - done.get(m.key, 0))
            for m in rules.modules
            if totals.get(m.key, 0) > done.get(m.key, 0)
        ]
        points = _points(
            start, rules.review_points_months, reviews.get(apprenticeship_id, {}), today
        )
        months = coverage.months_between(start, today)
        expected = coverage.expected_share(months, rules.gateway_min_months)
        n_covered, n_total = sum(done.values()), len(rules.units)
        rows.append(
            DashboardRow(
                apprenticeship_id=apprenticeship_id,
                apprentice_name=name,
                standard_key=standards[standard_id].key,
                start_date=start,
                covered=n_covered,
                total=n_total,
                module_gaps=gaps,
                next_review=next((p for p in points if not p.signed), None),
                overdue=[p for p in points if p.overdue],
                months_elapsed=months,
                months_to_gateway=(
                    max(rules.gateway_min_months - months, 0)
                    if rules.gateway_min_months is not None
                    else None
                ),
                expected=expected,
                pace=coverage.pace(n_covered / n_total if n_total else 0.0, expected),
            )
        )
    return rows
