"""The SQLAlchemy models; importing this package registers every table."""

from cohort.models.base import Base
from cohort.models.enrollment import (
    SEAT_HOLDING_STATES,
    ApplicationAnswers,
    Enrollment,
    Person,
)
from cohort.models.program import Cohort, Facilitator, Meeting, Program
from cohort.models.records import AuditRecord, AuditRecordImmutable, OutboxMessage
from cohort.models.review import RECOMMENDATIONS, Review
from cohort.models.staff import STAFF_ROLES, LoginAttempt, StaffUser

__all__ = [
    "RECOMMENDATIONS",
    "SEAT_HOLDING_STATES",
    "STAFF_ROLES",
    "ApplicationAnswers",
    "AuditRecord",
    "AuditRecordImmutable",
    "Base",
    "Cohort",
    "Enrollment",
    "Facilitator",
    "LoginAttempt",
    "Meeting",
    "OutboxMessage",
    "Person",
    "Program",
    "Review",
    "StaffUser",
]
