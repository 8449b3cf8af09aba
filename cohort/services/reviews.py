"""Facilitators' reviews: one per facilitator per application, editable.

An application is an enrollment in a cohort or a membership applied for (PRO); a review
recommends one of the decisions its machine has for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import Enrollment, Membership
from cohort.models.review import Review
from cohort.services import ServiceError
from workflows import EnrollmentMachine, MembershipMachine


class ReviewRefused(ServiceError):
    """The review cannot be saved."""

    status_code = 422


def save_review(
    session: Session, application: Enrollment | Membership, reviewer_id: int,
    recommendation: str, note: str, now: datetime,
) -> Review:
    """Create or update this reviewer's review of the application."""
    if isinstance(application, Membership):
        allowed, column, key = MembershipMachine.decisions, Review.membership_id, "membership_id"
    else:
        allowed, column, key = EnrollmentMachine.decisions, Review.enrollment_id, "enrollment_id"
    if recommendation not in allowed:
        raise ReviewRefused(f"Unknown recommendation “{recommendation}”.")
    review = session.scalars(
        select(Review).where(column == application.id, Review.reviewer_id == reviewer_id)
    ).one_or_none()
    if review is None:
        review = Review(reviewer_id=reviewer_id, created_at=now, recommendation=recommendation,
                        note=note, updated_at=now, **{key: application.id})
        session.add(review)
    else:
        review.recommendation = recommendation
        review.note = note
        review.updated_at = now
    session.flush()
    return review
