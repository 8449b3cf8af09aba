"""Rendering stored UTC instants in time zones, the way the seed's schedule reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve"]


@dataclass(frozen=True)
class ZoneLabel:
    """A zone as the seed names it: a generic name, and a city for the abbreviation form."""

    zone: str
    generic: str
    city: str


@dataclass(frozen=True)
class Region:
    """A block of the schedule (e.g. "Americas") and the zones it shows."""

    name: str
    zones: tuple[ZoneLabel, ...]


def zone_city(zone: str) -> str:
    """The city part of an IANA name: 'America/Los_Angeles' → 'Los Angeles'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def regions_from_data(data: Sequence[Mapping[str, Any]] | None) -> tuple[Region, ...]:
    """Regions as a cohort stores them: [{"name", "zones": [{"zone", "generic", "city"}]}]."""
    return tuple(
        Region(str(region["name"]), tuple(
            ZoneLabel(str(z["zone"]), str(z.get("generic") or f"{zone_city(z['zone'])} time"),
                      str(z.get("city") or zone_city(z["zone"])))
            for z in region.get("zones", ())))
        for region in data or () if region.get("zones"))


def regions_to_data(regions: Sequence[Region]) -> list[dict[str, Any]]:
    """The JSON a cohort stores for `regions`."""
    return [{"name": r.name, "zones": [{"zone": z.zone, "generic": z.generic, "city": z.city}
                                       for z in r.zones]} for r in regions]


def zone_label(zone: str, regions: Sequence[Region] = ()) -> str:
    """How people name `zone`: its label in the regions ('USA Pacific Time'), else 'Berlin time'."""
    for region in regions:
        for label in region.zones:
            if label.zone == zone:
                return label.generic
    return f"{zone_city(zone)} time"


def regions_or_own(regions: Sequence[Region], zone: str) -> tuple[Region, ...]:
    """The regions to show; without any, one block for the cohort's own zone."""
    if regions:
        return tuple(regions)
    return (Region(zone_city(zone), (ZoneLabel(zone, zone_label(zone), zone_city(zone)),)),)


def end_of_day(day: date, zone: str) -> datetime:
    """'Midnight' at the end of `day` in `zone`, as a UTC-aware instant."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(zone))


def at_local(day: date, clock: time, zone: str) -> datetime:
    """A wall-clock time on a day in a zone, as an aware instant."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone))


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name known to this machine, sorted."""
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/")))


def is_zone(name: str) -> bool:
    """True for a known IANA zone name."""
    if not name or len(name) > 64 or (name not in zone_names() and name != "UTC"):
        return False  # checked first: ZoneInfo("America") would open a directory
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def ordinal(n: int) -> str:
    """1 → 1st, 2 → 2nd, 11 → 11th, 23 → 23rd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock_time(t: time, *, meridiem: bool = True) -> str:
    """4:00 pm, noon, midnight; without meridiem when a range shares it (8:00 – 11:00 am)."""
    if t.hour == 12 and t.minute == 0:
        return "noon"
    if t.hour == 0 and t.minute == 0:
        return "midnight"
    hour = t.hour % 12 or 12
    text = f"{hour}:{t.minute:02d}"
    return f"{text} {'am' if t.hour < 12 else 'pm'}" if meridiem else text


def time_range(start: datetime, end: datetime) -> str:
    """'8:00 – 11:00 am', '11:00 am – 2:00 pm', '9:00 am – noon' for local datetimes."""
    same_half = (start.hour < 12) == (end.hour < 12)
    plain = clock_time(end.time()) not in ("noon", "midnight")
    plain_start = clock_time(start.time()) not in ("noon", "midnight")
    if same_half and plain and plain_start and start.date() == end.date():
        return f"{clock_time(start.time(), meridiem=False)} – {clock_time(end.time())}"
    return f"{clock_time(start.time())} – {clock_time(end.time())}"


def duration_words(minutes: int) -> str:
    """180 → 'three hours', 150 → 'two and a half hours', 100 → '1 h 40 min'."""
    hours, rest = divmod(minutes, 60)
    if hours < len(NUMBER_WORDS) and rest in (0, 30) and hours:
        words = NUMBER_WORDS[hours]
        if rest:
            return f"{words} and a half hours"
        return f"{words} hour{'s' if hours > 1 else ''}"
    return f"{hours} h {rest} min" if hours else f"{rest} minutes"


@lru_cache(maxsize=4096)  # formatting a date is dear; a page shows the same ones
def long_date(d: date) -> str:
    """'Tuesday, January 23, 2024' (kept: a page of 100 rows names a handful of days)."""
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def month_day(d: date) -> str:
    """'February 7th', as the seed lists dates."""
    return f"{d:%B} {ordinal(d.day)}"


def local(instant: datetime, zone: str) -> datetime:
    """The instant as wall-clock time in `zone`."""
    return instant.astimezone(ZoneInfo(zone))


def format_instant(instant: datetime, zone: str) -> str:
    """'Wednesday, January 24, 2024, 9:00 am CET'."""
    wall = local(instant, zone)
    return f"{long_date(wall.date())}, {clock_time(wall.time())} {wall.tzname()}"


def format_deadline(instant: datetime, zone: str) -> str:
    """A deadline; one falling on local midnight reads as the end of the day before.

    2024-01-24T08:00Z in America/Los_Angeles → 'Tuesday, January 23, 2024, midnight PST
    (end of the day)'.
    """
    wall = local(instant, zone)
    if wall.time() == time(0, 0):
        day_before = wall - timedelta(seconds=1)
        return f"{long_date(day_before.date())}, midnight {wall.tzname()} (end of the day)"
    return format_instant(instant, zone)


@dataclass
class ScheduleLine:
    """One line of a block: a time range, with the zone(s) it applies to."""

    text: str


@dataclass
class ScheduleGroup:
    """Meetings that share the same local times in every zone of a block."""

    dates: list[date]
    lines: list[ScheduleLine] = field(default_factory=list)

    @property
    def dates_text(self) -> str:
        """'February 8th, February 29th'."""
        return ", ".join(month_day(d) for d in self.dates)


@dataclass
class ScheduleBlock:
    """A region's view of the meetings, grouped like the seed."""

    name: str
    heading: str
    groups: list[ScheduleGroup]


def _heading(name: str, dates: Sequence[date]) -> str:
    count = NUMBER_WORDS[len(dates)] if len(dates) < len(NUMBER_WORDS) else str(len(dates))
    weekdays = {d.strftime("%A") for d in dates}
    plural = "" if len(dates) == 1 else "s"
    if len(weekdays) == 1:
        return f"{name} – {count} {weekdays.pop()}{plural}"
    return f"{name} – {count} meeting{plural}"


def region_block(region: Region, meetings: Sequence[tuple[datetime, datetime]]) -> ScheduleBlock:
    """Group meetings by their local times across the region's zones, as the seed does.

    Worked out once per process for each region and set of meetings (every public page load
    asked again); the block returned is shared: read it, never change it.
    """
    return _region_block(region, tuple(meetings))


@lru_cache(maxsize=256)
def _region_block(region: Region, meetings: tuple[tuple[datetime, datetime], ...]
                  ) -> ScheduleBlock:
    groups: dict[tuple[tuple[time, time], ...], list[tuple[datetime, datetime]]] = {}
    for start, end in meetings:
        key = tuple(
            (local(start, z.zone).time(), local(end, z.zone).time()) for z in region.zones
        )
        groups.setdefault(key, []).append((start, end))
    first_zone = region.zones[0].zone
    rendered: list[ScheduleGroup] = []
    for members in groups.values():
        group = ScheduleGroup(dates=[local(s, first_zone).date() for s, _ in members])
        merged: dict[tuple[str, str], list[str]] = {}
        for z in region.zones:
            ranges = {time_range(local(s, z.zone), local(e, z.zone)) for s, e in members}
            abbreviations = {local(s, z.zone).tzname() or "" for s, _ in members}
            text = ranges.pop()
            if len(abbreviations) == 1:
                merged.setdefault((text, abbreviations.pop()), []).append(z.city)
            else:
                merged.setdefault((text, z.generic), [])
        for (text, label), cities in merged.items():
            suffix = f" ({', '.join(cities)})" if cities else ""
            group.lines.append(ScheduleLine(f"{text} {label}{suffix}"))
        rendered.append(group)
    all_dates = [local(s, first_zone).date() for s, _ in meetings]
    return ScheduleBlock(region.name, _heading(region.name, all_dates), rendered)


@dataclass
class LocalMeeting:
    """A meeting as seen from one zone."""

    number: int
    date_text: str
    time_text: str
    starts_at: datetime
    ends_at: datetime


def viewer_schedule(meetings: Sequence[tuple[datetime, datetime]], zone: str
                    ) -> tuple[LocalMeeting, ...]:
    """Every meeting in the viewer's own zone, with date, range and abbreviation (worked out once
    per process for each set of meetings and zone)."""
    return _viewer_schedule(tuple(meetings), zone)


@lru_cache(maxsize=1024)
def _viewer_schedule(meetings: tuple[tuple[datetime, datetime], ...], zone: str
                     ) -> tuple[LocalMeeting, ...]:
    rows = []
    for number, (start, end) in enumerate(meetings, start=1):
        s, e = local(start, zone), local(end, zone)
        rows.append(LocalMeeting(number, long_date(s.date()), f"{time_range(s, e)} {s.tzname()}",
                                 start, end))
    return tuple(rows)
