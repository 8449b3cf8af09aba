"""The finance desk: documents with their status, balances, payments, reconciliation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from cohort.invoices.issuing import document_to_correct, issue_document
from cohort.invoices.owners import AccountOwner, account_owner
from cohort.invoices.status import DocumentRow, document_amounts
from cohort.models import (
    BillingAccount,
    Cohort,
    Document,
    Enrollment,
    LedgerEntry,
    Payment,
    Refund,
)
from cohort.money import Money
from cohort.payments.gateway import PaymentProviderError, StripeGateway
from cohort.services import ServiceError
from cohort.services.finance_desk import KIND_LABELS as KIND_LABELS  # the desk's, re-exported
from cohort.services.finance_desk import (
    NEWEST_FIRST,
    DocumentFilter,
    Shape,
    filtered,
    shape_and_values,
    totals,
)
from cohort.services.finance_desk import STATUSES as STATUSES
from cohort.services.ledger import balance, post
from cohort.services.locking import lock_row


def owner_loads(account: Any) -> list[Any]:
    """Loader options that bring what `account_owner` reads, for rows reached by `account`."""
    path = selectinload(account)
    return [path.selectinload(BillingAccount.person),
            path.selectinload(BillingAccount.community),
            path.selectinload(BillingAccount.enrollment).selectinload(Enrollment.cohort)
            .selectinload(Cohort.program)]


_ACCOUNT_OWNER = owner_loads(Document.account)


@dataclass
class DocumentReport:
    """All the rows, and totals per currency and kind over them."""

    rows: list[DocumentRow]
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    count: int = 0


def _balances(session: Session, account_ids: set[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.account_id.in_(account_ids))
        .group_by(LedgerEntry.account_id)
    ).all()
    return {account_id: int(total) for account_id, total in rows}


def _stripe_ids(session: Session, documents: list[Document]) -> dict[int, list[str]]:
    """Each document's own Stripe ids: its payment's PaymentIntent (and, on a subscription's
    invoice, Stripe's invoice), the refunds made with it."""
    ids: dict[int, list[str]] = defaultdict(list)
    payment_ids = {d.payment_id for d in documents if d.payment_id is not None}
    if payment_ids:
        paid = {pid: (intent, invoice) for pid, intent, invoice in session.execute(
            select(Payment.id, Payment.stripe_payment_intent_id, Payment.stripe_invoice_id)
            .where(Payment.id.in_(payment_ids)))}
        for document in documents:
            intent, invoice = paid.get(document.payment_id, (None, None))
            if intent:
                ids[document.id].append(intent)
            if invoice and document.kind == "invoice":
                ids[document.id].append(invoice)
    document_ids = {d.id for d in documents}
    if document_ids:
        for document_id, refund_id in session.execute(
                select(Refund.document_id, Refund.stripe_refund_id)
                .where(Refund.document_id.in_(document_ids),
                       Refund.stripe_refund_id.is_not(None))
                .order_by(Refund.id)):
            ids[document_id].append(refund_id)
    return ids


@lru_cache(maxsize=128)
def _all_documents(shape: Shape) -> Select[tuple[Document]]:
    """Every document a filter of this shape matches, newest first, with what names its owner
    and the document it corrects."""
    return (filtered(select(Document), shape)
            .options(*_ACCOUNT_OWNER, selectinload(Document.refers_to))
            .order_by(*NEWEST_FIRST))


def document_report(session: Session, wanted: DocumentFilter, now: datetime) -> DocumentReport:
    """Every document matching the filter, newest first, with totals (the exports; the desk
    reads one page of plain rows with `desk_page`).

    A fixed number of queries; filters, counts and totals are worked out in SQL.
    """
    shape, values = shape_and_values(wanted, now)
    found, count = totals(session, shape, values)
    documents = list(session.scalars(_all_documents(shape), values))
    balances = _balances(session, {d.account_id for d in documents})
    stripe_ids = _stripe_ids(session, documents)
    report = DocumentReport(rows=[], totals=found, count=count)
    for document in documents:
        status, paid, due = document_amounts(document, balances.get(document.account_id, 0),
                                             now)
        report.rows.append(DocumentRow(document, status, Money(paid, document.currency),
                                       Money(due, document.currency),
                                       " ".join(stripe_ids.get(document.id, []))))
    return report


@dataclass(frozen=True)
class OutstandingRow:
    """An account that owes money (or that we owe: a negative balance), and by when."""

    account: BillingAccount
    owner: AccountOwner
    balance: Money
    due_at: datetime | None


@dataclass(frozen=True)
class BalancesReport:
    """Who owes us, whom we owe (credit balances), and bank refunds still to be sent."""

    owing: list[OutstandingRow]
    in_credit: list[OutstandingRow]
    to_send_back: list[Refund]


def outstanding_balances(session: Session) -> list[OutstandingRow]:
    """Every account whose balance is not zero, earliest due first (credits last)."""
    totals = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.account_id)
        .having(func.sum(LedgerEntry.amount_cents) != 0)
    ).all()
    if not totals:
        return []
    amounts = {account_id: int(total) for account_id, total in totals}
    accounts = session.scalars(
        select(BillingAccount).where(BillingAccount.id.in_(amounts))
        .options(selectinload(BillingAccount.person), selectinload(BillingAccount.community),
                 selectinload(BillingAccount.enrollment).selectinload(Enrollment.cohort)
                 .selectinload(Cohort.program))).all()
    due = dict(session.execute(
        select(Document.account_id, func.max(Document.due_at))
        .where(Document.account_id.in_(amounts), Document.kind == "invoice")
        .group_by(Document.account_id)).all())
    rows = [OutstandingRow(a, account_owner(a), Money(amounts[a.id], a.currency), due.get(a.id))
            for a in accounts]
    far = datetime.max.replace(tzinfo=None)
    return sorted(rows, key=lambda r: (r.balance.cents < 0, r.due_at.replace(tzinfo=None)
                                       if r.due_at else far))


def balances_report(session: Session) -> BalancesReport:
    """The balances page: amounts owed, credit balances, bank refunds not yet sent."""
    rows = outstanding_balances(session)
    to_send = session.scalars(
        select(Refund).where(Refund.status == "manual", Refund.completed_at.is_(None))
        .options(*owner_loads(Refund.account))
        .order_by(Refund.created_at, Refund.id)).all()
    return BalancesReport(owing=[r for r in rows if r.balance.cents > 0],
                          in_credit=[r for r in rows if r.balance.cents < 0],
                          to_send_back=list(to_send))


def payments_and_refunds(session: Session) -> tuple[list[Payment], list[Refund]]:
    """All payments and refunds, newest first."""
    payments = session.scalars(select(Payment).options(*owner_loads(Payment.account))
                               .order_by(Payment.id.desc())).all()
    refunds = session.scalars(select(Refund).options(*owner_loads(Refund.account))
                              .order_by(Refund.id.desc())).all()
    return list(payments), list(refunds)


@dataclass(frozen=True)
class Reconciliation:
    """One card payment as we record it and as Stripe reports it."""

    payment: Payment
    stripe_status: str
    stripe_amount: int | None
    differences: tuple[str, ...]


def reconcile(session: Session, gateway: StripeGateway) -> list[Reconciliation]:
    """Each card payment's Stripe id and state, and what differs from our record."""
    rows = []
    for payment in session.scalars(
            select(Payment).where(Payment.method == "card",
                                  Payment.stripe_payment_intent_id.is_not(None))
            .order_by(Payment.id)):
        try:
            intent = gateway.retrieve_intent(payment.stripe_payment_intent_id or "")
        except PaymentProviderError:
            rows.append(Reconciliation(payment, "unreachable", None,
                                       ("Stripe did not answer for this payment",)))
            continue
        differences = []
        if intent.amount != payment.amount_cents or intent.currency != payment.currency:
            differences.append(f"amount: ours {payment.amount}, Stripe "
                               f"{Money(intent.amount, intent.currency)}")
        ours_paid = payment.status == "succeeded"
        if ours_paid != (intent.status == "succeeded"):
            differences.append(f"state: ours {payment.status}, Stripe {intent.status}")
        rows.append(Reconciliation(payment, intent.status, intent.amount, tuple(differences)))
    return rows


class CreditRefused(ServiceError):
    """A manual credit note that cannot be issued."""

    status_code = 422


def issue_manual_credit(session: Session, enrollment: Enrollment, *, amount: Money, reason: str,
                        actor: str, now: datetime) -> Document:
    """A credit note for a correction, referring to the latest invoice or receipt."""
    enrollment = lock_row(session, Enrollment, enrollment.id)
    if amount.currency != enrollment.cohort.currency or amount.cents <= 0:
        raise CreditRefused(f"Give a positive amount in {enrollment.cohort.currency}.")
    owed = balance(session,
                   enrollment.account)  # read under the lock: a payment may just have come in
    if owed.cents <= 0:
        raise CreditRefused("Nothing is owed, so there is nothing to credit: a credit note "
                            "can only reduce what is owed.")
    if amount.cents > owed.cents:
        raise CreditRefused(f"At most {owed} can be credited: that is what is owed.")
    refers_to = document_to_correct(session, enrollment.account)
    if refers_to is None:
        raise CreditRefused("There is no invoice or receipt to correct.")
    note = issue_document(session, enrollment.account, kind="credit_note", now=now,
                          refers_to=refers_to,
                          reason="correction", lines=[(f"Correction: {reason}", amount)],
                          note=f"Issued by {actor}")
    post(session, enrollment.account, kind="credit", cents=-amount.cents, now=now,
         document_id=note.id,
         description=f"Credit note {note.display_number}: {reason}")
    return note
