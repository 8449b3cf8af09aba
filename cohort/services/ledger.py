"""An enrollment's account: entries written once, balance always derived."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.models import Enrollment, LedgerEntry
from cohort.money import Money


def post(session: Session, enrollment: Enrollment, *, kind: str, cents: int, description: str,
         now: datetime, payment_id: int | None = None, refund_id: int | None = None,
         document_id: int | None = None) -> LedgerEntry:
    """Write one ledger entry (positive: owed by the participant; negative: settled)."""
    entry = LedgerEntry(enrollment_id=enrollment.id, occurred_at=now, kind=kind,
                        amount_cents=cents, currency=enrollment.cohort.currency,
                        description=description[:300], payment_id=payment_id,
                        refund_id=refund_id, document_id=document_id)
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, enrollment: Enrollment) -> Money:
    """What the participant owes now (negative: we owe them)."""
    cents = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.enrollment_id == enrollment.id)
    )
    return Money(int(cents), enrollment.cohort.currency)


def statement(session: Session, enrollment: Enrollment) -> list[LedgerEntry]:
    """Every entry, oldest first."""
    return list(session.scalars(
        select(LedgerEntry).where(LedgerEntry.enrollment_id == enrollment.id)
        .order_by(LedgerEntry.occurred_at, LedgerEntry.id)
    ))


def net_paid(session: Session, enrollment: Enrollment) -> Money:
    """Payments received minus refunds given back."""
    cents = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.enrollment_id == enrollment.id,
               LedgerEntry.kind.in_(("payment", "refund")))
    )
    return Money(-int(cents), enrollment.cohort.currency)
