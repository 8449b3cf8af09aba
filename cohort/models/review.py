"""Facilitators' reviews: one per facilitator per application (a cohort's or a PRO plan's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.base import Base, UTCInstant, one_of
from cohort.models.community import Membership
from cohort.models.enrollment import Enrollment
from cohort.models.staff import StaffUser
from workflows import EnrollmentMachine, MembershipMachine

# A review recommends one of the facilitators' decisions on what it reviews: an enrollment in a
# cohort (accept, waitlist, decline) or an application for a plan (approve, decline).
RECOMMENDATIONS = tuple(dict.fromkeys((*EnrollmentMachine.decisions,
                                       *MembershipMachine.decisions)))


class Review(Base):
    """A facilitator's recommendation on an application, with a private note.

    It reviews exactly one thing: an enrollment, or a membership applied for (PRO).
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "reviewer_id"),
        UniqueConstraint("membership_id", "reviewer_id"),
        one_of("recommendation", RECOMMENDATIONS, name="recommendation_known"),
        CheckConstraint("(enrollment_id IS NULL) <> (membership_id IS NULL)",
                        name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True, nullable=True)
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True, nullable=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    recommendation: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    updated_at: Mapped[datetime] = mapped_column(UTCInstant())

    enrollment: Mapped[Enrollment | None] = relationship(back_populates="reviews")
    membership: Mapped[Membership | None] = relationship(back_populates="reviews")
    reviewer: Mapped[StaffUser] = relationship()
