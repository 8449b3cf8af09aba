"""A billing account's ledger: entries written once, balance always derived.

An enrollment's money is its account's money (`enrollment.account`); a person's memberships of a
community share one account. Amounts are in the account's currency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.models import BillingAccount, LedgerEntry
from cohort.money import Money


def post(session: Session, account: BillingAccount, *, kind: str, cents: int, description: str,
         now: datetime, payment_id: int | None = None, refund_id: int | None = None,
         document_id: int | None = None) -> LedgerEntry:
    """Write one ledger entry (positive: owed by the account's owner; negative: settled)."""
    entry = LedgerEntry(account_id=account.id, occurred_at=now, kind=kind,
                        amount_cents=cents, currency=account.currency,
                        description=description[:300], payment_id=payment_id,
                        refund_id=refund_id, document_id=document_id)
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, account: BillingAccount) -> Money:
    """What the owner owes now (negative: we owe them)."""
    cents = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id == account.id)
    )
    return Money(int(cents), account.currency)


def statement(session: Session, account: BillingAccount) -> list[LedgerEntry]:
    """Every entry, oldest first."""
    return list(session.scalars(
        select(LedgerEntry).where(LedgerEntry.account_id == account.id)
        .order_by(LedgerEntry.occurred_at, LedgerEntry.id)
    ))


def net_paid(session: Session, account: BillingAccount) -> Money:
    """Payments received minus refunds given back."""
    cents = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id == account.id,
               LedgerEntry.kind.in_(("payment", "refund")))
    )
    return Money(-int(cents), account.currency)
