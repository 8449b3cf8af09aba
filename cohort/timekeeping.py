"""What the passing of time implies, applied by `flask cohort tick`.

Each unit of work is its own transaction, and each re-checks its state under lock, so a tick
is idempotent and two ticks running at once never do the same thing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.mail.delivery import SmtpSettings, deliver_due
from cohort.models import Cohort, Enrollment
from cohort.payments.gateway import StripeGateway
from cohort.services import ServiceError
from cohort.services.dunning import run_dunning
from cohort.services.rebates import issue_rebate, rebates_due
from cohort.services.reminders import send_session_reminders
from cohort.services.subscription_tick import MembershipReport, membership_tick
from cohort.services.transitions import TransitionRefused, change_cohort, change_enrollment
from workflows import CohortMachine, EnrollmentMachine

TICK_ACTOR = "system:tick"


@dataclass
class TickReport:
    """What one tick did."""

    closed_cohorts: list[str] = field(default_factory=list)
    lapsed_enrollments: list[int] = field(default_factory=list)
    rebates: list[int] = field(default_factory=list)
    started_cohorts: list[str] = field(default_factory=list)
    finished_cohorts: list[str] = field(default_factory=list)
    memberships: MembershipReport = field(default_factory=MembershipReport)
    dunning: str = ""
    session_reminders: int = 0
    mail_sent: int = 0
    mail_failed: int = 0

    def summary(self) -> str:
        """One line for the command's output."""
        return (
            f"closed {len(self.closed_cohorts)} cohort(s) {self.closed_cohorts}, "
            f"lapsed {len(self.lapsed_enrollments)} enrollment(s), "
            f"rebated {len(self.rebates)} enrollment(s), "
            f"started {self.started_cohorts}, finished {self.finished_cohorts}, "
            f"{self.memberships.summary()}, {self.dunning}, "
            f"session reminders {self.session_reminders}, "
            f"mail sent {self.mail_sent}, failed {self.mail_failed}"
        )


def close_due_cohorts(session: Session, now: datetime, report: TickReport) -> None:
    """Close applications of open cohorts whose application deadline has passed."""
    due = session.scalars(
        select(Cohort.id).where(Cohort.state.in_(CohortMachine.sources("close")),
                                Cohort.applications_close_at <= now)
    ).all()
    session.rollback()
    for cohort_id in due:
        try:
            cohort = change_cohort(session, cohort_id, "close", actor=TICK_ACTOR, now=now,
                                   reason="application deadline passed")
            if cohort.applications_close_at > now:  # reopened and extended meanwhile
                raise TransitionRefused("deadline moved")
        except TransitionRefused:
            session.rollback()
            continue
        report.closed_cohorts.append(cohort.slug)
        session.commit()


def lapse_unregistered(session: Session, now: datetime, report: TickReport) -> None:
    """Lapse accepted enrollments that did not register by the registration deadline."""
    due = session.scalars(
        select(Enrollment.id)
        .join(Cohort)
        .where(Enrollment.state.in_(EnrollmentMachine.sources("lapse")),
               Cohort.registration_deadline_at <= now)
    ).all()
    session.rollback()
    for enrollment_id in due:
        try:
            change_enrollment(session, enrollment_id, "lapse", actor=TICK_ACTOR, now=now,
                              reason="did not register by the registration deadline")
        except TransitionRefused:
            session.rollback()
            continue
        report.lapsed_enrollments.append(enrollment_id)
        session.commit()


def _advance_cohorts(session: Session, now: datetime, *, event: str, member_event: str,
                     done: list[str]) -> None:
    """Move cohorts whose time has come, and their members with them, one cohort per commit."""
    due = session.scalars(
        select(Cohort.id).where(Cohort.state.in_(CohortMachine.sources(event)))).all()
    session.rollback()
    for cohort_id in due:
        try:
            cohort = change_cohort(session, cohort_id, event, actor=TICK_ACTOR, now=now,
                                   reason="meeting time reached")
        except TransitionRefused:
            session.rollback()  # not time yet, or another tick did it
            continue
        for enrollment in list(cohort.enrollments):
            if enrollment.state in EnrollmentMachine.sources(member_event):
                change_enrollment(session, enrollment.id, member_event, actor=TICK_ACTOR,
                                  now=now, reason=f"cohort {cohort.state}")
        done.append(cohort.slug)
        session.commit()


def start_and_finish_cohorts(session: Session, now: datetime, report: TickReport) -> None:
    """Confirmed cohorts run from their first meeting; running ones finish after the last."""
    _advance_cohorts(session, now, event="start", member_event="start",
                     done=report.started_cohorts)
    _advance_cohorts(session, now, event="finish", member_event="complete",
                     done=report.finished_cohorts)


def issue_due_rebates(session: Session, now: datetime, gateway: StripeGateway | None,
                      report: TickReport) -> None:
    """Rebates owed since the first meeting started, each exactly once."""
    due = rebates_due(session, now)
    session.rollback()
    for enrollment_id in due:
        try:
            issued = issue_rebate(session, enrollment_id, gateway=gateway, now=now)
        except ServiceError:
            session.rollback()  # e.g. Stripe unreachable: nothing kept, retried next tick
            continue
        if issued:
            report.rebates.append(enrollment_id)
            session.commit()
        else:
            session.rollback()


def tick(session: Session, now: datetime, smtp: SmtpSettings | None,
         gateway: StripeGateway | None = None) -> TickReport:
    """Apply everything time implies, then retry queued mail."""
    report = TickReport()
    close_due_cohorts(session, now, report)
    lapse_unregistered(session, now, report)
    start_and_finish_cohorts(session, now, report)
    issue_due_rebates(session, now, gateway, report)
    report.memberships = membership_tick(session, now, gateway)
    report.dunning = run_dunning(session, now).summary()
    report.session_reminders = send_session_reminders(session, now)
    if smtp is not None:
        report.mail_sent, report.mail_failed = deliver_due(session, smtp, now)
    return report
