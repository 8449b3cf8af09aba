"""Facilitators' reviews: one per facilitator per application, editable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import Enrollment
from cohort.models.review import RECOMMENDATIONS, Review
from cohort.services import ServiceError


class ReviewRefused(ServiceError):
    """The review cannot be saved."""

    status_code = 422


def save_review(
    session: Session, enrollment: Enrollment, reviewer_id: int, recommendation: str, note: str,
    now: datetime,
) -> Review:
    """Create or update this reviewer's review of the application."""
    if recommendation not in RECOMMENDATIONS:
        raise ReviewRefused(f"Unknown recommendation “{recommendation}”.")
    review = session.scalars(
        select(Review).where(Review.enrollment_id == enrollment.id,
                             Review.reviewer_id == reviewer_id)
    ).one_or_none()
    if review is None:
        review = Review(enrollment_id=enrollment.id, reviewer_id=reviewer_id, created_at=now,
                        recommendation=recommendation, note=note, updated_at=now)
        session.add(review)
    else:
        review.recommendation = recommendation
        review.note = note
        review.updated_at = now
    session.flush()
    return review
