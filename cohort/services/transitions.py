"""The one place a state changes: lock, fire the machine, audit, queue the implied e-mails."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail, status_url
from cohort.models import AuditRecord, Cohort, Enrollment, Membership
from cohort.services import ServiceError
from cohort.services.facts import cohort_facts, enrollment_facts, membership_facts
from cohort.services.locking import lock_row
from workflows import CohortMachine, EnrollmentMachine, MembershipMachine, Refused

# event -> e-mail kinds to the applicant; the staff notices are listed separately.
APPLICANT_NOTICES = {
    "accept": "enrollment_accepted",
    "waitlist": "enrollment_waitlisted",
    "decline": "enrollment_declined",
    "withdraw": "enrollment_withdrawn",
    "lapse": "enrollment_lapsed",
}
# membership event -> e-mail kind to the member (templates/emails/<kind>.txt); the context is the
# membership, its community, plan and person, plus what the caller passes in `mail`.
MEMBER_NOTICES: dict[str, str] = {
    "renew": "membership_renewed",
    "recover": "membership_recovered",
    "fail_payment": "membership_payment_failed",
    "lapse": "membership_lapsed",
    "end": "membership_ended",
    "cancel": "membership_cancelled",  # with the end of access (the paid period) and undo
    "undo_cancel": "membership_cancel_undone",
    "schedule": "membership_scheduled",  # a plan kept from the instant the current one ends
    "apply": "pro_application_received",
    "approve": "pro_application_approved",
    "decline": "pro_application_declined",
    "upgrade": "membership_upgraded",
}
STAFF_NOTICES = {
    "withdraw": "staff_seat_released",
    "lapse": "staff_seat_released",
}


class TransitionRefused(ServiceError):
    """The state machine refused the event; the message says why."""


def staff_recipients(cohort: Cohort) -> list[str]:
    """Who is told about seat changes: the facilitators, or the program's contact."""
    addresses = [f.email for f in cohort.program.facilitators if f.email]
    if not addresses and cohort.program.contact_email:
        addresses = [cohort.program.contact_email]
    return addresses


def enrollment_mail_context(enrollment: Enrollment, cohort: Cohort, *, message: str = "",
                            reason: str = "") -> dict[str, object]:
    """What the applicant's e-mail templates are rendered with."""
    return {"enrollment": enrollment, "cohort": cohort, "person": enrollment.person,
            "status_url": status_url(enrollment.status_token), "message": message,
            "reason": reason}


def _audit(session: Session, *, subject: str, subject_id: int, event: str, before: str,
           after: str, actor: str, now: datetime, reason: str) -> AuditRecord:
    record = AuditRecord(
        occurred_at=now, actor=actor[:200], subject_type=subject, subject_id=subject_id,
        event=event, from_state=before, to_state=after, reason=reason,
    )
    session.add(record)
    return record


def change_enrollment(
    session: Session,
    enrollment_id: int,
    event: str,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    message: str = "",
    judged_at: datetime | None = None,
    notify: bool = True,
) -> Enrollment:
    """Apply `event` to an enrollment under lock; audit it and queue its e-mails (no commit).

    Guards judge deadlines at `judged_at` when given (a payment started in time), else `now`.
    """
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise LookupError(f"enrollment {enrollment_id} does not exist")
    # Lock order everywhere: cohort, then enrollment. The cohort lock serialises seat counting.
    cohort = lock_row(session, Cohort, enrollment.cohort_id)
    enrollment = lock_row(session, Enrollment, enrollment_id)
    machine = EnrollmentMachine(enrollment.state)
    before = enrollment.state
    try:
        after = machine.fire(event, enrollment_facts(session, cohort, enrollment,
                                                     judged_at or now))
    except Refused as refusal:
        raise TransitionRefused(" ".join(refusal.reasons)) from None
    enrollment.state = after
    enrollment.state_changed_at = now
    _audit(session, subject="enrollment", subject_id=enrollment.id, event=event, before=before,
           after=after, actor=actor, now=now, reason=reason)
    context = enrollment_mail_context(enrollment, cohort, message=message, reason=reason)
    if notify and event in APPLICANT_NOTICES:
        queue_mail(session, kind=APPLICANT_NOTICES[event], to=enrollment.person.email, now=now,
                   enrollment_id=enrollment.id, **context)
    if notify and event in STAFF_NOTICES:
        for address in staff_recipients(cohort):
            queue_mail(session, kind=STAFF_NOTICES[event], to=address, now=now,
                       enrollment_id=enrollment.id, **context)
    session.flush()
    return enrollment


def change_cohort(
    session: Session, cohort_id: int, event: str, *, actor: str, now: datetime, reason: str = ""
) -> Cohort:
    """Apply `event` to a cohort under lock; audit it and queue its e-mails (no commit)."""
    cohort = lock_row(session, Cohort, cohort_id)
    machine = CohortMachine(cohort.state)
    before = cohort.state
    try:
        after = machine.fire(event, cohort_facts(session, cohort, now))
    except Refused as refusal:
        raise TransitionRefused(" ".join(refusal.reasons)) from None
    cohort.state = after
    _audit(session, subject="cohort", subject_id=cohort.id, event=event, before=before,
           after=after, actor=actor, now=now, reason=reason)
    if event == "cancel":
        for enrollment in cohort.enrollments:
            if enrollment.state in EnrollmentMachine.final_state_ids():
                continue
            queue_mail(session, kind="cohort_cancelled", to=enrollment.person.email, now=now,
                       enrollment_id=enrollment.id, enrollment=enrollment, cohort=cohort,
                       status_url=status_url(enrollment.status_token), reason=reason)
    session.flush()
    return cohort


def change_membership(
    session: Session,
    membership_id: int,
    event: str,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    notify: bool = True,
    mail: dict[str, object] | None = None,
) -> Membership:
    """Apply `event` to a membership under lock; audit it and queue its e-mail (no commit).

    Entering a state with access stamps `started_at` (once); entering a final state stamps
    `ended_at`: the two bound the membership's access, so who was in a group at any instant is
    a question about those two columns.
    """
    membership = lock_row(session, Membership, membership_id)
    machine = MembershipMachine(membership.state)
    before = membership.state
    try:
        after = machine.fire(event, membership_facts(membership, now))
    except Refused as refusal:
        raise TransitionRefused(" ".join(refusal.reasons)) from None
    membership.state = after
    membership.state_changed_at = now
    if after in MembershipMachine.states_that("grants_access") and membership.started_at is None:
        membership.started_at = now
    if after in MembershipMachine.final_state_ids():
        membership.ended_at = now
    _audit(session, subject="membership", subject_id=membership.id, event=event, before=before,
           after=after, actor=actor, now=now, reason=reason)
    if notify and event in MEMBER_NOTICES:
        queue_mail(session, kind=MEMBER_NOTICES[event], to=membership.person.email, now=now,
                   membership=membership, community=membership.community,
                   plan=membership.plan, person=membership.person, reason=reason,
                   **(mail or {}))
    session.flush()
    return membership
