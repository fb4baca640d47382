"""The gateway forecast's pure parts: the Theil–Sen pace, the dates and their range, the
red / amber / green rule, the blockers' order and coverage counted from accepted spells."""

from __future__ import annotations

import datetime as dt

import pytest

from showcase.coverage import forecast as fc
from showcase.standards import bundled_docs, sufficiency

TODAY = dt.date(2026, 12, 1)


def weekly(counts: list[int], today: dt.date = TODAY) -> list[tuple[dt.date, int]]:
    """``(day, covered)`` points a week apart, the last one today."""
    n = len(counts)
    return [(today - dt.timedelta(weeks=n - 1 - i), c) for i, c in enumerate(counts)]


# ------------------------------------------------------------------------------ the fit


def test_theil_sen_of_a_straight_line_is_its_slope() -> None:
    pace = fc.theil_sen([(x, 3 + 2 * x) for x in range(6)])
    assert (pace.low, pace.median, pace.high) == (2, 2, 2)


def test_theil_sen_ignores_one_outlying_point() -> None:
    points = [(x, float(x)) for x in range(13)]
    points[12] = (12, 40.0)  # a burst in the last week
    assert fc.theil_sen(points).median == 1
    # Least squares would be pulled well above the steady pace by the same point.
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    ols = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    assert ols > 1.9


def test_sample_days_are_weekly_and_never_before_the_start() -> None:
    days = fc.sample_days(TODAY - dt.timedelta(days=20), TODAY)
    assert days == [TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=7), TODAY]
    full = fc.sample_days(TODAY - dt.timedelta(days=400), TODAY)
    assert len(full) == fc.WEEKS + 1 and full[0] == TODAY - dt.timedelta(weeks=fc.WEEKS)


# ------------------------------------------------------------------------- the forecast


def test_flat_history_gives_no_date() -> None:
    result = fc.forecast(weekly([5] * 13), 5, 40, TODAY, planned_end=TODAY + dt.timedelta(400))
    assert result.status == "no_progress"
    assert result.earliest is None and result.likely is None and result.latest is None
    assert result.summary == "No progress in the last 12 weeks: no date."
    # No date can be by the planned end.
    assert result.rag == "red"


def test_steady_pace_projects_the_remaining_units() -> None:
    # Two units a week for twelve weeks: 24 covered, 16 to go, eight weeks.
    result = fc.forecast(weekly(list(range(0, 26, 2))), 24, 40, TODAY)
    assert result.status == "forecast"
    assert result.pace == fc.Pace(2, 2, 2)
    assert result.likely == result.earliest == result.latest == TODAY + dt.timedelta(weeks=8)
    assert result.remaining == 16 and result.weeks == 12
    assert (
        result.summary
        == "Likely 26 Jan 2027 (between 26 Jan 2027 and 26 Jan 2027), 16 units to go."
    )
    assert result.rag is None and result.rag_words == "No planned end date, so no colour"


def test_uneven_pace_gives_a_range() -> None:
    counts = [0, 0, 3, 3, 3, 7, 7, 8, 12, 12, 12, 16, 16]
    result = fc.forecast(weekly(counts), 16, 40, TODAY)
    assert result.status == "forecast"
    assert result.pace.low < result.pace.median < result.pace.high
    assert result.earliest < result.likely < result.latest


def test_a_burst_barely_moves_the_pace() -> None:
    # One unit a week, and one week in which ten more were covered at once.
    counts = [*range(12), 11 + 1 + 10]
    result = fc.forecast(weekly(counts), 22, 60, TODAY)
    assert result.pace.median == 1
    # The naive pace (first to last point) would be nearly twice as fast.
    assert (counts[-1] - counts[0]) / 12 > 1.8
    assert result.likely == TODAY + dt.timedelta(weeks=38)


def test_a_burst_amid_idle_weeks_is_no_steady_pace() -> None:
    counts = [3] * 12 + [13]
    result = fc.forecast(weekly(counts), 13, 40, TODAY)
    assert result.status == "no_progress" and result.likely is None


@pytest.mark.parametrize("points", [1, 2, 4])
def test_too_little_history_gives_no_number(points: int) -> None:
    counts = list(range(points))
    result = fc.forecast(weekly(counts), points - 1, 40, TODAY, TODAY + dt.timedelta(days=365))
    assert result.status == "not_enough_history"
    assert result.likely is None and result.pace is None and result.rag is None
    assert result.summary == "Not enough evidence yet to forecast."
    assert not any(ch.isdigit() for ch in result.summary)


def test_all_covered_is_ready_today() -> None:
    result = fc.forecast(weekly([1, 2]), 40, 40, TODAY, TODAY + dt.timedelta(days=10))
    assert result.status == "ready" and result.likely == TODAY and result.rag == "green"
    late = fc.forecast(weekly([1, 2]), 40, 40, TODAY, TODAY - dt.timedelta(days=1))
    assert late.rag == "red"


def test_a_pace_too_slow_for_the_horizon_gives_no_date() -> None:
    # One unit in twelve weeks: 100 units would take 23 years.
    counts = [0] * 6 + [1] * 7
    result = fc.forecast(weekly(counts), 1, 101, TODAY)
    assert result.status == "no_progress" and result.likely is None
    assert "more than five years" in result.summary


def test_the_late_end_is_open_when_the_slow_quartile_is_nil() -> None:
    counts = [0] * 8 + [3, 6, 9, 12, 15]
    result = fc.forecast(weekly(counts), 15, 40, TODAY, TODAY + dt.timedelta(days=3000))
    assert result.status == "forecast" and result.pace.low == 0
    assert result.latest is None and result.earliest is not None
    assert "no later bound" in result.summary
    # The early end is by the planned end, the (open) late end is not: amber.
    assert result.rag == "amber"


# ------------------------------------------------------------------------------ the RAG


D = dt.date(2027, 6, 1)


@pytest.mark.parametrize(
    ("earliest", "latest", "planned", "rag"),
    [
        (D, D, D, "green"),  # the late end on the very day
        (D - dt.timedelta(30), D - dt.timedelta(1), D, "green"),
        (D - dt.timedelta(30), D + dt.timedelta(1), D, "amber"),
        (D, None, D, "amber"),
        (D + dt.timedelta(1), D + dt.timedelta(30), D, "red"),
        (None, None, D, "red"),
        (D, D, None, None),
    ],
)
def test_rag_against_the_planned_end(earliest, latest, planned, rag) -> None:
    assert fc.rag_for(earliest, latest, planned) == rag


def test_rag_is_said_in_words() -> None:
    result = fc.forecast(weekly([0, 1, 2, 3, 4]), 4, 10, TODAY, TODAY + dt.timedelta(weeks=2))
    assert result.rag == "red" and result.rag_short == "Off course"
    assert result.rag_words.startswith("Off course")


# ---------------------------------------------------------------------- units and spells


@pytest.fixture(scope="module")
def st0072() -> sufficiency.StandardRules:
    return sufficiency.rules_from_doc(bundled_docs()["ST0072/AP02"])


def test_gateway_units_are_the_showcase_areas(st0072) -> None:
    units = fc.gateway_units(st0072)
    areas = next(g for g in st0072.groups if g.key == "showcase-areas").module_keys
    assert 0 < len(units) < len(st0072.units)
    assert {u.module_key for u in units} == set(areas)
    no_areas = sufficiency.StandardRules(st0072.units, st0072.modules, (), (), None)
    assert fc.gateway_units(no_areas) == st0072.units


def test_blockers_need_most_first_then_nothing_pending(st0072) -> None:
    units = fc.gateway_units(st0072)
    a, b, c, d = (u.ref for u in units[:4])
    tallies = {
        a: sufficiency.Tally(tag_count=1, pending=1),  # awaits a decision
        b: sufficiency.Tally(tag_count=1, accepted=1, third_party_accepted=1),  # covered
        c: sufficiency.Tally(tag_count=1, accepted=1),  # own account only
    }
    # A stricter unit needing two more accepted items goes first.
    strict = sufficiency.UnitRule(d, units[3].module_key, units[3].number, "t", 3, 1, frozenset())
    rules = sufficiency.StandardRules(
        tuple(strict if u.ref == d else u for u in st0072.units),
        st0072.modules,
        st0072.groups,
        (),
        12,
    )
    report = sufficiency.build_report(rules, tallies, TODAY)
    blockers = fc.blockers_from(rules, report)
    order = [x.ref for x in blockers]
    assert order[0] == d and blockers[0].needed == 3
    assert b not in order
    # Same need (1): units without pending tags first, in the standard's order.
    assert order.index(c) < order.index(units[4].ref) < order.index(a)
    assert len(blockers) == len(fc.gateway_units(rules)) - 1


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def test_covered_series_counts_spells_at_the_end_of_each_day() -> None:
    third = frozenset({"witness_statement"})
    unit = sufficiency.UnitRule("X/m/1", "m", "1", "t", 1, 1, third)
    loose = sufficiency.UnitRule("X/m/2", "m", "2", "t", 1, 0, frozenset())
    days = [TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=7), TODAY]
    spells = [
        # Own account accepted two weeks ago: covers the loose unit only.
        fc.Spell(1, "X/m/2", "reflective_account", days[0], at(days[0]), None),
        # A witness statement accepted a week ago and sent back this morning.
        fc.Spell(1, "X/m/1", "witness_statement", days[0], at(days[1]), at(TODAY, 9)),
        # A ref that is not among the units counted.
        fc.Spell(1, "X/m/9", "witness_statement", days[0], at(days[0]), None),
    ]
    assert fc.covered_series([unit, loose], spells, days) == [1, 2, 1]
    # An item dated today, though recorded earlier, counts from today on.
    dated_later = [fc.Spell(1, "X/m/2", "photo", TODAY, at(days[0]), None)]
    assert fc.covered_series([loose], dated_later, days) == [0, 0, 1]
    # A unit that needs nothing is covered with no spells at all.
    free = sufficiency.UnitRule("X/m/3", "m", "3", "t", 0, 0, frozenset())
    assert fc.covered_series([free], [], days) == [1, 1, 1]
