"""A cohort's counts per state, kept by the database's trigger and folded by the worker, always
equal counting its enrollments: after inserts, state changes (through the machine and directly),
moves between cohorts and deletions, before and after folding, and with two folders at once."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from cohort.clock import now
from cohort.extensions import db
from cohort.models import Enrollment, EnrollmentStateChange, EnrollmentStateCount
from cohort.services.state_counts import (
    count_by_state,
    count_by_state_of,
    fold_everything,
    fold_state_changes,
)
from cohort.services.transitions import change_enrollment
from tests.factories import make_cohort, make_enrollment, make_program
from tests.worker_helpers import at_once


def counted(session, cohort_id: int) -> dict[str, int]:
    """The truth: the cohort's enrollments counted one by one."""
    return dict(session.execute(
        select(Enrollment.state, func.count()).where(Enrollment.cohort_id == cohort_id)
        .group_by(Enrollment.state)).all())


def assert_counts_true(session, *cohort_ids: int) -> None:
    for cohort_id in cohort_ids:
        assert count_by_state(session, cohort_id) == counted(session, cohort_id)
    assert count_by_state_of(session, cohort_ids) == {c: counted(session, c) for c in cohort_ids}


def test_counts_follow_every_change_before_and_after_folding(app, session):
    program = make_program(session)
    first, second = make_cohort(session, program=program), make_cohort(session, program=program)
    ada = make_enrollment(session, first, email="ada@example.org")
    grace = make_enrollment(session, first, email="grace@example.org", state="waitlisted")
    alan = make_enrollment(session, first, email="alan@example.org", state="declined")
    make_enrollment(session, second, email="edsger@example.org")
    session.commit()
    assert_counts_true(session, first.id, second.id)

    change_enrollment(session, ada.id, "accept", actor="test", now=now())  # the machine
    grace.state = "accepted"  # directly, as a data fix would
    alan.cohort_id = second.id  # moved to another cohort
    session.flush()
    assert_counts_true(session, first.id, second.id)  # the changes not yet folded count
    session.commit()
    assert fold_state_changes(session) > 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(EnrollmentStateChange)) == 0
    assert_counts_true(session, first.id, second.id)

    session.execute(delete(Enrollment).where(Enrollment.id == grace.id))
    make_enrollment(session, second, email="barbara@example.org", state="paid")
    session.commit()
    assert_counts_true(session, first.id, second.id)
    fold_state_changes(session)
    session.commit()
    assert fold_state_changes(session) == 0  # nothing left: folding again changes nothing
    assert_counts_true(session, first.id, second.id)
    assert counted(session, first.id) == {"accepted": 1}


def test_a_rolled_back_change_leaves_the_counts_alone(app, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    session.commit()
    enrollment.state = "declined"
    session.flush()
    session.rollback()

    assert count_by_state(session, cohort.id) == {"submitted": 1}


def test_two_folders_at_once_fold_each_change_once(app, session):
    cohort = make_cohort(session)
    for n in range(30):
        make_enrollment(session, cohort, email=f"leader{n}@example.org",
                        state=("submitted", "waitlisted", "accepted")[n % 3])
    session.flush()
    cohort_id = cohort.id
    session.commit()  # like a finished request: the test's session holds no transaction now

    def fold() -> None:
        fold_everything(db.session, limit=4)

    at_once(app, 2, fold)

    session.rollback()
    assert session.scalar(select(func.count()).select_from(EnrollmentStateChange)) == 0
    folded = dict(session.execute(select(EnrollmentStateCount.state, EnrollmentStateCount.n)
                                  .where(EnrollmentStateCount.cohort_id == cohort_id)).all())
    assert folded == {"submitted": 10, "waitlisted": 10, "accepted": 10}
    assert count_by_state(session, cohort_id) == counted(session, cohort_id)


def test_the_tick_command_folds_every_waiting_change_for_cron_set_ups(app, session):
    cohort = make_cohort(session)
    for n in range(5):
        make_enrollment(session, cohort, email=f"cron{n}@example.org")
    session.commit()
    assert session.scalar(select(func.count()).select_from(EnrollmentStateChange)) == 5

    result = app.test_cli_runner().invoke(args=["cohort", "tick"])

    assert result.exit_code == 0, result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(EnrollmentStateChange)) == 0
    assert session.scalar(select(EnrollmentStateCount.n).where(
        EnrollmentStateCount.cohort_id == cohort.id,
        EnrollmentStateCount.state == "submitted")) == 5
