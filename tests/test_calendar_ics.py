"""GET /cohorts/<slug>/calendar.ics: one VEVENT per meeting, UTC times, RFC 5545 lines."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tests.factories import make_cohort, make_program

SEED_TITLE = ("Nurturing Healthy Culture with Sociocracy: "
              "A Community of Practice for Executive Leaders")

# The seed's meetings, 16:00–19:00 Pacific, as UTC instants (US DST began on March 10, 2024).
EXPECTED_UTC = [
    (datetime(2024, 2, 8, 0, 0, tzinfo=UTC), datetime(2024, 2, 8, 3, 0, tzinfo=UTC)),
    (datetime(2024, 2, 29, 0, 0, tzinfo=UTC), datetime(2024, 2, 29, 3, 0, tzinfo=UTC)),
    (datetime(2024, 3, 27, 23, 0, tzinfo=UTC), datetime(2024, 3, 28, 2, 0, tzinfo=UTC)),
    (datetime(2024, 4, 17, 23, 0, tzinfo=UTC), datetime(2024, 4, 18, 2, 0, tzinfo=UTC)),
    (datetime(2024, 5, 22, 23, 0, tzinfo=UTC), datetime(2024, 5, 23, 2, 0, tzinfo=UTC)),
    (datetime(2024, 6, 26, 23, 0, tzinfo=UTC), datetime(2024, 6, 27, 2, 0, tzinfo=UTC)),
]


@pytest.fixture
def calendar_response(client, session):
    # The seed's long title (with the em dash of the summary) makes lines that must be folded.
    cohort = make_cohort(session, program=make_program(session, title=SEED_TITLE))
    session.commit()
    return cohort, client.get(f"/cohorts/{cohort.slug}/calendar.ics")


def events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_calendar_is_served_as_text_calendar(calendar_response):
    cohort, response = calendar_response
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{cohort.slug}.ics"')


def test_calendar_has_one_event_per_meeting_at_the_meetings_utc_instants(calendar_response):
    _, response = calendar_response
    found = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events(response.data)]
    assert found == EXPECTED_UTC
    for start, end in found:
        assert start.utcoffset() == timedelta(0)
        assert end.utcoffset() == timedelta(0)


def test_first_event_and_march_event_are_written_as_utc_text(calendar_response):
    _, response = calendar_response
    lines = response.data.decode("utf-8").split("\r\n")
    starts = [line for line in lines if line.startswith("DTSTART")]
    ends = [line for line in lines if line.startswith("DTEND")]
    assert starts[0] == "DTSTART:20240208T000000Z"
    assert ends[0] == "DTEND:20240208T030000Z"
    assert starts[2] == "DTSTART:20240327T230000Z"
    assert all(line.endswith("Z") for line in starts + ends)


def test_every_event_has_a_unique_uid(calendar_response):
    _, response = calendar_response
    uids = [str(e["UID"]) for e in events(response.data)]
    assert len(uids) == 6
    assert len(set(uids)) == 6
    assert all(uid.endswith("@cohort.test") for uid in uids)


def test_events_carry_numbered_summaries_and_the_page_url(calendar_response):
    cohort, response = calendar_response
    found = events(response.data)
    assert [str(e["SUMMARY"]) for e in found] == [
        f"{SEED_TITLE} — meeting {n} of 6" for n in range(1, 7)]
    page = f"http://cohort.test/cohorts/{cohort.slug}"
    assert all(str(e["URL"]) == page for e in found)
    assert all(page in str(e["DESCRIPTION"]) for e in found)


def test_event_stamp_is_the_frozen_clock(calendar_response):
    _, response = calendar_response
    stamps = {e.decoded("DTSTAMP") for e in events(response.data)}
    assert stamps == {datetime(2024, 1, 10, 20, 0, tzinfo=UTC)}


def test_every_line_ends_in_crlf_and_is_at_most_75_octets(calendar_response):
    _, response = calendar_response
    body = response.data
    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), [len(line) for line in lines]
    assert any(line.startswith(b" ") for line in lines), "expected long lines to be folded"
    for line in lines:
        line.decode("utf-8")  # raises if folding split a UTF-8 sequence


def test_calendar_of_an_unknown_cohort_is_not_found(client, session):
    make_cohort(session)
    session.commit()
    assert client.get("/cohorts/no-such-cohort/calendar.ics").status_code == 404
