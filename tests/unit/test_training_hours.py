"""Off-the-job hours arithmetic across months of different lengths, the monthly check, the pace,
the funding rules files and the under-delivery statement decision. Pure: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from showcase.training import hours as h
from showcase.training import rules
from showcase.training.services import HoursStatus, statement_state

D = dt.date


# ---- months elapsed and expected hours ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "day", "elapsed"),
    [
        # A 31-day month (January), a 28-day February, a 29-day leap February, a 30-day April.
        (D(2026, 1, 1), D(2026, 1, 16), Fraction(15, 31)),
        (D(2026, 2, 1), D(2026, 2, 15), Fraction(14, 28)),
        (D(2028, 2, 1), D(2028, 2, 15), Fraction(14, 29)),
        (D(2026, 4, 1), D(2026, 4, 16), Fraction(15, 30)),
        # Whole months land on the same day of the month.
        (D(2026, 1, 10), D(2026, 4, 10), Fraction(3)),
        # A start on the 31st completes its first month on the last day of February…
        (D(2026, 1, 31), D(2026, 2, 28), Fraction(1)),
        (D(2028, 1, 31), D(2028, 2, 29), Fraction(1)),
        # …and the day before is 27 of that 28-day month in.
        (D(2026, 1, 31), D(2026, 2, 27), Fraction(27, 28)),
        # Its second month runs from 28 February to 31 March: 31 days.
        (D(2026, 1, 31), D(2026, 3, 15), 1 + Fraction(15, 31)),
        (D(2026, 1, 31), D(2026, 3, 31), Fraction(2)),
        # A start on 31 March: April (30 days) ends the first month on the 30th.
        (D(2026, 3, 31), D(2026, 4, 30), Fraction(1)),
        (D(2026, 3, 31), D(2026, 4, 15), Fraction(15, 30)),
        (D(2026, 5, 1), D(2026, 4, 1), Fraction(0)),
    ],
)
def test_months_elapsed_counts_each_month_by_its_own_days(start, day, elapsed) -> None:
    assert h.months_elapsed(start, day) == elapsed


def test_each_month_carries_the_same_share_whatever_its_length() -> None:
    start = D(2026, 1, 31)
    end = h.add_months(start, 12)  # 31 January 2027
    planned = 120 * 60  # 10 hours a month
    assert h.expected_minutes(planned, start, end, D(2026, 2, 28)) == 600  # 28-day month
    assert h.expected_minutes(planned, start, end, D(2026, 3, 31)) == 1200  # 31-day month
    assert h.expected_minutes(planned, start, end, D(2026, 4, 30)) == 1800  # 30-day month
    # Half of the 31 days from 28 February: 15.5 days → 15 of 31 days, floored.
    assert h.expected_minutes(planned, start, end, D(2026, 3, 15)) == 600 + 600 * 15 // 31
    # Leap year: 29 February completes the month.
    leap = D(2028, 1, 31)
    assert h.expected_minutes(planned, leap, h.add_months(leap, 12), D(2028, 2, 29)) == 600
    assert (
        h.expected_minutes(planned, leap, h.add_months(leap, 12), D(2028, 2, 28)) == 600 * 28 // 29
    )


def test_expected_is_zero_before_the_start_and_the_plan_after_the_end() -> None:
    start, end = D(2026, 1, 15), D(2026, 9, 15)
    assert h.expected_minutes(6000, start, end, D(2026, 1, 1)) == 0
    assert h.expected_minutes(6000, start, end, start) == 0
    assert h.expected_minutes(6000, start, end, end) == 6000
    assert h.expected_minutes(6000, start, end, D(2027, 1, 1)) == 6000
    assert h.expected_minutes(0, start, end, D(2026, 5, 1)) == 0


@given(
    start=st.dates(D(2024, 1, 1), D(2030, 12, 31)),
    months=st.integers(8, 48),
    planned=st.integers(0, 2000),
    offset=st.integers(0, 1600),
)
def test_expected_never_decreases_and_stays_within_the_plan(start, months, planned, offset) -> None:
    end = h.add_months(start, months)
    day = start + dt.timedelta(days=offset)
    today = h.expected_minutes(planned * 60, start, end, day)
    tomorrow = h.expected_minutes(planned * 60, start, end, day + dt.timedelta(days=1))
    assert 0 <= today <= tomorrow <= planned * 60


def test_pace_compares_approved_with_expected_minutes() -> None:
    assert h.pace(600, 600, True) == "on_track"
    assert h.pace(599, 600, True) == "behind"
    assert h.pace(0, 0, False) == "no_plan"


def test_hours_are_rounded_down_to_two_places() -> None:
    assert h.hours(90) == Decimal("1.50")
    assert h.hours(1) == Decimal("0.01")
    assert h.hours(59) == Decimal("0.98")
    assert h.hours_text(150) == "2 h 30 min"
    assert h.hours_text(45) == "45 min"
    assert h.hours_text(180) == "3 h"


# ---- the monthly check -----------------------------------------------------------------------


def test_past_months_run_from_the_start_month_to_last_month() -> None:
    months = h.past_programme_months(D(2025, 11, 30), None, D(2026, 3, 1))
    assert months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    # The current month is not over: not flagged yet; nor a programme not started.
    assert h.past_programme_months(D(2026, 3, 5), None, D(2026, 3, 31)) == []
    # Nothing after the month of the programme's last day (the day before the planned end).
    assert h.past_programme_months(D(2025, 11, 1), D(2026, 2, 1), D(2026, 6, 1))[-1] == "2026-01"
    assert h.past_programme_months(D(2025, 9, 1), D(2025, 12, 10), D(2026, 6, 1)) == [
        "2025-09",
        "2025-10",
        "2025-11",
        "2025-12",
    ]


def test_months_without_active_learning_are_flagged() -> None:
    flagged = h.months_without_activity(
        D(2026, 1, 31), None, D(2026, 5, 2), active_months={"2026-02", "2026-04"}
    )
    assert flagged == ["2026-01", "2026-03"]


def test_calendar_months_cross_the_year() -> None:
    assert h.calendar_months(D(2025, 11, 15), D(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert h.month_label("2026-09") == "September 2026"


# ---- the rules files -------------------------------------------------------------------------


def test_academic_year_runs_from_august_to_july() -> None:
    assert rules.academic_year_of(D(2025, 8, 1)) == "2025-26"
    assert rules.academic_year_of(D(2026, 7, 31)) == "2025-26"
    assert rules.academic_year_of(D(2026, 8, 1)) == "2026-27"


def test_england_from_august_2025_needs_8_months_and_monthly_activity() -> None:
    rule = rules.rule_for("England", "ST0072", D(2025, 8, 1))
    assert rule.applies and rule.year.key == "2025-26" and rule.year.verified
    assert rule.min_duration_months == 8 and rule.monthly_check and rule.statement_required
    # ST0072's published figure could not be checked: recorded as unknown, not guessed.
    assert rule.minimum_hours is None and not rule.minimum_verified
    assert "could not be checked" in rule.minimum_note
    before = rules.rule_for("England", "ST0072", D(2025, 7, 31))
    assert before.year.rule == "share_of_paid_hours" and before.min_duration_months == 12
    assert not before.statement_required


def test_a_later_year_is_marked_unverified_and_an_uncovered_start_has_no_rule() -> None:
    later = rules.rule_for("England", "ST0072", D(2026, 9, 1))
    assert later.year.key == "2026-27" and not later.year.verified
    assert later.year.carried_forward_from == "2025-26"
    none = rules.rule_for("England", "ST0072", D(2030, 9, 1))
    assert not none.applies and "No rule in the file covers" in none.minimum_note


def test_australia_has_no_rule() -> None:
    rule = rules.rule_for("Australia", "TLII4001", D(2026, 1, 1))
    assert not rule.applies and not rule.monthly_check and rule.min_duration_months is None
    assert "No off-the-job training hours rule" in rule.minimum_note


def test_a_transitional_minimum_applies_to_starts_in_its_window(tmp_path: Path) -> None:
    (tmp_path / "activity_kinds.yaml").write_text("kinds: []\n")
    (tmp_path / "x.yaml").write_text(
        """
jurisdiction: Testland
reflects: test
source: test
academic_years:
  - key: "2025-26"
    starts_from: 2025-08-01
    starts_to: 2026-07-31
    verified: true
    rule: minimum_hours_per_standard
    summary: s
    min_duration_months: 8
    active_learning_every_month: true
    under_delivery_statement: true
    standards:
      ST1:
        minimum_hours: 300
        verified: true
        transitional:
          - {starts_from: 2025-08-01, starts_to: 2025-12-31, minimum_hours: 200}
"""
    )
    assert rules.rule_for("Testland", "ST1", D(2025, 9, 1), tmp_path).minimum_hours == 200
    assert rules.rule_for("Testland", "ST1", D(2026, 1, 1), tmp_path).minimum_hours == 300
    assert rules.rule_for("Testland", "ST2", D(2026, 1, 1), tmp_path).minimum_hours is None


def test_overlapping_years_are_refused() -> None:
    year = {
        "starts_from": "2025-08-01",
        "starts_to": "2026-07-31",
        "verified": True,
        "rule": "minimum_hours_per_standard",
        "summary": "s",
        "min_duration_months": 8,
        "active_learning_every_month": True,
        "under_delivery_statement": True,
    }
    with pytest.raises(ValidationError, match="overlap"):
        rules.RulesFile.model_validate(
            {
                "jurisdiction": "X",
                "reflects": "r",
                "source": "s",
                "academic_years": [{**year, "key": "a"}, {**year, "key": "b"}],
            }
        )


def test_activity_kinds_come_from_data() -> None:
    kinds = rules.activity_kinds()
    assert {"taught_session", "shadowing", "mentoring", "self_study", "industry_visit"} <= set(
        kinds
    )
    assert rules.kind_label("shadowing") == "Shadowing a colleague"
    assert rules.kind_label("gone_kind") == "Gone kind"


# ---- the under-delivery statement ------------------------------------------------------------


def _status(approved_h: int, planned: int | None, minimum: int | None) -> HoursStatus:
    rule = rules.rule_for("England", "ST0072", D(2025, 9, 1)).model_copy(
        update={"minimum_hours": minimum}
    )
    return HoursStatus(
        approved_hours=Decimal(approved_h),
        expected_hours=Decimal(0),
        planned_hours=Decimal(planned) if planned is not None else None,
        pace="behind",
        months_without_activity=[],
        approved_minutes=approved_h * 60,
        rule=rule,
    )


@pytest.mark.parametrize(
    ("approved", "planned", "minimum", "today", "state"),
    [
        (100, 250, 187, D(2026, 5, 1), "not_yet"),  # before the planned end
        (250, 250, 187, D(2026, 7, 1), "met"),
        (200, 250, 187, D(2026, 7, 1), "needed"),
        (150, 250, 187, D(2026, 7, 1), "below_minimum"),
        (150, 250, None, D(2026, 7, 1), "needed"),  # minimum unknown: said so in the text
        (150, None, None, D(2026, 7, 1), "not_applicable"),
    ],
)
def test_statement_needed_only_below_the_plan_and_at_least_the_minimum(
    approved, planned, minimum, today, state
) -> None:
    result = statement_state(_status(approved, planned, minimum), D(2026, 6, 1), today, None)
    assert result.state == state
    if minimum is None and state == "needed":
        assert "could not be checked" in result.text
