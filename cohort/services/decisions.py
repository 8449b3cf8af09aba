"""Facilitators' decisions — accept, waitlist, decline — previewed, then applied all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cohort.mail.outbox import render_mail
from cohort.models import Cohort, Enrollment
from cohort.services import ServiceError
from cohort.services.facts import enrollment_facts
from cohort.services.transitions import (
    APPLICANT_NOTICES,
    TransitionRefused,
    change_enrollment,
    enrollment_mail_context,
)
from workflows import EnrollmentMachine

DECISIONS = EnrollmentMachine.decision_labels()
MAX_BATCH = 200


class DecisionRefused(ServiceError):
    """A decision (or one of a batch) cannot be taken; nothing was changed."""


@dataclass(frozen=True)
class DecisionPreview:
    """One applicant's decision as it would be taken, and the e-mail they would receive."""

    enrollment: Enrollment
    allowed: bool
    problem: str
    subject: str
    body: str


def decisions_allowed(enrollment: Enrollment) -> list[str]:
    """The decisions the enrollment machine has from the current state (guards apart)."""
    possible = EnrollmentMachine.events_from(enrollment.state)
    return [event for event in DECISIONS if event in possible]


def load_batch(session: Session, cohort: Cohort, ids: Sequence[int]) -> list[Enrollment]:
    """The selected enrollments of this cohort, in the order given; unknown ids are refused."""
    if not ids:
        raise DecisionRefused("Select at least one application.")
    if len(ids) > MAX_BATCH:
        raise DecisionRefused(f"Decide at most {MAX_BATCH} applications at once.")
    found = {
        e.id: e for e in session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.id.in_(ids))
            .options(selectinload(Enrollment.person), selectinload(Enrollment.answers))
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise DecisionRefused(f"Applications {', '.join(missing)} are not in this cohort.")
    return [found[i] for i in dict.fromkeys(ids)]


def preview_decisions(
    session: Session, cohort: Cohort, enrollments: Sequence[Enrollment], event: str,
    message: str, now: datetime,
) -> list[DecisionPreview]:
    """What taking `event` for each enrollment would do, in order, without changing anything.

    Accepting counts the seats the earlier ones in the batch would take.
    """
    if event not in DECISIONS:
        raise DecisionRefused(f"Unknown decision “{event}”.")
    previews = []
    extra_seats = 0
    for enrollment in enrollments:
        facts = enrollment_facts(session, cohort, enrollment, now)
        facts = replace(facts, seats_held=facts.seats_held + extra_seats)
        problem = " ".join(EnrollmentMachine(enrollment.state).explain(event, facts))
        allowed = not problem
        if allowed and event == "accept" and not enrollment.holds_seat:
            extra_seats += 1
        subject, body = render_mail(
            APPLICANT_NOTICES[event],
            **enrollment_mail_context(enrollment, cohort, message=message))
        previews.append(DecisionPreview(enrollment, allowed, problem, subject, body))
    return previews


def apply_decisions(
    session: Session, cohort: Cohort, enrollments: Sequence[Enrollment], event: str, *,
    actor: str, message: str, now: datetime,
) -> list[Enrollment]:
    """Take `event` for every enrollment, or for none: the first refusal undoes the batch."""
    if event not in DECISIONS:
        raise DecisionRefused(f"Unknown decision “{event}”.")
    changed = []
    for enrollment in enrollments:
        try:
            changed.append(change_enrollment(
                session, enrollment.id, event, actor=actor, now=now, message=message,
                reason=f"decision: {event}"))
        except TransitionRefused as refused:  # the caller rolls the whole batch back
            name = enrollment.person.name
            prefix = "Nothing was changed. " if len(enrollments) > 1 else ""
            raise DecisionRefused(f"{prefix}{name}: {refused.message}") from None
    return changed
