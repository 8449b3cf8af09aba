"""The SQLAlchemy models; importing this package registers every table."""

from cohort.models.accounts import ACCOUNT_OWNERS, BillingAccount
from cohort.models.base import Base, RowImmutable
from cohort.models.community import (
    BILLING_INTERVALS,
    Community,
    Group,
    HubLink,
    Membership,
    Plan,
    PlanGrant,
    PlanPrice,
    TermsAgreement,
    TermsAgreementImmutable,
    TermsVersion,
)
from cohort.models.documents import (
    DOCUMENT_KIND_LABELS,
    DOCUMENT_KINDS,
    Document,
    DocumentFile,
    DocumentImmutable,
    DocumentSeries,
)
from cohort.models.dunning import ATTEMPT_OUTCOMES, NOTICE_KINDS, DunningNotice, PaymentAttempt
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
from cohort.models.program import Cohort, Facilitator, Program
from cohort.models.records import AuditRecord, AuditRecordImmutable, OutboxMessage
from cohort.models.review import RECOMMENDATIONS, Review
from cohort.models.sessions import (
    MAX_QUESTION,
    SESSION_KINDS,
    CalendarFeed,
    GroupSession,
    RecordingOpen,
    ReminderOptOut,
    SessionQuestion,
    SessionRecording,
    SessionReminder,
)
from cohort.models.staff import STAFF_ROLES, LoginAttempt, StaffUser
from cohort.models.state_counts import EnrollmentStateChange, EnrollmentStateCount
from cohort.models.worker import WorkerHeartbeat, WorkerJob

__all__ = [
    "ACCOUNT_OWNERS",
    "ATTEMPT_OUTCOMES",
    "BILLING_INTERVALS",
    "DOCUMENT_KINDS",
    "DOCUMENT_KIND_LABELS",
    "MAX_QUESTION",
    "NOTICE_KINDS",
    "RECOMMENDATIONS",
    "SESSION_KINDS",
    "STAFF_ROLES",
    "ApplicationAnswers",
    "AuditRecord",
    "AuditRecordImmutable",
    "Base",
    "BillingAccount",
    "CalendarFeed",
    "Cohort",
    "Community",
    "Document",
    "DocumentFile",
    "DocumentImmutable",
    "DocumentSeries",
    "DunningNotice",
    "Enrollment",
    "EnrollmentStateChange",
    "EnrollmentStateCount",
    "Facilitator",
    "Group",
    "GroupSession",
    "HubLink",
    "LedgerEntry",
    "LedgerEntryImmutable",
    "LoginAttempt",
    "Membership",
    "OutboxMessage",
    "Payment",
    "PaymentAttempt",
    "Person",
    "Plan",
    "PlanGrant",
    "PlanPrice",
    "Program",
    "RecordingOpen",
    "Refund",
    "Registration",
    "ReminderOptOut",
    "Review",
    "RowImmutable",
    "SessionQuestion",
    "SessionRecording",
    "SessionReminder",
    "StaffUser",
    "StripeEvent",
    "TermsAgreement",
    "TermsAgreementImmutable",
    "TermsVersion",
    "WorkerHeartbeat",
    "WorkerJob",
]
