"""iCalendar (RFC 5545): a cohort's meetings, and a person's private feed of every session they
can enter. One VEVENT per session, times as UTC instants; calendars show them in the reader's
zone and the description also gives the cohort's or group's own time. UIDs are made from the
session's id, so calendar apps update an entry rather than add a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from cohort.models import Cohort, GroupSession
from cohort.schedule import format_instant

PRODID = "-//Cohort//Cohort meetings//EN"
FEED_PRODID = "-//Cohort//Sessions//EN"


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


def session_uid(row: GroupSession, host: str) -> str:
    """The session's stable UID (a cohort's meetings keep the UID the cohort calendar gave them)."""
    if row.cohort is not None and row.kind == "meeting":
        return f"cohort-{row.cohort.slug}-meeting-{row.id}@{host}"
    return f"session-{row.id}@{host}"


def _render(lines: list[str]) -> str:
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))


def person_calendar(rows: Sequence[GroupSession], *, host: str, stamp: datetime,
                    page_url: str) -> str:
    """A person's feed: every session in `rows`, with its joining link."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{FEED_PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:My sessions"]
    for row in rows:
        when = format_instant(row.starts_at, row.zone)
        description = f"{row.kind_label} of {row.owner_name}, starting {when}."
        if row.join_url:
            description += f" Join: {row.join_url}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{session_uid(row, host)}",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(row.starts_at)}",
            f"DTEND:{_utc(row.ends_at)}",
            f"SUMMARY:{_escape(f'{row.display_title} — {row.owner_name}')}",
            f"DESCRIPTION:{_escape(f'{description} {page_url}')}",
            f"URL:{row.join_url or page_url}",
            "END:VEVENT",
        ]
    return _render(lines)


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
    return _render(lines)
