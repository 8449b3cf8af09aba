"""The SQLAlchemy models; importing this package registers every table."""

from cohort.models.base import Base, RowImmutable
from cohort.models.documents import (
    DOCUMENT_KIND_LABELS,
    DOCUMENT_KINDS,
    Document,
    DocumentFile,
    DocumentImmutable,
    DocumentSeries,
)
from cohort.models.enrollment import (
    ApplicationAnswers,
    Enrollment,
    Person,
)
from cohort.models.payments import (
    LedgerEntry,
    LedgerEntryImmutable,
    Payment,
    Refund,
    Registration,
    StripeEvent,
)
from cohort.models.program import Cohort, Facilitator, Meeting, Program
from cohort.models.records import AuditRecord, AuditRecordImmutable, OutboxMessage
from cohort.models.review import RECOMMENDATIONS, Review
from cohort.models.staff import STAFF_ROLES, LoginAttempt, StaffUser
from cohort.models.worker import WorkerHeartbeat, WorkerJob

__all__ = [
    "DOCUMENT_KINDS",
    "DOCUMENT_KIND_LABELS",
    "RECOMMENDATIONS",
    "STAFF_ROLES",
    "ApplicationAnswers",
    "AuditRecord",
    "AuditRecordImmutable",
    "Base",
    "Cohort",
    "Document",
    "DocumentFile",
    "DocumentImmutable",
    "DocumentSeries",
    "Enrollment",
    "Facilitator",
    "LedgerEntry",
    "LedgerEntryImmutable",
    "LoginAttempt",
    "Meeting",
    "OutboxMessage",
    "Payment",
    "Person",
    "Program",
    "Refund",
    "Registration",
    "Review",
    "RowImmutable",
    "StaffUser",
    "StripeEvent",
    "WorkerHeartbeat",
    "WorkerJob",
]
