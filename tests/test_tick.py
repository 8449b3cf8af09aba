"""`flask cohort tick`: what the passing of time implies, once, even with two ticks at once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import AuditRecord, Cohort, Enrollment, OutboxMessage
from cohort.timekeeping import TickReport, close_due_cohorts, lapse_unregistered
from tests.factories import make_cohort, make_enrollment, set_clock, utc


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["cohort", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def test_tick_closes_applications_at_the_deadline_and_not_before(app, session):
    cohort = make_cohort(session)
    session.commit()

    set_clock(app, "2024-01-24T07:59:59Z")
    _tick(app)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "open"

    set_clock(app, "2024-01-24T08:00:00Z")
    output = _tick(app)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"
    assert "closed 1 cohort(s)" in output
    record = session.scalars(select(AuditRecord)).one()
    assert (record.actor, record.event) == ("system:tick", "close")


def test_tick_lapses_accepted_places_not_registered_by_the_deadline(app, session):
    cohort = make_cohort(session, state="closed")
    late = make_enrollment(session, cohort, state="accepted")
    registered = make_enrollment(session, cohort, state="registered")
    session.commit()

    set_clock(app, "2024-01-31T07:59:59Z")
    _tick(app)
    session.expire_all()
    assert session.get(Enrollment, late.id).state == "accepted"

    set_clock(app, "2024-01-31T08:00:00Z")
    _tick(app)
    session.expire_all()
    assert session.get(Enrollment, late.id).state == "lapsed"
    assert session.get(Enrollment, registered.id).state == "registered"
    kinds = sorted(m.kind for m in session.scalars(select(OutboxMessage)))
    assert kinds == ["enrollment_lapsed", "staff_seat_released", "staff_seat_released"]


def test_a_second_tick_does_nothing_more(app, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, state="accepted")
    session.commit()
    set_clock(app, "2024-02-01T00:00:00Z")

    _tick(app)
    output = _tick(app)

    assert "closed 0 cohort(s)" in output
    assert "lapsed 0 enrollment(s)" in output
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 2


def test_two_ticks_at_once_close_and_lapse_each_thing_once(app, session):
    cohorts = [make_cohort(session) for _ in range(3)]
    for cohort in cohorts:
        for _ in range(3):
            make_enrollment(session, cohort, state="accepted")
    session.commit()
    now = utc("2024-02-01T00:00:00Z")
    barrier = threading.Barrier(2)
    reports: list[TickReport] = []

    def run() -> None:
        with app.app_context():
            report = TickReport()
            barrier.wait()
            close_due_cohorts(db.session, now, report)
            lapse_unregistered(db.session, now, report)
            reports.append(report)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(len(r.closed_cohorts) for r in reports) == 3
    assert sum(len(r.lapsed_enrollments) for r in reports) == 9
    count = session.scalar(select(func.count()).select_from(AuditRecord))
    assert count == 3 + 9
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 9 * 3


def test_tick_runs_confirmed_cohorts_from_the_first_meeting_and_finishes_them(app, session):
    cohort = make_cohort(session, state="confirmed")
    paid = make_enrollment(session, cohort, state="paid")
    owing = make_enrollment(session, cohort, state="invoiced")
    cancelled = make_enrollment(session, cohort, state="cancelled")
    session.commit()

    set_clock(app, "2024-02-07T23:59:59Z")
    _tick(app)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "confirmed"

    set_clock(app, "2024-02-08T00:00:00Z")
    assert "started ['" in _tick(app)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "running"
    assert [session.get(Enrollment, e.id).state for e in (paid, owing, cancelled)] == [
        "participating", "participating", "cancelled"]

    set_clock(app, "2024-06-27T02:00:00Z")  # the last meeting ended at 19:00 Pacific
    _tick(app)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "finished"
    assert session.get(Enrollment, paid.id).state == "completed"
