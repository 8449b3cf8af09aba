"""People, their enrollments in cohorts, and the answers they gave when applying."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.accounts import BillingAccount
from cohort.models.base import Base, UTCInstant, one_of
from cohort.models.program import Cohort
from workflows import EnrollmentMachine

if TYPE_CHECKING:
    from cohort.models.review import Review


class Person(Base):
    """Someone who has applied; known by a normalised e-mail address."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCInstant())

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="person")


class Enrollment(Base):
    """One person's way through one cohort, from application to completion or exit."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "person_id"),
        # The review queue's order: a page is read from the index, not by sorting the cohort.
        Index("ix_enrollments_queue", "cohort_id", "submitted_at", "id"),
        one_of("state", EnrollmentMachine.state_ids(), name="state_known"),
        # Counts per state of a cohort (every staff page) from the index alone.
        Index("ix_enrollments_cohort_state", "cohort_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # What this enrollment's money belongs to: its own account, made with it.
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    status_token: Mapped[str] = mapped_column(String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    submitted_at: Mapped[datetime] = mapped_column(UTCInstant())
    state_changed_at: Mapped[datetime] = mapped_column(UTCInstant())

    cohort: Mapped[Cohort] = relationship(back_populates="enrollments")
    person: Mapped[Person] = relationship(back_populates="enrollments")
    account: Mapped[BillingAccount] = relationship(back_populates="enrollment")
    answers: Mapped[ApplicationAnswers] = relationship(
        back_populates="enrollment", uselist=False, cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan",
        order_by="Review.created_at",
    )

    @property
    def holds_seat(self) -> bool:
        """True while this enrollment counts against the cohort's capacity."""
        return self.state in EnrollmentMachine.states_that("holds_seat")


class ApplicationAnswers(Base):
    """What the applicant told the facilitators, as submitted."""

    __tablename__ = "application_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    role_title: Mapped[str] = mapped_column(String(120), default="")
    organisation_size: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(20))
    sociocracy_stage: Mapped[str] = mapped_column(String(20))
    prerequisite: Mapped[str] = mapped_column(String(20))
    prerequisite_details: Mapped[str] = mapped_column(Text, default="")
    hopes_to_bring: Mapped[str] = mapped_column(Text)
    hopes_to_gain: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer, default=1)

    enrollment: Mapped[Enrollment] = relationship(back_populates="answers")
