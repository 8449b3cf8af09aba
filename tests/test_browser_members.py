"""The members' area in a real browser (Chromium via Playwright) over real HTTP.

A facilitator schedules a Q&A for the Practitioner's Lounge; a member opens the Customer Hub from
the link in their e-mail, goes to their page and sends a question in advance; the session passes;
the facilitator attaches the recording; the member opens it (the service redirects to where the
video lives); a member whose membership was cancelled gets 404 for the same address. Every step
fails on any console error or unexpected failed request, and is screenshotted.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from cohort.models import GroupSession, Membership, OutboxMessage
from cohort.services.hub import request_hub_link
from tests.browser_helpers import PageWatch, Screenshots
from tests.console_helpers import PASSWORD
from tests.factories import make_staff, set_clock, utc
from tests.live_server import LiveServer
from tests.membership_factories import make_community, make_membership

TIMEOUT_MS = 10_000
VIDEO = "https://video.example.org/lounge/qa-march"
FACILITATOR = "sheella.browser@example.org"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _open_hub(page: Any, session: Any, email: str, now: str) -> None:
    """Ask for a hub link (as the hub's form does), open it from the e-mail's text."""
    request_hub_link(session, email, now=utc(now))
    session.commit()
    body = session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "hub_link", OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc()).limit(1)).one()
    session.commit()  # end the read: SQLite's transactions hold the write lock
    page.goto(re.search(r"https?://[^/\s]+(/hub/[A-Za-z0-9_-]+)", body).group(1))
    page.get_by_role("button", name="Open my memberships").click()
    page.get_by_role("link", name="Your sessions, questions, recordings and calendar link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions and recordings")


def test_a_member_asks_in_advance_and_watches_the_recording_a_cancelled_member_cannot(
        app, session, browser, request):
    set_clock(app, "2026-03-01T12:00:00Z")
    community = make_community(session)
    started = utc("2026-01-01T00:00:00Z")
    mia = make_membership(session, community, "lounge", started_at=started)
    leo = make_membership(session, community, "lounge", started_at=started)
    make_staff(session, role="facilitator", email=FACILITATOR)
    slug, mia_email, leo_email, leo_id = (community.slug, mia.person.email, leo.person.email,
                                          leo.id)
    session.commit()
    shots = Screenshots(request.node.callspec.params["database_url"], "members-")
    watch = PageWatch()
    contexts: list[Any] = []

    with LiveServer(app) as server:
        def page_for(who: str) -> Any:
            context = browser.new_context(base_url=server.url, timezone_id="Europe/Berlin")
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
            return watch.watch(context.new_page(), who)

        def done(page: Any, step: str) -> None:
            shots.take(page, step)
            watch.assert_clean(step)

        try:
            # The facilitator schedules a Q&A, times typed in the community's zone (Berlin).
            staff = page_for("facilitator")
            staff.goto("/staff/login")
            staff.fill("#email", FACILITATOR)
            staff.fill("#password", PASSWORD)
            staff.get_by_role("button", name="Sign in").click()
            lounge_sessions = (f"/staff/communities/{slug}/groups/"
                               "practitioners-lounge/sessions")
            staff.goto(lounge_sessions)
            staff.select_option("#kind", value="qa")
            staff.fill("#title", "Ask the facilitators")
            staff.fill("#starts_at", "2026-03-04T18:00")
            staff.fill("#duration_minutes", "60")
            staff.fill("#join_url", "https://zoom.us/j/123456789")
            staff.fill("#questions_close_at", "2026-03-03T18:00")
            staff.get_by_role("button", name="Schedule").click()
            expect(staff.get_by_text("The session is scheduled.")).to_be_visible()
            expect(staff.locator("table")).to_contain_text(
                "Wednesday, March 4, 2026, 6:00 – 7:00 pm CET")
            done(staff, "facilitator-scheduled-qa")

            # Mia opens her page from the hub and sends a question in advance.
            mia_page = page_for("mia")
            _open_hub(mia_page, session, mia_email, "2026-03-01T12:00:00Z")
            expect(mia_page.locator("body")).to_contain_text("Ask the facilitators")
            mia_page.get_by_role("link", name="Questions in advance").click()
            mia_page.fill("#body", "How do we bring consent to a board that votes?")
            mia_page.get_by_role("button", name="Send my question").click()
            expect(mia_page.get_by_text("Waiting for the session")).to_be_visible()
            done(mia_page, "member-asked")

            leo_page = page_for("leo")
            _open_hub(leo_page, session, leo_email, "2026-03-01T12:00:00Z")
            done(leo_page, "second-member-in")

            # The session passes; the facilitator attaches the recording.
            set_clock(app, "2026-03-05T09:00:00Z")
            staff.goto(lounge_sessions)
            staff.get_by_role("link", name="Attach").click()
            staff.fill("#url", VIDEO)
            staff.fill("#passcode", "circle42")
            staff.get_by_role("button", name="Attach the recording").click()
            expect(staff.get_by_text("The recording is attached.")).to_be_visible()
            done(staff, "recording-attached")

            # Leo's membership ends; Mia watches.
            ending = session.get(Membership, leo_id)
            ending.state, ending.ended_at = "ended", utc("2026-03-05T09:30:00Z")
            session.commit()
            set_clock(app, "2026-03-05T10:00:00Z")  # the hub sessions of the 1st have ended
            _open_hub(mia_page, session, mia_email, "2026-03-05T10:00:00Z")
            expect(mia_page.locator("body")).to_contain_text("Passcode: circle42")
            assert "video.example.org" not in mia_page.content()
            link = mia_page.locator("ul.recordings a")
            recording_path = link.get_attribute("href")
            # The link goes through the service, which answers with where the video lives
            # (followed with this browser's cookies; the video host itself is not on this net).
            answer = mia_page.request.get(recording_path, max_redirects=0)
            assert (answer.status, answer.headers["location"]) == (303, VIDEO)
            done(mia_page, "member-watched")

            _open_hub(leo_page, session, leo_email, "2026-03-05T10:00:00Z")
            assert "Ask the facilitators" not in leo_page.locator("body").inner_text()
            with watch.expecting(404, recording_path):
                answer = leo_page.goto(recording_path)
            assert answer.status == 404
            assert "video.example.org" not in leo_page.content()
            done(leo_page, "cancelled-member-refused")
        finally:
            for context in contexts:
                context.close()

    row = session.scalars(select(GroupSession)).one()
    assert row.recording.url == VIDEO
