"""What an applicant sees on their status page: where they are, what comes next, by when."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.models import (
    AuditRecord,
    Document,
    Enrollment,
    LedgerEntry,
    Payment,
    Refund,
    Registration,
)
from cohort.money import Money
from cohort.services.ledger import balance, statement
from cohort.services.registration import registration_of
from workflows import EnrollmentMachine
from workflows.as_of import enrollment_state_at

# The names people read for each state are the machine's own state names.
STATE_LABELS = EnrollmentMachine.labels()


@dataclass(frozen=True)
class NextStep:
    """The one thing that happens next, who does it, and its deadline if any."""

    text: str
    deadline: datetime | None = None
    deadline_label: str = ""


def _owed_step(money: Account, now: datetime) -> NextStep:
    """What is still owed, and by when (the latest invoice's due date)."""
    due = max((d.due_at for d in money.documents if d.kind == "invoice" and d.due_at),
              default=None)
    if due is None:
        return NextStep(f"Pay the {money.balance} you owe.")
    if due < now:
        return NextStep(f"Pay the {money.balance} you owe: it is overdue.", due, "It was due")
    return NextStep(f"Pay the {money.balance} you owe.", due, "Pay by")


def next_step(enrollment: Enrollment, now: datetime, money: Account | None = None) -> NextStep:
    """The next step for the applicant in their current state (and what they owe, if given)."""
    if money is not None and money.balance.cents > 0 and enrollment.state in (
            EnrollmentMachine.states_that("holds_seat")):
        return _owed_step(money, now)
    cohort = enrollment.cohort
    deposit = cohort.deposit.format_short()
    remainder = cohort.remainder.format()
    match enrollment_state_at(enrollment, now).state:  # as of now, though tick has not run
        case "submitted":
            return NextStep(
                "The facilitators are reviewing applications. We will e-mail you their decision; "
                "there is nothing you need to do now.",
                cohort.applications_close_at, "Applications close")
        case "waitlisted":
            return NextStep(
                "All places are currently held. If one frees up before the registration "
                "deadline, we will offer it to you by e-mail.",
                cohort.registration_deadline_at, "Registration deadline")
        case "accepted":
            return NextStep(
                f"Complete your registration and pay the {deposit} deposit to hold your place.",
                cohort.registration_deadline_at, "Register and pay the deposit by")
        case "registered":
            return NextStep(
                f"Your place is held. Once we know we have enough people to proceed, we will "
                f"send you an invoice for the remainder ({remainder}).")
        case "invoiced":
            return NextStep(f"Pay the invoice for the remainder ({remainder}).")
        case "paid" | "participating":
            first = cohort.first_meeting_at
            if first is not None and first > now:
                return NextStep("You are all set. See you at the first meeting.", first,
                                "First meeting")
            return NextStep("You are all set. Meetings are listed below.")
        case "lapsed":
            return NextStep("Your accepted place lapsed because registration was not completed "
                            "by the deadline. Contact the facilitators if you still want to join.")
        case _:
            return NextStep("There is nothing more to do for this application.")


@dataclass(frozen=True)
class Account:
    """The money side of an enrollment, as the applicant and finance see it."""

    entries: list[LedgerEntry]
    balance: Money
    documents: list[Document]
    registration: Registration | None
    pending_payment: Payment | None
    rebate_refunded: Money | None = None  # of the rebate's credit note, once issued

    @property
    def rebate_note(self) -> Document | None:
        """The rebate's credit note, once issued."""
        return next((d for d in self.documents if d.kind == "credit_note"
                     and d.reason == "rebate"), None)


def account(session: Session, enrollment: Enrollment) -> Account:
    """Statement, balance, documents, registration and any card payment under way."""
    documents = list(session.scalars(
        select(Document).where(Document.account_id == enrollment.account_id)
        .order_by(Document.id)))
    pending = session.scalars(
        select(Payment).where(Payment.account_id == enrollment.account_id,
                              Payment.status == "pending", Payment.method == "card")
        .order_by(Payment.id.desc())).first()
    money = Account(statement(session, enrollment.account),
                    balance(session, enrollment.account), documents,
                    registration_of(session, enrollment), pending)
    note = money.rebate_note
    if note is None:
        return money
    refunded = session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0))
                              .where(Refund.document_id == note.id, Refund.status != "failed"))
    return replace(money, rebate_refunded=Money(int(refunded), note.currency))


def history(session: Session, enrollment: Enrollment) -> list[AuditRecord]:
    """The enrollment's audit trail, oldest first."""
    return list(session.scalars(
        select(AuditRecord)
        .where(AuditRecord.subject_type == "enrollment", AuditRecord.subject_id == enrollment.id)
        .order_by(AuditRecord.occurred_at, AuditRecord.id)
    ))


def enrollment_by_token(session: Session, token: str) -> Enrollment | None:
    """The enrollment behind a status link, if the token is well-formed and known."""
    if not token or len(token) > 64:
        return None
    return session.scalars(select(Enrollment).where(Enrollment.status_token == token)).one_or_none()
