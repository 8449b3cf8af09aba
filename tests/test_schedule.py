"""Rendering meeting instants per region and per viewer, exactly as the customer's page reads."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cohort.demo import SEED_REGIONS
from cohort.schedule import (
    Region,
    ZoneLabel,
    clock_time,
    format_deadline,
    is_zone,
    ordinal,
    region_block,
    regions_from_data,
    regions_or_own,
    regions_to_data,
    viewer_schedule,
    zone_label,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
DISPLAY_REGIONS = regions_from_data(SEED_REGIONS)  # the seed's blocks, as its cohort stores them
SEED_DATES = [(2, 7), (2, 28), (3, 27), (4, 17), (5, 22), (6, 26)]

# The seed's "Dates and times" table: (heading, [(dates, [lines])]) per region, in order.
# ("Mary 22nd" in the seed is a typo for May 22nd.)
SEED_TABLE = [
    ("Americas – six Wednesdays", [
        ("February 7th, February 28th, March 27th, April 17th, May 22nd, June 26th", [
            "4:00 – 7:00 pm USA Pacific Time",
            "7:00 – 10:00 pm USA Eastern Time",
        ]),
    ]),
    ("Australasia – six Thursdays", [
        ("February 8th, February 29th", [
            "8:00 – 11:00 am AWST (Perth)",
            "11:00 am – 2:00 pm AEDT (Sydney)",
            "10:00 am – 1:00 pm AEST (Brisbane)",
        ]),
        ("March 28th", [
            "7:00 – 10:00 am AWST (Perth)",
            "10:00 am – 1:00 pm AEDT (Sydney)",
            "9:00 am – noon AEST (Brisbane)",
        ]),
        ("April 18th, May 23rd, June 27th", [
            "7:00 – 10:00 am AWST (Perth)",
            "9:00 am – noon AEST (Sydney, Brisbane)",
        ]),
    ]),
]


def pacific_meeting(month, day, start=16, end=19):
    """A meeting held at Pacific wall-clock times, as stored: two UTC instants."""
    return (
        datetime(2024, month, day, start, tzinfo=PACIFIC).astimezone(UTC),
        datetime(2024, month, day, end, tzinfo=PACIFIC).astimezone(UTC),
    )


SEED_MEETINGS = [pacific_meeting(month, day) for month, day in SEED_DATES]


def rendered(region: Region) -> tuple[str, list[tuple[str, list[str]]]]:
    block = region_block(region, SEED_MEETINGS)
    return block.heading, [(g.dates_text, [line.text for line in g.lines]) for g in block.groups]


def test_display_regions_are_the_seeds_americas_and_australasia_in_order():
    assert [region.name for region in DISPLAY_REGIONS] == ["Americas", "Australasia"]


@pytest.mark.parametrize(("region", "expected"),
                         list(zip(DISPLAY_REGIONS, SEED_TABLE, strict=True)),
                         ids=[region.name for region in DISPLAY_REGIONS])
def test_region_block_reproduces_the_seeds_table_exactly(region, expected):
    assert rendered(region) == expected


def test_regions_survive_the_round_trip_through_the_cohorts_json():
    assert regions_from_data(regions_to_data(DISPLAY_REGIONS)) == DISPLAY_REGIONS


def test_a_zone_is_named_by_its_label_in_the_regions_else_by_its_city():
    assert zone_label("America/Los_Angeles", DISPLAY_REGIONS) == "USA Pacific Time"
    assert zone_label("Europe/Berlin", DISPLAY_REGIONS) == "Berlin time"
    assert zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires time"


def test_without_regions_the_schedule_shows_one_block_in_the_cohorts_own_zone():
    berlin = [(datetime(2024, 3, 5, 17, tzinfo=UTC), datetime(2024, 3, 5, 19, 30, tzinfo=UTC))]
    (own,) = regions_or_own((), "Europe/Berlin")
    block = region_block(own, berlin)
    assert block.heading == "Berlin – one Tuesday"
    assert [line.text for line in block.groups[0].lines] == ["6:00 – 8:30 pm CET (Berlin)"]


def test_region_block_names_the_region_it_renders():
    assert [region_block(r, SEED_MEETINGS).name for r in DISPLAY_REGIONS] == [
        "Americas", "Australasia"]


def test_region_block_keeps_group_dates_as_local_dates_of_the_first_zone():
    australasia = region_block(DISPLAY_REGIONS[1], SEED_MEETINGS)
    assert australasia.groups[0].dates == [date(2024, 2, 8), date(2024, 2, 29)]


def test_region_block_heading_counts_meetings_when_weekdays_differ():
    pacific_only = Region("Americas", (ZoneLabel("America/Los_Angeles", "USA Pacific Time",
                                                 "Los Angeles"),))
    monday, tuesday = pacific_meeting(1, 8), pacific_meeting(1, 9)
    block = region_block(pacific_only, [monday, tuesday])
    assert block.heading == "Americas – two meetings"
    assert [g.dates_text for g in block.groups] == ["January 8th, January 9th"]
    assert [line.text for line in block.groups[0].lines] == ["4:00 – 7:00 pm PST (Los Angeles)"]


def test_viewer_schedule_in_berlin_shows_the_march_meeting_at_midnight_thursday():
    rows = viewer_schedule(SEED_MEETINGS, "Europe/Berlin")
    assert [(row.number, row.date_text, row.time_text) for row in rows] == [
        (1, "Thursday, February 8, 2024", "1:00 – 4:00 am CET"),
        (2, "Thursday, February 29, 2024", "1:00 – 4:00 am CET"),
        (3, "Thursday, March 28, 2024", "midnight – 3:00 am CET"),
        (4, "Thursday, April 18, 2024", "1:00 – 4:00 am CEST"),
        (5, "Thursday, May 23, 2024", "1:00 – 4:00 am CEST"),
        (6, "Thursday, June 27, 2024", "1:00 – 4:00 am CEST"),
    ]


def test_viewer_schedule_keeps_the_stored_instants():
    rows = viewer_schedule(SEED_MEETINGS, "Europe/Berlin")
    assert [(row.starts_at, row.ends_at) for row in rows] == SEED_MEETINGS
    assert rows[2].starts_at == datetime(2024, 3, 27, 23, 0, tzinfo=UTC)


def test_format_deadline_at_local_midnight_reads_as_end_of_the_day_before():
    deadline = datetime(2024, 1, 24, 8, 0, tzinfo=UTC)
    assert format_deadline(deadline, "America/Los_Angeles") == (
        "Tuesday, January 23, 2024, midnight PST (end of the day)")


def test_format_deadline_at_local_midnight_in_summer_uses_daylight_time():
    deadline = datetime(2024, 7, 1, 7, 0, tzinfo=UTC)
    assert format_deadline(deadline, "America/Los_Angeles") == (
        "Sunday, June 30, 2024, midnight PDT (end of the day)")


def test_format_deadline_not_at_local_midnight_shows_the_wall_clock_time():
    deadline = datetime(2024, 1, 24, 8, 0, tzinfo=UTC)
    assert format_deadline(deadline, "Asia/Tokyo") == "Wednesday, January 24, 2024, 5:00 pm JST"


@pytest.mark.parametrize(("number", "expected"), [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"),
])
def test_ordinal_suffixes(number, expected):
    assert ordinal(number) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (time(12, 0), "noon"),
    (time(0, 0), "midnight"),
    (time(16, 0), "4:00 pm"),
    (time(9, 30), "9:30 am"),
    (time(12, 30), "12:30 pm"),
    (time(0, 30), "12:30 am"),
])
def test_clock_time_words_noon_and_midnight(value, expected):
    assert clock_time(value) == expected


def test_clock_time_without_meridiem_still_says_noon_and_midnight():
    assert clock_time(time(12, 0), meridiem=False) == "noon"
    assert clock_time(time(0, 0), meridiem=False) == "midnight"
    assert clock_time(time(16, 0), meridiem=False) == "4:00"


@pytest.mark.parametrize("name", ["Australia/Perth", "America/Los_Angeles", "UTC"])
def test_is_zone_accepts_iana_names(name):
    assert is_zone(name)


OVERLONG_NAME = "America/" + "x" * 57  # 65 characters, one more than any stored zone name


@pytest.mark.parametrize("name", [
    "Mars/Base",
    "",
    OVERLONG_NAME,
    "../../etc/passwd",
], ids=["unknown", "empty", "65-chars", "path-traversal"])
def test_is_zone_rejects_unknown_empty_overlong_and_path_names(name):
    assert not is_zone(name)
