"""Money records: registrations, payments, refunds, the ledger, Stripe events seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.accounts import BillingAccount
from cohort.models.base import Base, RowImmutable, UTCInstant, append_only
from cohort.models.enrollment import Enrollment
from cohort.money import Money


class Registration(Base):
    """The accepted applicant's billing details and their explicit agreements."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    billing_name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    tax_id: Mapped[str] = mapped_column(String(50), default="")
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_text: Mapped[str] = mapped_column(Text)
    policy_agreed_at: Mapped[datetime] = mapped_column(UTCInstant())
    terms_agreed_at: Mapped[datetime] = mapped_column(UTCInstant())
    rebate_eligible: Mapped[bool] = mapped_column(default=False)
    rebate_issued_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    updated_at: Mapped[datetime] = mapped_column(UTCInstant())

    enrollment: Mapped[Enrollment] = relationship()


class Payment(Base):
    """Money received (or being received): a card payment through Stripe, or a bank transfer."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("purpose IN ('deposit', 'balance', 'subscription')",
                        name="purpose_known"),
        CheckConstraint("method IN ('card', 'bank_transfer')", name="method_known"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'canceled')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True,
                                                                 nullable=True)
    stripe_client_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A subscription payment: the Stripe invoice it paid (one payment per invoice), and the
    # membership it paid for (an account may hold several memberships of one community).
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True,
                                                          nullable=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), index=True,
                                                      nullable=True)
    reference: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)

    account: Mapped[BillingAccount] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment",
                                                 order_by="Refund.id")

    @property
    def amount(self) -> Money:
        """The amount paid."""
        return Money(self.amount_cents, self.currency)

    @property
    def refunded_cents(self) -> int:
        """What has been (or is being) given back from this payment."""
        return sum(r.amount_cents for r in self.refunds if r.status != "failed")

    @property
    def refundable_cents(self) -> int:
        """What can still be refunded from this payment (our cap; Stripe's fake does not cap)."""
        if self.status != "succeeded":
            return 0
        return self.amount_cents - self.refunded_cents


class Refund(Base):
    """Money given back from one payment, executed through the provider (or by hand)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'manual')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    completed_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    # The document this refund is part of: the credit note of a cancellation or a rebate, or the
    # receipt of an overpaid payment. None for a late deposit (no document is issued).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True,
                                                    nullable=True)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    account: Mapped[BillingAccount] = relationship()


class LedgerEntryImmutable(RowImmutable):
    """A ledger entry is never changed or removed; a correction is a new entry."""


class LedgerEntry(Base):
    """One movement on a billing account; the balance is their sum, never stored.

    Positive amounts are owed by the participant (fees), negative ones settle it (payments,
    credits). A refund is positive: money given back is no longer paid.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('fee', 'payment', 'refund', 'credit')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCInstant())
    kind: Mapped[str] = mapped_column(String(10))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(300))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), nullable=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)


append_only(LedgerEntry, LedgerEntryImmutable, lambda e: f"ledger entry {e.id} is posted and")


class StripeEvent(Base):
    """A webhook event already handled: its id makes a replay do nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCInstant())
