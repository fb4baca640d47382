"""The iCalendar writer against RFC 5545: folding, escaping, dates, and CRLF line ends."""

from __future__ import annotations

import datetime as dt

import pytest

from showcase.notifications import ics


def test_text_values_are_escaped() -> None:
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@pytest.mark.parametrize("text", ["x" * 200, "é" * 120, "ab€" * 60])
def test_lines_fold_at_75_octets_without_splitting_characters(text: str) -> None:
    folded = ics.fold("SUMMARY:" + text)
    pieces = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == "SUMMARY:" + text


def test_an_all_day_event() -> None:
    stamp = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
    text = ics.event(uid="u@x", summary="Review, due", start=dt.date(2026, 12, 6), stamp=stamp)
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART;VALUE=DATE:20261206" in lines and "DTEND;VALUE=DATE:20261207" in lines
    assert "DTSTAMP:20261201T060000Z" in lines and "SUMMARY:Review\\, due" in lines
    assert "TRANSP:TRANSPARENT" in lines


def test_a_meeting_is_in_utc_and_refuses_naive_times() -> None:
    start = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    lines = ics.event(uid="u@x", summary="Review", start=start).split("\r\n")
    assert "DTSTART:20261206T093000Z" in lines and "DTEND:20261206T103000Z" in lines
    with pytest.raises(ValueError, match="naive"):
        ics.event(uid="u@x", summary="Review", start=dt.datetime(2026, 12, 6, 10))
