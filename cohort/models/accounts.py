"""The billing owner: one account per enrollment, one per member per community."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of

if TYPE_CHECKING:
    from cohort.models.community import Community
    from cohort.models.enrollment import Enrollment, Person

# Who an account bills: an enrollment in a cohort, or a person's memberships of one community.
ACCOUNT_OWNERS = ("enrollment", "membership")


class BillingAccount(Base):
    """What ledger entries, payments, refunds and documents belong to; the balance is per account.

    An enrollment has its own account (its fee, deposit, invoice, refunds). A person's memberships
    of one community share one account: their subscription invoices, receipts and any credit from
    a plan change meet there, and it holds the Stripe customer their subscriptions are billed to.
    """

    __tablename__ = "billing_accounts"
    __table_args__ = (
        UniqueConstraint("community_id", "person_id"),
        one_of("owner", ACCOUNT_OWNERS, name="owner_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # Set for a membership account (one per person per community); None for an enrollment's.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True,
                                                           nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    # The customer's default card as shown to its owner; nothing else of a card is kept.
    card_brand: Mapped[str | None] = mapped_column(String(20), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    card_exp_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    card_exp_year: Mapped[int | None] = mapped_column(Integer, nullable=True)

    person: Mapped[Person] = relationship()
    community: Mapped[Community | None] = relationship()
    # The enrollment this account bills (owner 'enrollment'); None for a membership account.
    enrollment: Mapped[Enrollment | None] = relationship(back_populates="account",
                                                         uselist=False)
