"""A membership community: its groups, plans and prices, terms, and people's memberships."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.accounts import BillingAccount
from cohort.models.base import Base, RowImmutable, UTCInstant, append_only, one_of
from cohort.models.enrollment import Person
from cohort.money import Money
from workflows import MembershipMachine

if TYPE_CHECKING:
    from cohort.models.review import Review

BILLING_INTERVALS = ("month", "year")


class Community(Base):
    """A community that sells access to its groups through plans (e.g. the S3 community)."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tagline: Mapped[str] = mapped_column(String(300), default="")
    # The page's own words: [{"heading": str, "paragraphs": [str], "points": [str]}, …]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Questions and answers: [{"question": str, "answer": [str]}, …]
    faq: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    time_zone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    grace_days: Mapped[int] = mapped_column(Integer, default=7)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())

    groups: Mapped[list[Group]] = relationship(back_populates="community",
                                               order_by="Group.position")
    plans: Mapped[list[Plan]] = relationship(back_populates="community",
                                             order_by="Plan.position")


class Group(Base):
    """A room of the community whose content only its members see (Lobby room, a lounge)."""

    __tablename__ = "community_groups"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    community: Mapped[Community] = relationship(back_populates="groups")


class Plan(Base):
    """What a member signs up to: free or by subscription, open or by application only."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    # The page's question to the visitor ("Are you just starting out…?") and its pitch.
    question: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    benefits: Mapped[list[str]] = mapped_column(JSON, default=list)
    free: Mapped[bool] = mapped_column(default=False)
    by_application: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    community: Mapped[Community] = relationship(back_populates="plans")
    groups: Mapped[list[Group]] = relationship(secondary="plan_grants",
                                               order_by="Group.position")
    prices: Mapped[list[PlanPrice]] = relationship(back_populates="plan",
                                                   order_by="PlanPrice.id")


class PlanGrant(Base):
    """A group that a plan opens to its members."""

    __tablename__ = "plan_grants"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id"), primary_key=True)


class PlanPrice(Base):
    """One price of a plan per interval; a new price retires the old one, which members keep."""

    __tablename__ = "plan_prices"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        one_of("interval", BILLING_INTERVALS, name="interval_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    interval: Mapped[str] = mapped_column(String(5))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_plan_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    retired_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="prices")

    @property
    def amount(self) -> Money:
        """The price of one interval."""
        return Money(self.amount_cents, self.currency)


class TermsVersion(Base):
    """One version of the Member Guidelines and Terms of Confidentiality of a community."""

    __tablename__ = "terms_versions"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCInstant())


class TermsAgreementImmutable(RowImmutable):
    """An agreement to terms is a fact of its moment; it is never changed or removed."""


class TermsAgreement(Base):
    """A person agreed, explicitly, to one version of the terms at one instant."""

    __tablename__ = "terms_agreements"
    __table_args__ = (UniqueConstraint("person_id", "terms_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    terms_version_id: Mapped[int] = mapped_column(ForeignKey("terms_versions.id"))
    agreed_at: Mapped[datetime] = mapped_column(UTCInstant())

    terms_version: Mapped[TermsVersion] = relationship()


append_only(TermsAgreement, TermsAgreementImmutable,
            lambda a: f"the agreement {a.id} to the terms is recorded and")


class Membership(Base):
    """One person on one plan of a community; its state runs on `MembershipMachine`."""

    __tablename__ = "memberships"
    __table_args__ = (
        one_of("state", MembershipMachine.state_ids(), name="state_known"),
        one_of("interval", BILLING_INTERVALS, name="interval_known"),
        Index("ix_memberships_community_state", "community_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    # The price this member pays (kept until renewal after staff change it); None when free.
    price_id: Mapped[int | None] = mapped_column(ForeignKey("plan_prices.id"), nullable=True)
    interval: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # A switch chosen for the next period (monthly <-> yearly, a changed price).
    next_price_id: Mapped[int | None] = mapped_column(ForeignKey("plan_prices.id"),
                                                      nullable=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True,
                                                               nullable=True)
    period_start: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    paid_through: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    grace_until: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    # The membership this one continues (PRO ended, Lounge kept) or upgrades (Lounge -> PRO).
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"), nullable=True)
    # A PRO application's answers, as submitted.
    application: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    state_changed_at: Mapped[datetime] = mapped_column(UTCInstant())
    # Access runs from started_at (first entering a state with access) to ended_at (final).
    started_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    # The Stripe invoice whose payment set the current period: a second notice of the same
    # payment (the webhook after the return check, a replay) changes nothing.
    last_invoice_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The period end a renewal reminder was e-mailed for (a reminder goes out once per period).
    reminded_for: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)

    community: Mapped[Community] = relationship()
    person: Mapped[Person] = relationship()
    plan: Mapped[Plan] = relationship()
    account: Mapped[BillingAccount] = relationship()
    price: Mapped[PlanPrice | None] = relationship(foreign_keys=[price_id])
    next_price: Mapped[PlanPrice | None] = relationship(foreign_keys=[next_price_id])
    # The facilitators' reviews of a PRO application (one per facilitator).
    reviews: Mapped[list[Review]] = relationship(
        back_populates="membership", cascade="all, delete-orphan",
        order_by="Review.created_at")

    @property
    def grants_access(self) -> bool:
        """True while the plan's groups are open to this member."""
        return self.state in MembershipMachine.states_that("grants_access")


class HubLink(Base):
    """A single-use link to the Customer Hub, e-mailed on request; only its hash is stored."""

    __tablename__ = "hub_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    expires_at: Mapped[datetime] = mapped_column(UTCInstant())
    used_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
