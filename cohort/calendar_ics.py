"""iCalendar (RFC 5545) for a cohort's meetings: one VEVENT each, times as UTC instants.

Calendars show the instants in the reader's zone; the description also gives the cohort's time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cohort.models import Cohort
from cohort.schedule import format_instant

PRODID = "-//Cohort//Cohort meetings//EN"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> Iterable[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    first = True
    while data:
        limit = 75 if first else 74
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # don't split a UTF-8 sequence
            cut -= 1
        chunk, data = data[:cut], data[cut:]
        yield ("" if first else " ") + chunk.decode("utf-8")
        first = False


def _utc(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


def _description(cohort: Cohort, starts_at: datetime, page_url: str) -> str:
    when = format_instant(starts_at, cohort.time_zone)
    return (f"Online meeting of the cohort {cohort.title}, starting {when} "
            f"({cohort.zone_label}). {page_url}")


def cohort_calendar(cohort: Cohort, *, host: str, stamp: datetime, page_url: str) -> str:
    """The calendar text with CRLF line endings."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(cohort.program.title)}",
             f"X-WR-TIMEZONE:{cohort.time_zone}"]
    total = len(cohort.meetings)
    for number, meeting in enumerate(cohort.meetings, start=1):
        lines += [
            "BEGIN:VEVENT",
            f"UID:cohort-{cohort.slug}-meeting-{meeting.id}@{host}",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(meeting.starts_at)}",
            f"DTEND:{_utc(meeting.ends_at)}",
            f"SUMMARY:{_escape(f'{cohort.program.title} — meeting {number} of {total}')}",
            f"DESCRIPTION:{_escape(_description(cohort, meeting.starts_at, page_url))}",
            f"URL:{page_url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
