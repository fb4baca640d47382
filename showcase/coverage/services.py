"""Coverage reads: today's report from the rollup, past dates replayed from tag history, the
evidence matrix, and progress against the standard's pace. Read-only; the pure rules are in
``showcase.standards.sufficiency``, the review schedule in ``showcase.reviews``, the cohort
dashboard (which reads both) in ``showcase.dashboard``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from showcase import db
from showcase.coverage.models import CoverageRollup
from showcase.evidence.models import Evidence, EvidenceTag, TagEvent
from showcase.evidence.regions import Region, region_of
from showcase.portfolios.models import Apprenticeship
from showcase.standards import sufficiency
from showcase.standards.models import StandardReference
from showcase.standards.services import rules_for


def live_report(apprenticeship: Apprenticeship, today: dt.date | None = None) -> sufficiency.Report:
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
        ref: sufficiency.Tally(*counts, kinds=tuple(k for k in kinds.split(",") if k))
        for ref, *counts, kinds in rows
    }
    return sufficiency.build_report(rules, tallies, today or dt.date.today())


@dataclass(frozen=True)
class History:
    """Everything needed to replay an apprenticeship's coverage at any date."""

    evidence: list[sufficiency.EvidenceRecord]
    tags: list[sufficiency.TagRecord]
    events: list[sufficiency.EventRecord]


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
        sufficiency.EvidenceRecord(e.id, str(e.kind), e.activity_date, e.created_at, e.deleted_at)
        for e in rows
    ]
    tagged = (
        select(EvidenceTag.id, EvidenceTag.evidence_id, StandardReference.ref)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .where(Evidence.apprenticeship_id == apprenticeship.id)
    )
    tags = [sufficiency.TagRecord(*row) for row in db.session.execute(tagged)]
    events = [
        sufficiency.EventRecord(*row)
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
) -> sufficiency.Report:
    """Coverage at the end of ``as_of``: the rollup for today, the replayed history before."""
    today = today or dt.date.today()
    if as_of >= today:
        return live_report(apprenticeship, today)
    history = load_history(apprenticeship)
    return sufficiency.report_as_of(
        rules_for(apprenticeship.standard), history.evidence, history.tags, history.events, as_of
    )


@dataclass(frozen=True)
class Progress:
    """Where an apprenticeship stands against even progress from its start to the gateway."""

    #: Whole calendar months on programme.
    months: int
    #: Share of units expected covered by now (None: the standard sets no gateway minimum).
    expected: float | None
    pace: sufficiency.Pace
    #: Months left until the earliest gateway (None: no gateway minimum; 0 once reached).
    months_to_gateway: int | None


def progress(
    rules: sufficiency.StandardRules, start: dt.date, on: dt.date, covered: int, total: int
) -> Progress:
    """Months on programme, the share expected by ``on`` and the pace of ``covered`` of ``total``.

    The one place pace and expected progress are worked out: the coverage page, the chart over
    time and the cohort dashboard all ask here.
    """
    months = sufficiency.months_between(start, on)
    gateway = rules.gateway_min_months
    expected = sufficiency.expected_share(months, gateway)
    return Progress(
        months=months,
        expected=expected,
        pace=sufficiency.pace(covered / total if total else 0.0, expected),
        months_to_gateway=max(gateway - months, 0) if gateway is not None else None,
    )


@dataclass(frozen=True)
class SeriesPoint:
    day: dt.date
    month: int
    covered: int
    total: int
    #: Share expected by now if progress were even up to the gateway (None: no gateway).
    expected: float | None
    pace: sufficiency.Pace

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
    days = sufficiency.chart_points(apprenticeship.start_date, today, rules.gateway_min_months)
    if days[-1] != today:
        days.append(today)
    points = []
    for day in days:
        report = sufficiency.report_as_of(
            rules, history.evidence, history.tags, history.events, day
        )
        covered, total = report.overall.covered, report.overall.total
        at = progress(rules, apprenticeship.start_date, day, covered, total)
        points.append(SeriesPoint(day, at.months, covered, total, at.expected, at.pace))
    return points


@dataclass(frozen=True)
class MatrixCell:
    evidence_id: int
    title: str
    kind: str
    status: str
    #: The part of the file the tag points at (showcase.evidence.regions), if any.
    region: Region | None = None


def matrix(apprenticeship: Apprenticeship) -> dict[str, list[MatrixCell]]:
    """Each unit's live tags with their evidence, by ref (one query)."""
    rows = db.session.execute(
        select(
            StandardReference.ref,
            Evidence.id,
            Evidence.title,
            Evidence.kind,
            EvidenceTag.status,
            EvidenceTag.region_kind,
            EvidenceTag.region_start,
            EvidenceTag.region_end,
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
    for ref, evidence_id, title, kind, status, *region in rows:
        cells.setdefault(ref, []).append(
            MatrixCell(evidence_id, title, str(kind), str(status), region_of(*region))
        )
    return cells
