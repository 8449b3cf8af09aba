"""Billing accounts: made with each enrollment; what one holds, for the finance pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cohort.database import insert_row
from cohort.models import BillingAccount, Document, LedgerEntry, Payment
from cohort.money import Money
from cohort.services.ledger import balance, statement


def new_enrollment_account(session: Session, *, person_id: int, currency: str,
                           now: datetime) -> int:
    """The id of a new account for a new enrollment to bill to (one per enrollment, in its
    cohort's currency)."""
    return insert_row(session, BillingAccount, {"owner": "enrollment", "person_id": person_id,
                                                "currency": currency, "created_at": now})


@dataclass(frozen=True)
class AccountStatement:
    """Everything on one account: its entries and balance, documents and payments."""

    account: BillingAccount
    entries: list[LedgerEntry]
    balance: Money
    documents: list[Document]
    payments: list[Payment]


def account_statement(session: Session, account: BillingAccount) -> AccountStatement:
    """The statement of `account`, oldest first."""
    documents = list(session.scalars(
        select(Document).where(Document.account_id == account.id)
        .options(selectinload(Document.refers_to)).order_by(Document.id)))
    payments = list(session.scalars(
        select(Payment).where(Payment.account_id == account.id)
        .options(selectinload(Payment.refunds)).order_by(Payment.id)))
    return AccountStatement(account, statement(session, account), balance(session, account),
                            documents, payments)
