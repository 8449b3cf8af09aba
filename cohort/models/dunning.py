"""What happened when a membership's renewal was charged, and which dunning e-mails went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of
from cohort.models.community import Membership

# paid: Stripe holds the money; failed: the bank said no (decline_message says why);
# authenticating: the bank asked for 3-D Secure and the member has not finished it yet.
ATTEMPT_OUTCOMES = ("paid", "failed", "authenticating")
# reminder: halfway through grace; card_expiring: the saved card expires before the next renewal.
# (The failure e-mail and the final notice go out with the transitions fail_payment and lapse.)
NOTICE_KINDS = ("reminder", "card_expiring")


class PaymentAttempt(Base):
    """One charge of a membership's renewal invoice: by Stripe, a retry by the member or staff."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        one_of("outcome", ATTEMPT_OUTCOMES, name="outcome_known"),
        Index("ix_payment_attempts_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCInstant())
    actor: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(14))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    decline_message: Mapped[str] = mapped_column(String(500), default="")

    membership: Mapped[Membership] = relationship()


class DunningNotice(Base):
    """A dunning e-mail queued for one occasion (a grace period, a card's expiry); once each."""

    __tablename__ = "dunning_notices"
    __table_args__ = (
        UniqueConstraint("membership_id", "kind", "occasion"),
        one_of("kind", NOTICE_KINDS, name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    kind: Mapped[str] = mapped_column(String(14))
    # What the notice is about: the grace period's end, or the card and renewal it warns of.
    occasion: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(UTCInstant())
