"""Off-the-job hours arithmetic: hours expected by a date, pace, months without active learning.

Pure functions over plain data (no Flask, no SQL), unit-tested alone. Durations are whole
minutes everywhere; hours are shown as ``Decimal`` with two places.

**Expected hours, precisely.** The planned hours are spread evenly over the programme's
months, counted from the start date as review points are (``sufficiency.add_months``: a start
on 31 January completes its first month on 28 or 29 February and its second on 31 March), and
within a month in proportion to its days. With ``m`` the whole months from the start to a day
``d`` and ``a``, ``b`` the dates at which months ``m`` and ``m + 1`` complete, the months
elapsed by ``d`` are ``E(d) = m + (d - a) / (b - a)`` in days; the programme lasts
``D = E(planned end)`` months; by ``today``

    expected minutes = floor(planned minutes × min(max(E(today) / D, 0), 1))

so a 28-day February and a 31-day March each carry one month's share. The pace is
**on track** when the minutes approved for activities on or before ``today`` reach the expected
minutes, **behind** otherwise, and **no plan** without planned hours or a planned end date.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from showcase.standards.sufficiency import add_months, months_between

ON_TRACK, BEHIND, NO_PLAN = "on_track", "behind", "no_plan"
PACE_WORDS = {ON_TRACK: "On track", BEHIND: "Behind", NO_PLAN: "No plan"}


def hours(minutes: int) -> Decimal:
    """Minutes as hours with two decimal places (rounded down: never more than was logged)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def hours_text(minutes: int) -> str:
    """``2 h 30 min``, ``45 min``, ``3 h``."""
    h, m = divmod(minutes, 60)
    if not h:
        return f"{m} min"
    return f"{h} h {m} min" if m else f"{h} h"


def months_elapsed(start: dt.date, day: dt.date) -> Fraction:
    """Programme months from ``start`` to ``day``: whole months, then the current month's
    share by its days (0 before the start)."""
    if day <= start:
        return Fraction(0)
    whole = months_between(start, day)
    begins, ends = add_months(start, whole), add_months(start, whole + 1)
    return whole + Fraction((day - begins).days, (ends - begins).days)


def expected_minutes(
    planned_minutes: int, start: dt.date, planned_end: dt.date, today: dt.date
) -> int:
    """The minutes expected by ``today`` (see the module's docstring)."""
    if planned_minutes <= 0 or today <= start:
        return 0
    duration = months_elapsed(start, planned_end)
    if duration <= 0 or today >= planned_end:
        return planned_minutes
    share = min(months_elapsed(start, today) / duration, Fraction(1))
    return int(planned_minutes * share)  # floor: both are non-negative


def pace(approved: int, expected: int, has_plan: bool) -> str:
    """``on_track`` when the approved minutes reach the expected ones, else ``behind``."""
    if not has_plan:
        return NO_PLAN
    return ON_TRACK if approved >= expected else BEHIND


def month_key(day: dt.date) -> str:
    """``2026-09`` for any day of September 2026."""
    return f"{day.year:04d}-{day.month:02d}"


def calendar_months(first: dt.date, last: dt.date) -> list[str]:
    """Every calendar month from ``first``'s to ``last``'s, as ``YYYY-MM`` (empty if reversed)."""
    keys = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def past_programme_months(start: dt.date, planned_end: dt.date | None, today: dt.date) -> list[str]:
    """Calendar months of the programme that are over by ``today``: from the start's month to
    the month before today's, and no later than the month of the programme's last day (the day
    before the planned end date: a programme from 1 November to 1 November ends in October)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    if planned_end is not None:
        last = min(last, planned_end - dt.timedelta(days=1))
    return calendar_months(start, last) if last >= start.replace(day=1) else []


def months_without_activity(
    start: dt.date, planned_end: dt.date | None, today: dt.date, active_months: set[str]
) -> list[str]:
    """Past programme months in which no approved active learning took place."""
    return [m for m in past_programme_months(start, planned_end, today) if m not in active_months]


def month_label(key: str) -> str:
    """``September 2026`` for ``2026-09``."""
    year, month = key.split("-")
    return dt.date(int(year), int(month), 1).strftime("%B %Y")
