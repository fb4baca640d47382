"""The gateway forecast: when every unit the gateway needs would be covered at the recent pace.

The method, in one sentence (the pages show ``METHOD``): count the gateway units covered at the
end of each of the last ``WEEKS`` weeks, take the median of the rates between every pair of
those weeks (a Theil–Sen slope, less swayed by one unusual week than an average) as the pace,
and divide the units still to cover by it; the middle half of those rates gives the range.

The first half of this module is pure (plain dates, counts and records; unit-tested alone). The
loaders at the end read the history as *accepted spells* — the times each tag stood accepted —
in one query for any number of apprenticeships; a test proves the spells give the same coverage
as the full replay in ``showcase.standards.sufficiency.report_as_of``. The cohort dashboard reads
the past days' counts from ``coverage_days`` (written from the spells by a daily job, see
``showcase.coverage.days``) and falls back to the spells for a learner missing any.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select

from showcase import db
from showcase.coverage.models import CoverageDay, CoverageSummary
from showcase.coverage.services import live_report
from showcase.db import UTCDateTime
from showcase.evidence.models import Evidence, EvidenceTag, TagEvent
from showcase.portfolios.models import Apprenticeship
from showcase.standards import sufficiency
from showcase.standards.models import Standard, StandardReference
from showcase.standards.services import rules_for

#: Weeks of history the pace is measured over (N).
WEEKS = 12
#: Weekly points needed before any date is given: four weeks of history.
MIN_POINTS = 5
#: A date further away than this is no date at all: "not within five years".
HORIZON = dt.timedelta(days=5 * 365)

METHOD = (
    f"We count the units the gateway needs that were covered at the end of each of the last "
    f"{WEEKS} weeks, take the middle value of the weekly rates between every pair of those weeks "
    f"as the pace (less swayed by one unusual week than an average), and divide the units still to "
    f"cover by that pace; the range comes from the middle half of those rates."
)

Status = Literal["ready", "forecast", "no_progress", "not_enough_history"]
Rag = Literal["green", "amber", "red"]

RAG_WORDS: dict[str, str] = {
    "green": "On course for the planned end",
    "amber": "At risk: only the early end of the range is before the planned end",
    "red": "Off course: the planned end would be missed at this pace",
}
#: Short words for tables (the dashboard); never colour alone.
RAG_SHORT: dict[str, str] = {"green": "On course", "amber": "At risk", "red": "Off course"}


# -------------------------------------------------------------------------- pure: the fit


@dataclass(frozen=True, slots=True)
class Pace:
    """Units covered per week: the median pairwise slope and its interquartile range."""

    median: float
    low: float
    high: float


def theil_sen(points: Sequence[tuple[float, float]]) -> Pace:
    """The Theil–Sen slope of ``(x, y)`` points (x distinct), with the quartiles of the slopes.

    Every pair of points gives a slope; the median is the fit, robust to a burst (one week
    with many units), and the lower and upper quartiles bound the range."""
    if len(points) < 2:
        raise ValueError("at least two points are needed")
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    if len(slopes) == 1:
        return Pace(slopes[0], slopes[0], slopes[0])
    low, median, high = statistics.quantiles(slopes, n=4, method="inclusive")
    return Pace(median, low, high)


def sample_days(start: dt.date, today: dt.date, weeks: int = WEEKS) -> list[dt.date]:
    """Today and the same weekday each week back, ``weeks`` weeks at most, none before the
    start date; oldest first."""
    days = [today - dt.timedelta(weeks=k) for k in range(weeks, -1, -1)]
    return [d for d in days if d >= start]


# ------------------------------------------------------------------- pure: the forecast


@dataclass(frozen=True, slots=True)
class Blocker:
    """A unit the gateway needs that is not covered yet."""

    ref: str
    number: str
    module_title: str
    text: str
    #: Accepted items it still needs (third-party ones count towards both minimums).
    needed: int
    #: Tags waiting for the tutor: a decision, not new evidence, may close it.
    pending: int


@dataclass(frozen=True, slots=True)
class Forecast:
    """When the gateway's units would all be covered, at the pace of the last weeks."""

    status: Status
    today: dt.date
    #: Units the gateway needs, and those covered now.
    covered: int
    total: int
    #: Weekly (day, covered) points the pace was measured on, oldest first.
    series: tuple[tuple[dt.date, int], ...] = ()
    pace: Pace | None = None
    #: The range: the early end (at the faster quartile of the pace), the likely date (at the
    #: median), the late end (slower quartile; None when that pace is nil or the date is more
    #: than ``HORIZON`` away).
    earliest: dt.date | None = None
    likely: dt.date | None = None
    latest: dt.date | None = None
    planned_end: dt.date | None = None
    #: Red, amber or green against the planned end; None without a planned end (or without
    #: enough history to say anything).
    rag: Rag | None = None
    #: Uncovered gateway units, most needed evidence first (empty when not loaded).
    blockers: tuple[Blocker, ...] = ()

    @property
    def remaining(self) -> int:
        return max(self.total - self.covered, 0)

    @property
    def weeks(self) -> int:
        """Weeks of history the pace was measured over."""
        return max(len(self.series) - 1, 0)

    @property
    def rag_words(self) -> str:
        if self.rag is None:
            if self.planned_end is None and self.status != "not_enough_history":
                return "No planned end date, so no colour"
            return ""
        return RAG_WORDS[self.rag]

    @property
    def rag_short(self) -> str:
        return RAG_SHORT[self.rag] if self.rag else ""

    @property
    def summary(self) -> str:
        """One line, in plain words, for pages, the API and the CSV."""
        if self.status == "ready":
            return "Every unit the gateway needs is covered."
        if self.status == "not_enough_history":
            return "Not enough evidence yet to forecast."
        if self.status == "no_progress":
            if self.pace is not None and self.pace.median > 0:
                return (
                    f"At the pace of the last {self.weeks} weeks the gateway's units would take "
                    "more than five years: no date."
                )
            return f"No progress in the last {self.weeks} weeks: no date."
        assert self.earliest is not None and self.likely is not None
        late = f"{self.latest:%-d %b %Y}" if self.latest else "no later bound"
        return (
            f"Likely {self.likely:%-d %b %Y} (between {self.earliest:%-d %b %Y} and {late}), "
            f"{self.remaining} unit{'' if self.remaining == 1 else 's'} to go."
        )


def rag_for(
    earliest: dt.date | None, latest: dt.date | None, planned_end: dt.date | None
) -> Rag | None:
    """Green when the late end of the range is by the planned end, amber when only the early
    end is, red otherwise (no date at all included); None without a planned end."""
    if planned_end is None:
        return None
    if latest is not None and latest <= planned_end:
        return "green"
    if earliest is not None and earliest <= planned_end:
        return "amber"
    return "red"


def _after(today: dt.date, remaining: int, per_week: float) -> dt.date | None:
    """The day ``remaining`` units would be covered at ``per_week``; None if never or too far."""
    if per_week <= 0:
        return None
    days = math.ceil(remaining / per_week * 7)
    return today + dt.timedelta(days=days) if days <= HORIZON.days else None


def forecast(
    series: Sequence[tuple[dt.date, int]],
    covered: int,
    total: int,
    today: dt.date,
    planned_end: dt.date | None = None,
    blockers: Sequence[Blocker] = (),
) -> Forecast:
    """The forecast from weekly ``(day, covered units)`` points (oldest first) and where the
    apprenticeship stands today (``covered`` of ``total`` gateway units)."""
    base = {
        "today": today,
        "covered": covered,
        "total": total,
        "series": tuple(series),
        "planned_end": planned_end,
        "blockers": tuple(blockers),
    }
    if covered >= total:
        return Forecast(
            "ready",
            earliest=today,
            likely=today,
            latest=today,
            rag=rag_for(today, today, planned_end),
            **base,
        )
    if len(series) < MIN_POINTS:
        return Forecast("not_enough_history", **base)
    first = series[0][0]
    pace = theil_sen([((day - first).days / 7, count) for day, count in series])
    remaining = total - covered
    likely = _after(today, remaining, pace.median)
    if likely is None:
        return Forecast("no_progress", pace=pace, rag=rag_for(None, None, planned_end), **base)
    earliest = _after(today, remaining, pace.high)
    latest = _after(today, remaining, pace.low)
    return Forecast(
        "forecast",
        pace=pace,
        earliest=earliest,
        likely=likely,
        latest=latest,
        rag=rag_for(earliest, latest, planned_end),
        **base,
    )


def gateway_units(rules: sufficiency.StandardRules) -> tuple[sufficiency.UnitRule, ...]:
    """The units the gateway needs covered: those of the plan's showcase areas when the
    standard names them (as the gateway checklist does), every unit otherwise."""
    areas = next((g.module_keys for g in rules.groups if g.key == "showcase-areas"), ())
    if not areas:
        return rules.units
    return tuple(u for u in rules.units if u.module_key in areas)


def blockers_from(
    rules: sufficiency.StandardRules, report: sufficiency.Report
) -> tuple[Blocker, ...]:
    """Uncovered gateway units, ordered by what would move the date most: the units needing
    the most accepted items first, then those with nothing waiting for the tutor (they need new
    evidence, not a decision), then in the standard's order."""
    titles = {m.key: m.title for m in rules.modules}
    found = []
    for order, rule in enumerate(gateway_units(rules)):
        unit = report.by_ref[rule.ref]
        if unit.covered:
            continue
        counts = unit.tally
        needed = max(
            rule.min_accepted - counts.accepted,
            rule.min_third_party - counts.third_party_accepted,
            1,
        )
        blocker = Blocker(
            rule.ref,
            rule.number,
            titles.get(rule.module_key, ""),
            rule.text,
            needed,
            counts.pending,
        )
        found.append((-needed, counts.pending > 0, order, blocker))
    return tuple(b for *_, b in sorted(found, key=lambda f: f[:3]))


# ------------------------------------------------------------ pure: coverage from spells


@dataclass(frozen=True, slots=True)
class Spell:
    """A time a tag stood accepted: from its acceptance (or its item's creation, if later)
    until its next decision, removal or its item's deletion (None: still accepted)."""

    apprenticeship_id: int
    ref: str
    kind: str
    activity_date: dt.date
    start: dt.datetime
    until: dt.datetime | None


def covered_series(
    units: Sequence[sufficiency.UnitRule], spells: Iterable[Spell], days: Sequence[dt.date]
) -> list[int]:
    """Units of ``units`` covered at the end of each of ``days`` (ascending), from one
    apprenticeship's spells: at the end of day D a spell counts when its item's activity date
    is by D, it began before D ended and had not ended by then — what
    ``sufficiency.report_as_of`` decides by replaying every event."""
    if not days:
        return []
    cutoffs = [sufficiency.end_of(d) for d in days]
    by_ref = {u.ref: u for u in units}
    # Per unit, +1/-1 at the first point a spell counts and the first it no longer does.
    accepted: dict[str, list[int]] = defaultdict(lambda: [0] * (len(days) + 1))
    third: dict[str, list[int]] = defaultdict(lambda: [0] * (len(days) + 1))
    for spell in spells:
        rule = by_ref.get(spell.ref)
        if rule is None:
            continue
        begin = max(
            bisect.bisect_right(cutoffs, spell.start), bisect.bisect_left(days, spell.activity_date)
        )
        end = len(days) if spell.until is None else bisect.bisect_right(cutoffs, spell.until)
        if begin >= end:
            continue
        for counts in (accepted, third) if spell.kind in rule.third_party_kinds else (accepted,):
            steps = counts[spell.ref]
            steps[begin] += 1
            steps[end] -= 1
    totals = [0] * len(days)
    for rule in units:
        if rule.ref not in accepted:
            if sufficiency.is_covered(rule, sufficiency.EMPTY):
                totals = [t + 1 for t in totals]
            continue
        acc_steps, tp_steps = accepted[rule.ref], third.get(rule.ref, [0] * (len(days) + 1))
        acc = tp = 0
        for k in range(len(days)):
            acc += acc_steps[k]
            tp += tp_steps[k]
            if acc >= rule.min_accepted and tp >= rule.min_third_party:
                totals[k] += 1
    return totals


def weekly_series(
    units: Sequence[sufficiency.UnitRule],
    spells: Iterable[Spell],
    start: dt.date,
    today: dt.date,
) -> list[tuple[dt.date, int]]:
    """``(day, units covered)`` at each of ``sample_days``, oldest first."""
    days = sample_days(start, today)
    return list(zip(days, covered_series(units, spells, days), strict=True))


# ----------------------------------------------------------------------------- loaders


def load_spells(apprenticeship_ids: Sequence[int], since: dt.date) -> dict[int, list[Spell]]:
    """The accepted spells of these apprenticeships' tags still running at the end of
    ``since`` or later, by apprenticeship (one query, however many apprenticeships)."""
    if not apprenticeship_ids:
        return {}
    known = list(sufficiency.EVENT_STATES)
    # Each decision with the time of the tag's next one: the tag stands as the decision left it
    # in between. Unknown actions leave the state alone, so they are not steps here either.
    # The item's and tag's columns ride along, so the tags are read once.
    steps = (
        select(
            Evidence.apprenticeship_id,
            EvidenceTag.reference_id,
            Evidence.kind,
            Evidence.activity_date,
            Evidence.created_at,
            Evidence.deleted_at,
            TagEvent.action,
            TagEvent.at,
            func.lead(TagEvent.at, type_=UTCDateTime())
            .over(partition_by=TagEvent.tag_id, order_by=(TagEvent.at, TagEvent.id))
            .label("until"),
        )
        .select_from(TagEvent)
        .join(EvidenceTag, TagEvent.tag_id == EvidenceTag.id)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .where(Evidence.apprenticeship_id.in_(apprenticeship_ids), TagEvent.action.in_(known))
        .subquery()
    )
    cutoff = sufficiency.end_of(since)
    rows = db.session.execute(
        select(
            steps.c.apprenticeship_id,
            StandardReference.ref,
            steps.c.kind,
            steps.c.activity_date,
            steps.c.created_at,
            steps.c.deleted_at,
            steps.c.at,
            steps.c.until,
        )
        .join(StandardReference, StandardReference.id == steps.c.reference_id)
        .where(
            steps.c.action == "accepted",
            or_(steps.c.until.is_(None), steps.c.until >= cutoff),
            or_(steps.c.deleted_at.is_(None), steps.c.deleted_at >= cutoff),
        )
    )
    spells: dict[int, list[Spell]] = defaultdict(list)
    for apprenticeship_id, ref, kind, activity, created, deleted, at, until in rows:
        ends = [t for t in (until, deleted) if t is not None]
        spells[apprenticeship_id].append(
            Spell(
                apprenticeship_id,
                ref,
                str(kind),
                activity,
                max(at, created),
                min(ends, default=None),
            )
        )
    return spells


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What a forecast needs to know about an apprenticeship, as plain data."""

    apprenticeship_id: int
    start_date: dt.date
    planned_end: dt.date | None
    rules: sufficiency.StandardRules
    #: Covered units per module now (``CoverageSummary.module_covered``).
    module_covered: Mapping[str, int]


def stored_counts(
    apprenticeship_ids: Sequence[int], days: Iterable[dt.date]
) -> dict[tuple[int, dt.date], int]:
    """Stored ``coverage_days`` counts of these apprenticeships on these days (one query)."""
    days = sorted(set(days))
    if not apprenticeship_ids or not days:
        return {}
    rows = db.session.execute(
        select(CoverageDay.apprenticeship_id, CoverageDay.day, CoverageDay.units_covered).where(
            CoverageDay.apprenticeship_id.in_(apprenticeship_ids), CoverageDay.day.in_(days)
        )
    )
    return {(ident, day): count for ident, day, count in rows}


def forecasts_from(enrolments: Sequence[Enrolment], today: dt.date) -> dict[int, Forecast]:
    """Forecasts (without blockers) for apprenticeships already loaded.

    The past sampled days come from ``coverage_days`` (one query, a dozen rows an apprentice);
    an apprentice missing any of those rows is computed from the accepted spells instead (one
    more query, only then), so the answer never depends on the job having run. Today's point is
    the covered count now (the rollup's, as ``covered``), the same count the spells give at the
    end of today (activity dates are never in the future)."""
    sampled = {e.apprenticeship_id: sample_days(e.start_date, today) for e in enrolments}
    past = {ident: [d for d in days if d < today] for ident, days in sampled.items()}
    stored = stored_counts(list(past), (d for days in past.values() for d in days))
    missing = sorted(
        ident for ident, days in past.items() if any((ident, d) not in stored for d in days)
    )
    spells = load_spells(missing, today - dt.timedelta(weeks=WEEKS)) if missing else {}
    result = {}
    for e in enrolments:
        ident = e.apprenticeship_id
        units = gateway_units(e.rules)
        modules = {u.module_key for u in units}
        covered = sum(n for key, n in e.module_covered.items() if key in modules)
        days = past[ident]
        if not all((ident, d) in stored for d in days):
            counts = covered_series(units, spells.get(ident, ()), days)
        else:
            counts = [stored[ident, d] for d in days]
        series = list(zip(days, counts, strict=True))
        if sampled[ident] and sampled[ident][-1] == today:
            series.append((today, covered))
        result[ident] = forecast(series, covered, len(units), today, e.planned_end)
    return result


def forecasts_for(apprenticeship_ids: Sequence[int], today: dt.date) -> dict[int, Forecast]:
    """Forecasts (without blockers) for many apprenticeships in three queries (four when some
    lack stored days)."""
    if not apprenticeship_ids:
        return {}
    rows = db.session.execute(
        select(
            Apprenticeship.id,
            Apprenticeship.start_date,
            Apprenticeship.planned_end_date,
            Apprenticeship.standard_id,
            CoverageSummary.module_covered,
        )
        .outerjoin(CoverageSummary, CoverageSummary.apprenticeship_id == Apprenticeship.id)
        .where(Apprenticeship.id.in_(apprenticeship_ids))
    ).all()
    standards = {
        s.id: rules_for(s)
        for s in db.session.scalars(
            select(Standard).where(Standard.id.in_(sorted({r.standard_id for r in rows})))
        )
    }
    return forecasts_from(
        [
            Enrolment(
                r.id,
                r.start_date,
                r.planned_end_date,
                standards[r.standard_id],
                r.module_covered or {},
            )
            for r in rows
        ],
        today,
    )


def forecast_for(
    apprenticeship: Apprenticeship,
    today: dt.date | None = None,
    *,
    report: sufficiency.Report | None = None,
) -> Forecast:
    """One apprenticeship's forecast with the units that block it (two queries; one when
    today's coverage ``report`` is given)."""
    today = today or dt.date.today()
    rules = rules_for(apprenticeship.standard)
    if report is None or report.as_of != today:
        report = live_report(apprenticeship, today)
    units = gateway_units(rules)
    spells = load_spells([apprenticeship.id], today - dt.timedelta(weeks=WEEKS))
    series = weekly_series(
        units, spells.get(apprenticeship.id, ()), apprenticeship.start_date, today
    )
    covered = sum(report.by_ref[u.ref].covered for u in units)
    return forecast(
        series,
        covered,
        len(units),
        today,
        apprenticeship.planned_end_date,
        blockers_from(rules, report),
    )
