"""What an outside tester found on the integrated service: each a regression test."""

from __future__ import annotations

import re

from tests.factories import csrf_token, form_data, make_cohort, set_clock

OPEN = "2024-01-10T12:00:00-08:00"  # the seed cohort takes applications


def _key_facts(page: str) -> str:
    match = re.search(r'<section class="facts keyfacts".*?</section>', page, re.S)
    assert match, "no key facts on the cohort page"
    return match.group(0)


def _how_to_apply(page: str) -> str:
    match = re.search(r'<section id="how-to-apply".*?</section>', page, re.S)
    assert match, "no 'How to apply' on the cohort page"
    return match.group(0)


def test_the_page_after_applying_is_never_cached(app, client, session):
    set_clock(app, OPEN)
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    sent = client.post(url, data={**form_data(email="private@example.org"),
                                  "csrf_token": csrf_token(client, url)})
    page = client.get(sent.headers["Location"])

    assert page.status_code == 200
    assert "private@example.org" in page.get_data(as_text=True)  # it repeats the address
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "no-store" not in client.get(f"/cohorts/{cohort.slug}").headers.get(
        "Cache-Control", "")  # the public page itself may be cached


def test_a_visitor_elsewhere_sees_the_cohorts_own_deadlines_with_theirs_beside(
        app, client, session):
    set_clock(app, OPEN)
    cohort = make_cohort(session)  # USA Pacific time
    session.commit()

    page = client.get(f"/cohorts/{cohort.slug}?tz=Asia/Tokyo").get_data(as_text=True)

    facts, how = _key_facts(page), _how_to_apply(page)
    for part in (facts, how):
        assert "PST" in part, part  # the cohort's own zone is never replaced by the visitor's
        assert "JST" in part, part  # and the visitor's is beside it
    assert facts.index("PST") < facts.index("JST")
    assert "Your time:" in facts


def test_a_visitor_in_the_cohorts_zone_sees_each_deadline_once(app, client, session):
    set_clock(app, OPEN)
    cohort = make_cohort(session)
    session.commit()

    page = client.get(f"/cohorts/{cohort.slug}?tz=America/Los_Angeles").get_data(as_text=True)

    facts = _key_facts(page)
    assert "Your time:" not in facts
    assert facts.count("PST") == 2  # apply by, register by


def test_rendering_a_pdf_does_not_fill_the_log_with_weasyprints_steps(caplog):
    import logging

    import cohort.invoices.pdf  # noqa: F401  (its import sets the log levels)

    caplog.set_level(logging.INFO)  # as the worker and gunicorn log: INFO and up

    # Levels, not captured records: another test's logging set-up may have disabled loggers.
    assert logging.getLogger("weasyprint.progress").getEffectiveLevel() > logging.INFO
    assert logging.getLogger("weasyprint").getEffectiveLevel() <= logging.WARNING


def test_the_registration_deadline_is_offered_only_while_one_can_still_register(
        app, client, session):
    set_clock(app, OPEN)
    going = make_cohort(session)
    cancelled = make_cohort(session, state="cancelled")
    session.commit()

    def facts(cohort) -> str:
        return _key_facts(client.get(f"/cohorts/{cohort.slug}").get_data(as_text=True))

    assert "Register and pay the deposit by" in facts(going)
    assert "Register and pay the deposit by" not in facts(cancelled)
    assert "cancelled" in facts(cancelled)  # the page says why instead
    set_clock(app, "2024-02-01T12:00:00-08:00")  # the registration deadline has passed
    assert "Register and pay the deposit by" not in facts(going)
