"""Facilitators' reviews: one per facilitator per application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of
from cohort.models.enrollment import Enrollment
from cohort.models.staff import StaffUser
from workflows import EnrollmentMachine

# A review recommends one of the facilitators' decisions.
RECOMMENDATIONS = EnrollmentMachine.decisions


class Review(Base):
    """A facilitator's recommendation on an application, with a private note."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "reviewer_id"),
        one_of("recommendation", RECOMMENDATIONS, name="recommendation_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    recommendation: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    updated_at: Mapped[datetime] = mapped_column(UTCInstant())

    enrollment: Mapped[Enrollment] = relationship(back_populates="reviews")
    reviewer: Mapped[StaffUser] = relationship()
