"""A minimal iCalendar (RFC 5545) writer: one VCALENDAR holding one VEVENT.

Written by hand because Showcase needs one event of five properties and the `icalendar`
package is not a dependency; what matters is done as the RFC says: CRLF line ends, lines folded
at 75 octets without splitting a UTF-8 character (3.1), TEXT values escaped (3.3.11), UTC
DATE-TIME values with a Z (3.3.5), all-day events as VALUE=DATE with an exclusive DTEND
(3.6.1), a DTSTAMP and a stable UID so a resent invitation updates the event instead of adding
one. No ORGANIZER or ATTENDEE: the email carries no addresses but the recipient's own.
"""

from __future__ import annotations

import datetime as dt

PRODID = "-//Showcase//Notifications//EN"
#: The attachment's MIME type (RFC 5545 section 8.1; METHOD matches the calendar's).
CONTENT_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, continuations starting ' '."""
    pieces: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, 74  # a continuation's leading space counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; calendar times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def event(
    *,
    uid: str,
    summary: str,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime | None = None,
    description: str = "",
    url: str | None = None,
    stamp: dt.datetime | None = None,
    sequence: int | None = None,
    location: str = "",
) -> str:
    """The whole calendar file. A ``date`` start is an all-day event (ending the next day
    unless ``end`` says otherwise); a ``datetime`` start lasts an hour unless ``end`` says."""
    if isinstance(start, dt.datetime):
        end = end or start + dt.timedelta(hours=1)
        when = [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]  # type: ignore[arg-type]
    else:
        end = end or start + dt.timedelta(days=1)
        when = [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc(stamp or dt.datetime.now(dt.UTC))}",
        *when,
        f"SUMMARY:{escape_text(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        lines.append(f"URL:{url}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if sequence is not None:
        # A changed event keeps its UID and raises SEQUENCE (RFC 5545 3.8.7.4), so calendars
        # replace the copy they hold.
        lines.append(f"SEQUENCE:{int(sequence)}")
    # A meeting takes the time; an all-day "due" marker does not.
    busy = isinstance(start, dt.datetime)
    lines += [f"TRANSP:{'OPAQUE' if busy else 'TRANSPARENT'}", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
