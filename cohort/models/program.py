"""Programs, their cohorts and facilitators (a cohort's meetings are its sessions)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of
from cohort.money import Money
from cohort.schedule import Region, regions_from_data, regions_or_own, zone_label
from workflows import CohortMachine

if TYPE_CHECKING:
    from cohort.models.enrollment import Enrollment
    from cohort.models.sessions import GroupSession


def cohort_name_of(program_title: str, cohort_title: str) -> str:
    """How people name a cohort: its program's title and its own, e.g. "CoP — 2024 cohort"."""
    return f"{program_title} — {cohort_title}"


class Program(Base):
    """A learning program; it runs as one or more cohorts."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    tagline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[str] = mapped_column(Text, default="")
    prerequisites: Mapped[str] = mapped_column(Text, default="")
    format_notes: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCInstant())

    facilitators: Mapped[list[Facilitator]] = relationship(
        back_populates="program", order_by="Facilitator.position", cascade="all, delete-orphan"
    )
    cohorts: Mapped[list[Cohort]] = relationship(back_populates="program")


class Facilitator(Base):
    """A person who leads a program and decides on its applications."""

    __tablename__ = "facilitators"
    __table_args__ = (UniqueConstraint("program_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    bio: Mapped[str] = mapped_column(Text, default="")

    program: Mapped[Program] = relationship(back_populates="facilitators")


class Cohort(Base):
    """One run of a program: its seats, price, deadlines, policy and meetings."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("minimum_participants >= 1", name="minimum_positive"),
        CheckConstraint("minimum_participants <= capacity", name="minimum_within_capacity"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("deposit_cents >= 0 AND deposit_cents <= price_cents",
                        name="deposit_in_price"),
        one_of("state", CohortMachine.state_ids(), name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    minimum_participants: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    price_cents: Mapped[int] = mapped_column(Integer)
    deposit_cents: Mapped[int] = mapped_column(Integer)
    applications_close_at: Mapped[datetime] = mapped_column(UTCInstant())
    cancellation_deadline_at: Mapped[datetime] = mapped_column(UTCInstant())
    registration_deadline_at: Mapped[datetime] = mapped_column(UTCInstant())
    # {"version": int, "text": str, "tiers": [{"until": <deadline name>, "refund": <rule>}]}
    cancellation_policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    # {"countries": ["CA", …], "basis_points": 2500, "applies_to": "price", "note": str, …}
    rebate_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The schedule's blocks: [{"name": "Americas", "zones": [{"zone", "generic", "city"}, …]}, …]
    display_regions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list,
                                                                  server_default="[]")
    sessions_recorded: Mapped[bool] = mapped_column(default=False)
    # Participants see the cohort's recordings until this instant (None: no end set).
    recordings_until: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())

    program: Mapped[Program] = relationship(back_populates="cohorts")
    # The meetings are the cohort's sessions of kind "meeting"; `sessions` are all of its kinds.
    meetings: Mapped[list[GroupSession]] = relationship(
        primaryjoin="and_(Cohort.id == GroupSession.cohort_id, GroupSession.kind == 'meeting')",
        order_by="GroupSession.starts_at", cascade="all, delete-orphan",
    )
    sessions: Mapped[list[GroupSession]] = relationship(
        order_by="GroupSession.starts_at", viewonly=True)
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="cohort")

    @property
    def price(self) -> Money:
        """The full fee."""
        return Money(self.price_cents, self.currency)

    @property
    def deposit(self) -> Money:
        """The deposit taken at registration to hold a place."""
        return Money(self.deposit_cents, self.currency)

    @property
    def remainder(self) -> Money:
        """What is invoiced once the cohort is confirmed: price minus deposit."""
        return self.price - self.deposit

    @property
    def regions(self) -> tuple[Region, ...]:
        """The schedule's blocks; without stored ones, a block for the cohort's own zone."""
        return regions_or_own(regions_from_data(self.display_regions), self.time_zone)

    @property
    def name(self) -> str:
        """How people name the cohort (`cohort_name_of`); needs its program."""
        return cohort_name_of(self.program.title, self.title)

    @property
    def zone_label(self) -> str:
        """The cohort's zone as people name it, e.g. 'USA Pacific Time' or 'Berlin time'."""
        return zone_label(self.time_zone, regions_from_data(self.display_regions))

    @property
    def first_meeting_at(self) -> datetime | None:
        """Start of the first meeting, if any."""
        return self.meetings[0].starts_at if self.meetings else None

    @property
    def last_meeting_ends_at(self) -> datetime | None:
        """End of the last meeting, if any."""
        return self.meetings[-1].ends_at if self.meetings else None

