"""Applying for PRO: a membership of the community's by-application plan, reviewed by facilitators.

An application is a membership of the PRO plan that starts `pending` and is sent to review by the
machine's `apply` event (through `change_membership`, so it is audited and the applicant is
e-mailed); its answers are kept as submitted in `Membership.application`. The same rules as the
cohort application hold: the answer never tells whether the address is known, a known address
never changes the stored person, and a second application while one is open stores nothing and
tells the address's owner by e-mail instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.addresses import address_key, mailing_address
from cohort.database import insert_new
from cohort.mail.outbox import queue_mail
from cohort.models import BillingAccount, Community, Membership, OutboxMessage, Person, Plan
from cohort.services import ServiceError
from cohort.services.locking import lock_row
from cohort.services.memberships import agree_terms, current_terms, membership_account
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

# A second application from a known address tells its owner by e-mail, at most this often.
REPEAT_NOTICE_INTERVAL = timedelta(hours=1)
REPEAT_KIND = "pro_application_repeated"


class NoApplicationPlan(ServiceError):
    """The community has no plan one applies for."""

    status_code = 404


@dataclass(frozen=True)
class ProApplicationData:
    """What the applicant submits, already shape-checked by the form."""

    full_name: str
    email: str
    time_zone: str
    s3_training: str
    training_details: str
    exception_reason: str
    s3_experience: str
    helping_others: str
    helping_details: str
    giving: str


@dataclass(frozen=True)
class ProSubmission:
    """What the applicant is told: the same whether or not the address was known.

    `address` is what they typed (never the stored spelling of someone else's address);
    `membership` is None when nothing new was stored.
    """

    address: str
    membership: Membership | None


def application_plan(session: Session, community: Community) -> Plan:
    """The community's plan that is by application only (PRO)."""
    plan = session.scalars(select(Plan).where(Plan.community_id == community.id,
                                              Plan.by_application.is_(True))
                           .order_by(Plan.position)).first()
    if plan is None:
        raise NoApplicationPlan("This community has no plan to apply for.")
    return plan


def open_application(session: Session, plan: Plan, person_id: int) -> Membership | None:
    """The person's membership of `plan` that has not reached a final state, if any."""
    return session.scalars(select(Membership).where(
        Membership.plan_id == plan.id, Membership.person_id == person_id,
        Membership.state.not_in(MembershipMachine.final_state_ids()))).first()


def _tell_owner_of_repeat(session: Session, existing: Membership, now: datetime) -> None:
    """E-mail the stored address that someone applied again with it (at most hourly)."""
    recent = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == REPEAT_KIND, OutboxMessage.to_address == existing.person.email,
        OutboxMessage.created_at > now - REPEAT_NOTICE_INTERVAL).limit(1))
    if recent is None:
        queue_mail(session, kind=REPEAT_KIND, to=existing.person.email, now=now,
                   membership=existing, community=existing.community, plan=existing.plan,
                   person=existing.person, attempted_at=now,
                   state_label=MembershipMachine.labels()[existing.state])


def submit_pro_application(session: Session, community: Community, data: ProApplicationData,
                           now: datetime) -> ProSubmission:
    """Take a PRO application; the answer never tells whether the address was known.

    A new address makes a person (who has, by sending the form, agreed to the current terms).
    A known address never changes the stored person: the application is theirs, the e-mails go
    to the stored address, and their agreement is only noted in the answers (they agree for
    themselves before a group opens to them). An open application or membership of the plan
    for that person stores nothing and e-mails its owner instead.
    """
    plan = application_plan(session, community)
    typed = mailing_address(data.email)
    key = address_key(typed)
    inserted = insert_new(session, Person, ["email_normalized"], {
        "email": typed, "email_normalized": key, "name": data.full_name, "created_at": now})
    is_new = inserted is not None
    person = (session.get_one(Person, inserted.id) if inserted is not None else
              session.scalars(select(Person).where(Person.email_normalized == key)).one())
    # Lock the person's account with the community: two applications at once wait in turn,
    # so the second one finds the first.
    account = lock_row(session, BillingAccount,
                       membership_account(session, community, person, now).id)
    existing = open_application(session, plan, person.id)
    if existing is not None:
        _tell_owner_of_repeat(session, existing, now)
        session.flush()
        return ProSubmission(address=typed, membership=None)
    terms = current_terms(session, community)
    answers = {**asdict(data), "terms_version": terms.version if terms else None,
               "submitted_at": now.isoformat()}
    membership = Membership(
        community_id=community.id, person_id=person.id, plan_id=plan.id, account_id=account.id,
        state=MembershipMachine.initial_state.id, application=answers,
        time_zone=data.time_zone, created_at=now, state_changed_at=now)
    session.add(membership)
    if is_new and terms is not None:
        agree_terms(session, person, terms, now)
    session.flush()
    change_membership(session, membership.id, "apply", actor=f"applicant:{key}", now=now,
                      reason="PRO application submitted")
    return ProSubmission(address=typed, membership=membership)
