"""The demo data (`cohort.demo.seed_demo`) is the customer's page, and its page reads like it."""

from datetime import UTC, datetime, time
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cohort import demo_text
from cohort.demo import SEED_SLUG, seed_demo
from cohort.models import Cohort, Facilitator, GroupSession, Program
from tests.factories import set_clock
from tests.test_schedule import SEED_TABLE

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)
SEED_DATES = [(2, 7), (2, 28), (3, 27), (4, 17), (5, 22), (6, 26)]


class _TextNodes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.nodes.append(" ".join(data.split()))


def text_nodes(html: str) -> list[str]:
    """The page's visible text, one entry per text node, whitespace collapsed."""
    parser = _TextNodes()
    parser.feed(html)
    return parser.nodes


def page_text(html: str) -> str:
    return " ".join(text_nodes(html))


def contains_run(nodes: list[str], run: list[str]) -> bool:
    """True when `run` appears in `nodes` contiguously and in order."""
    return any(nodes[i:i + len(run)] == run for i in range(len(nodes) - len(run) + 1))


def seed_table_nodes() -> list[str]:
    """The seed's "Dates and times" table as the page's text nodes should read."""
    nodes = []
    for heading, groups in SEED_TABLE:
        nodes.append(f"Dates and times – {heading}")
        for dates, lines in groups:
            nodes.append(f"{dates}:")
            nodes.extend(lines)
    return nodes


def count_rows(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Program, Facilitator, Cohort, GroupSession)}


@pytest.fixture
def seeded(session):
    seed_demo(session, NOW)
    session.commit()
    return session


def cohort_by_slug(session, slug: str) -> Cohort:
    return session.scalars(select(Cohort).where(Cohort.slug == slug)).one()


def test_seed_cohort_has_the_seeds_seats_price_and_deposit(seeded):
    cohort = cohort_by_slug(seeded, SEED_SLUG)
    assert cohort.capacity == 9
    assert cohort.price_cents == 199_700
    assert cohort.deposit_cents == 10_000
    assert cohort.currency == "USD"
    assert cohort.state == "open"
    assert cohort.title == "February 7, 2024 to June 26, 2024"


def test_seed_cohort_deadlines_are_the_seeds_pacific_midnights(seeded):
    cohort = cohort_by_slug(seeded, SEED_SLUG)
    assert cohort.applications_close_at == datetime(2024, 1, 24, 8, 0, tzinfo=UTC)
    assert cohort.cancellation_deadline_at == datetime(2024, 1, 25, 8, 0, tzinfo=UTC)
    assert cohort.registration_deadline_at == datetime(2024, 1, 31, 8, 0, tzinfo=UTC)


def test_seed_cohort_has_six_three_hour_meetings_at_four_pm_pacific(seeded):
    cohort = cohort_by_slug(seeded, SEED_SLUG)
    assert [m.duration_minutes for m in cohort.meetings] == [180] * 6
    starts = [m.starts_at.astimezone(PACIFIC) for m in cohort.meetings]
    assert [(s.year, s.month, s.day) for s in starts] == [(2024, m, d) for m, d in SEED_DATES]
    assert {s.time() for s in starts} == {time(16, 0)}
    ends = [m.ends_at.astimezone(PACIFIC).time() for m in cohort.meetings]
    assert set(ends) == {time(19, 0)}


def test_seed_program_has_both_facilitators_in_order(seeded):
    cohort = cohort_by_slug(seeded, SEED_SLUG)
    assert [f.name for f in cohort.program.facilitators] == ["Evan Miller", "Sheella Mierson"]
    assert cohort.program.title == demo_text.TITLE


def test_seed_rebate_is_a_quarter_for_canada_australia_and_new_zealand(seeded):
    rule = cohort_by_slug(seeded, SEED_SLUG).rebate_rule
    assert rule["basis_points"] == 2500
    assert sorted(rule["countries"]) == ["AU", "CA", "NZ"]


def test_second_cohort_is_in_the_future_on_wednesdays_at_four_pm_pacific(seeded):
    others = seeded.scalars(select(Cohort).where(Cohort.slug != SEED_SLUG,
                                                 Cohort.time_zone == "America/Los_Angeles")).all()
    assert len(others) == 1
    upcoming = others[0]
    assert upcoming.applications_close_at > NOW
    assert upcoming.meetings[0].starts_at > NOW
    assert len(upcoming.meetings) == 6
    starts = [m.starts_at.astimezone(PACIFIC) for m in upcoming.meetings]
    assert {s.strftime("%A") for s in starts} == {"Wednesday"}
    assert {s.time() for s in starts} == {time(16, 0)}
    assert upcoming.slug == f"cop-{starts[0].year}"


def test_seeding_twice_creates_nothing_new(seeded):
    before = count_rows(seeded)
    assert before == {"Program": 2, "Facilitator": 4, "Cohort": 3, "GroupSession": 16}
    again = seed_demo(seeded, NOW)
    seeded.commit()
    assert count_rows(seeded) == before
    assert [c.slug for c in again] == [SEED_SLUG, again[1].slug, "berlin-2024"]


def test_seed_cohort_page_shows_the_seeds_dates_and_times_table(client, seeded):
    response = client.get(f"/cohorts/{SEED_SLUG}")
    assert response.status_code == 200
    assert contains_run(text_nodes(response.get_data(as_text=True)), seed_table_nodes())


def test_seed_cohort_page_shows_price_deposit_remainder_and_seats(client, seeded):
    text = page_text(client.get(f"/cohorts/{SEED_SLUG}").get_data(as_text=True))
    assert "Price $1,997 USD" in text
    assert "$100 USD, to hold your place" in text
    assert "Remainder $1,897 USD" in text
    assert "9 of 9 left" in text


def test_seed_cohort_page_shows_rebate_prerequisite_and_facilitators(client, seeded):
    text = page_text(client.get(f"/cohorts/{SEED_SLUG}").get_data(as_text=True))
    assert ("Due to current exchange rates, Canadian, Australian, and New Zealand participants "
            "will receive a 25% rebate on registration fees.") in text
    assert ("Members need to have taken or be taking TSCG’s Foundations of Sociocracy training "
            "course or equivalent.") in text
    assert "Evan Miller" in text
    assert "Sheella Mierson" in text


def test_seed_cohort_page_shows_deadlines_in_pacific_time(client, seeded):
    text = page_text(client.get(f"/cohorts/{SEED_SLUG}").get_data(as_text=True))
    assert "Tuesday, January 23, 2024, midnight PST (end of the day)" in text
    assert "Wednesday, January 24, 2024, midnight PST (end of the day)" in text
    assert "Tuesday, January 30, 2024, midnight PST (end of the day)" in text


def test_seed_cohort_page_shows_the_visitors_own_times_in_tokyo(client, seeded):
    response = client.get(f"/cohorts/{SEED_SLUG}?tz=Asia/Tokyo")
    assert response.status_code == 200
    nodes = text_nodes(response.get_data(as_text=True))
    own = nodes[nodes.index("In your time zone"):]
    assert "Thursday, February 8, 2024, 9:00 am – noon JST" in own
    assert "Thursday, March 28, 2024, 8:00 – 11:00 am JST" in own
    assert "Your time (Asia/Tokyo)" in nodes
    assert "Wednesday, January 24, 2024, 5:00 pm JST" in nodes


def test_choosing_tokyo_sets_a_tz_cookie_that_later_visits_use(client, seeded):
    response = client.get(f"/cohorts/{SEED_SLUG}?tz=Asia/Tokyo")
    assert any(h.startswith("tz=Asia/Tokyo;") for h in response.headers.getlist("Set-Cookie"))
    cookie = client.get_cookie("tz")
    assert cookie is not None and cookie.value == "Asia/Tokyo"
    later = page_text(client.get(f"/cohorts/{SEED_SLUG}").get_data(as_text=True))
    assert "Thursday, February 8, 2024, 9:00 am – noon JST" in later


def test_without_a_choice_the_visitors_times_are_the_cohorts_pacific_times(client, seeded):
    response = client.get(f"/cohorts/{SEED_SLUG}")
    nodes = text_nodes(response.get_data(as_text=True))
    own = nodes[nodes.index("In your time zone"):]
    assert "Wednesday, February 7, 2024, 4:00 – 7:00 pm PST" in own
    assert "Wednesday, March 27, 2024, 4:00 – 7:00 pm PDT" in own
    assert client.get_cookie("tz") is None


def test_index_lists_the_open_cohort_before_closed_ones(app, client, seeded):
    upcoming = seeded.scalars(select(Cohort).where(Cohort.slug.like("cop-%"),
                                                   Cohort.slug != SEED_SLUG)).one()
    set_clock(app, "2024-01-25T12:00:00Z")  # after the seed cohort's application deadline
    html = client.get("/").get_data(as_text=True)
    open_at = html.index(f'href="/cohorts/{upcoming.slug}"')
    closed_at = html.index(f'href="/cohorts/{SEED_SLUG}"')
    assert open_at < closed_at
    text = page_text(html)
    assert text.index("Open for applications until") < text.index("Not taking applications")


def test_index_orders_open_cohorts_by_first_meeting(client, seeded):
    upcoming = seeded.scalars(select(Cohort).where(Cohort.slug.like("cop-%"),
                                                   Cohort.slug != SEED_SLUG)).one()
    html = client.get("/").get_data(as_text=True)
    assert html.index(f'href="/cohorts/{SEED_SLUG}"') < html.index(
        f'href="/cohorts/{upcoming.slug}"')
    assert "Not taking applications" not in page_text(html)


def test_the_invented_berlin_program_has_its_own_zone_currency_seats_and_no_rebate(seeded):
    berlin = cohort_by_slug(seeded, "berlin-2024")
    assert (berlin.time_zone, berlin.currency, berlin.capacity) == ("Europe/Berlin", "EUR", 12)
    assert (berlin.price_cents, berlin.deposit_cents) == (120_000, 30_000)
    assert berlin.rebate_rule is None
    assert berlin.applications_close_at == datetime(2024, 2, 15, 23, 0, tzinfo=UTC)
    starts = [m.starts_at.astimezone(ZoneInfo("Europe/Berlin")) for m in berlin.meetings]
    assert {(s.strftime("%A"), s.time()) for s in starts} == {("Tuesday", time(18, 0))}
    assert berlin.program.slug != cohort_by_slug(seeded, SEED_SLUG).program.slug


def test_the_berlin_page_says_it_is_demo_data_and_shows_a_visitors_zone_beside_berlins(
        client, seeded):
    nodes = text_nodes(client.get("/cohorts/berlin-2024?tz=Asia/Tokyo").get_data(as_text=True))
    text = " ".join(nodes)

    assert "Demo data, invented to show a second program" in text
    assert "Central European Time (Europe/Berlin)" in nodes and "Your time (Asia/Tokyo)" in nodes
    assert "Thursday, February 15, 2024, midnight CET (end of the day)" in text
    assert "Friday, February 16, 2024, 8:00 am JST" in text
    assert "Dates and times – Europe – four Tuesdays" in nodes
    assert "Price €1,200 EUR" in text and "Rebate" not in text


# --- the S3 Online Learning Community (seed 000) ---------------------------------------------

def _community_rows(session) -> dict[str, int]:
    from cohort.models import Community, Group, Membership, PlanPrice, TermsVersion
    from cohort.models import Plan as PlanModel
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Community, Group, PlanModel, PlanPrice, TermsVersion, Membership)}


def test_the_community_has_the_seeds_groups_and_plans_and_pro_opens_both_lounges(seeded):
    from cohort.demo_community_text import SLUG
    from cohort.models import Community

    community = seeded.scalars(select(Community).where(Community.slug == SLUG)).one()
    assert [g.slug for g in community.groups] == ["lobby-room", "practitioners-lounge",
                                                  "pro-lounge"]
    plans = {p.slug: p for p in community.plans}
    assert [p.name for p in community.plans] == ["The Lobby", "Practitioner’s Lounge",
                                                 "PRO Lounge"]
    assert plans["lobby"].free and not plans["lobby"].prices
    assert plans["pro"].by_application
    assert [g.slug for g in plans["pro"].groups] == ["practitioners-lounge", "pro-lounge"]
    assert [g.slug for g in plans["lounge"].groups] == ["practitioners-lounge"]
    assert {(p.interval, p.amount_cents, p.currency) for p in plans["lounge"].prices} == {
        ("month", 2_000, "USD"), ("year", 20_000, "USD")}
    assert {(p.interval, p.amount_cents) for p in plans["pro"].prices} == {
        ("month", 5_000), ("year", 50_000)}


def test_the_community_has_a_member_in_each_state_and_one_pro_application(seeded):
    from cohort.models import Membership

    states = {(m.plan.slug, m.state, m.interval) for m in seeded.scalars(select(Membership))}
    assert states == {("lobby", "active", None), ("lounge", "active", "month"),
                      ("lounge", "active", "year"), ("lounge", "cancelling", "month"),
                      ("pro", "past_due", "month"), ("lounge", "ended", "month"),
                      ("pro", "applied", "month")}


def test_seeding_the_community_twice_creates_nothing_new(seeded):
    before = _community_rows(seeded)
    seed_demo(seeded, NOW)
    seeded.commit()
    assert _community_rows(seeded) == before
    assert before["Community"] == 1 and before["Membership"] == 7


def test_the_community_page_presents_the_three_plans_in_the_seeds_words(client, seeded):
    from cohort.demo_community_text import SLUG

    response = client.get(f"/communities/{SLUG}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(html)
    for words in (
        "Sociocracy 3.0 Online Learning Community",
        "Share And Learn With Practitioners From Around The World",
        "Become Part of an International Community, Committed to Improving the World of Work!",
        "Deepen your Learning", "Watch recordings of previous events",
        "Connect with Practitioners", "Participate in regular online Community Meet-ups",
        "Primary Driver for Creating this Community",
        "We need a sustainable system that enables practitioners from around the world",
        "Choose the Plan that’s Right for You",
        "Are you just starting out with Sociocracy 3.0, feeling curious and wanting to dip your "
        "toes in the water?",
        "Join The Lobby, a place to connect and engage in conversations with others",
        "Have you started experimenting with S3, experienced some successes and bumped into "
        "challenges and failures along the way?",
        "All sessions are recorded and available to view afterward as well.",
        "Want to pass on what you’re learning to others and improve your fluency and skills?",
        "You get access to all the activities in the Practitioner’s Lounge, plus:",
        "$20 USD per month or $200 USD per year", "$50 USD per month or $500 USD per year",
        "By application only.",
        "Will content generated in the community be available to the public?",
        "What are the criteria for selection for the PRO Plan?",
        "The PRO Plan is by application only.",
    ):
        assert words in text, words
    assert text.index("The Lobby") < text.index("Practitioner’s Lounge") < text.index(
        "PRO Lounge")
    assert f'href="/communities/{SLUG}/subscribe/lounge?interval=month"' in html
    assert f'href="/communities/{SLUG}/subscribe/lounge?interval=year"' in html
    assert f'href="/communities/{SLUG}/pro/apply"' in html
    assert f'href="/communities/{SLUG}/terms"' in html


def test_the_community_terms_say_they_are_demo_text_and_keep_groups_confidential(
        client, seeded):
    from cohort.demo_community_text import SLUG

    text = page_text(client.get(f"/communities/{SLUG}/terms").get_data(as_text=True))
    assert "Member Guidelines and Terms of Confidentiality" in text
    assert "DEMO TEXT" in text
    assert "private and confidential" in text


def test_the_index_links_to_the_community(client, seeded):
    from cohort.demo_community_text import SLUG

    html = client.get("/").get_data(as_text=True)
    assert f'href="/communities/{SLUG}"' in html
    assert "Share And Learn With Practitioners From Around The World" in page_text(html)
