"""change_enrollment / change_cohort: lock, fire, audit and outbox in one transaction."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import AuditRecord, AuditRecordImmutable, Enrollment, OutboxMessage
from cohort.services.transitions import TransitionRefused, change_cohort, change_enrollment
from tests.factories import make_cohort, make_enrollment, utc

NOW = utc("2024-01-10T20:00:00Z")


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_accepting_writes_state_audit_and_acceptance_mail(session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, email="grace@example.org")
    session.commit()

    change_enrollment(session, enrollment.id, "accept", actor="staff:evan@example.org", now=NOW,
                      reason="strong fit", message="Welcome aboard!")
    session.commit()

    assert session.get(Enrollment, enrollment.id).state == "accepted"
    record = session.scalars(select(AuditRecord).where(AuditRecord.event == "accept")).one()
    assert (record.actor, record.from_state, record.to_state, record.reason) == (
        "staff:evan@example.org", "submitted", "accepted", "strong fit")
    assert record.occurred_at == NOW
    mail = session.scalars(select(OutboxMessage)).one()
    assert mail.to_address == "grace@example.org"
    assert mail.kind == "enrollment_accepted"
    assert "Welcome aboard!" in mail.body_text
    assert f"http://cohort.test/a/{enrollment.status_token}" in mail.body_text
    assert "Tuesday, January 30, 2024, midnight PST (end of the day)" in mail.body_text


def test_a_refused_event_raises_and_changes_nothing(session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="declined")
    session.commit()

    with pytest.raises(TransitionRefused, match="cannot accept an application that is declined"):
        change_enrollment(session, enrollment.id, "accept", actor="staff:x", now=NOW)
    session.rollback()

    assert session.get(Enrollment, enrollment.id).state == "declined"
    assert _count(session, AuditRecord) == 0
    assert _count(session, OutboxMessage) == 0


def test_accepting_beyond_capacity_is_refused_naming_seats_and_waitlist(session):
    cohort = make_cohort(session, capacity=2, minimum_participants=1)
    make_enrollment(session, cohort, state="accepted")
    make_enrollment(session, cohort, state="paid")
    make_enrollment(session, cohort, state="waitlisted")
    tenth = make_enrollment(session, cohort)
    session.commit()

    with pytest.raises(TransitionRefused) as refused:
        change_enrollment(session, tenth.id, "accept", actor="staff:x", now=NOW)
    session.rollback()

    assert "2 of 2 seats are held" in refused.value.message
    assert "1 on the waitlist" in refused.value.message
    assert session.get(Enrollment, tenth.id).state == "submitted"


def test_declined_and_lapsed_enrollments_do_not_hold_seats(session):
    cohort = make_cohort(session, capacity=1, minimum_participants=1)
    for state in ("declined", "lapsed", "withdrawn", "cancelled", "waitlisted", "submitted"):
        make_enrollment(session, cohort, state=state)
    candidate = make_enrollment(session, cohort)
    session.commit()

    change_enrollment(session, candidate.id, "accept", actor="staff:x", now=NOW)
    session.commit()

    assert session.get(Enrollment, candidate.id).state == "accepted"


def test_lapsing_tells_the_applicant_and_the_facilitators(session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="accepted", email="late@example.org")
    session.commit()

    change_enrollment(session, enrollment.id, "lapse", actor="system:tick",
                      now=cohort.registration_deadline_at, reason="no registration")
    session.commit()

    recipients = sorted(m.to_address for m in session.scalars(select(OutboxMessage)))
    assert recipients == ["evan@example.org", "late@example.org", "sheella@example.org"]


def test_cancelling_a_cohort_tells_everyone_still_in_it(session):
    cohort = make_cohort(session, state="closed")
    make_enrollment(session, cohort, state="registered", email="in@example.org")
    make_enrollment(session, cohort, state="declined", email="out@example.org")
    session.commit()

    change_cohort(session, cohort.id, "cancel", actor="staff:x", now=NOW, reason="too few")
    session.commit()

    assert cohort.state == "cancelled"
    assert [m.to_address for m in session.scalars(select(OutboxMessage))] == ["in@example.org"]
    record = session.scalars(select(AuditRecord)).one()
    assert (record.subject_type, record.from_state, record.to_state) == ("cohort", "closed",
                                                                        "cancelled")


def test_confirming_a_cohort_needs_its_minimum(session):
    cohort = make_cohort(session, state="closed", minimum_participants=2)
    make_enrollment(session, cohort, state="registered")
    session.commit()

    with pytest.raises(TransitionRefused, match="Only 1 registered; the cohort needs at least 2"):
        change_cohort(session, cohort.id, "confirm", actor="staff:x", now=NOW)
    session.rollback()
    make_enrollment(session, cohort, state="registered")
    session.commit()

    change_cohort(session, cohort.id, "confirm", actor="staff:x", now=NOW)
    session.commit()
    assert cohort.state == "confirmed"


def test_audit_records_cannot_be_changed_or_deleted(session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    session.commit()
    change_enrollment(session, enrollment.id, "waitlist", actor="staff:x", now=NOW)
    session.commit()
    record = session.scalars(select(AuditRecord)).one()

    record.reason = "rewritten"
    with pytest.raises(AuditRecordImmutable):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(AuditRecord)).one())
    with pytest.raises(AuditRecordImmutable):
        session.flush()
    session.rollback()
    assert session.scalars(select(AuditRecord)).one().reason == ""


def test_concurrent_accepts_never_exceed_capacity(app, session):
    """Twelve facilitators accept twelve applications at once for three seats."""
    cohort = make_cohort(session, capacity=3, minimum_participants=1)
    ids = [make_enrollment(session, cohort).id for _ in range(12)]
    session.commit()
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def accept(enrollment_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                change_enrollment(db.session, enrollment_id, "accept", actor="staff:x", now=NOW)
                db.session.commit()
                outcomes.append("accepted")
            except TransitionRefused:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    session.expire_all()
    assert sorted(outcomes) == ["accepted"] * 3 + ["refused"] * 9
    assert _count(session, Enrollment, Enrollment.state == "accepted") == 3
    assert _count(session, AuditRecord, AuditRecord.event == "accept") == 3
    assert _count(session, OutboxMessage) == 3
