"""Append-only records: the audit trail of transitions and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cohort.models.base import Base, RowImmutable, UTCInstant, append_only


class AuditRecordImmutable(RowImmutable):
    """Audit records are written once and never changed or removed."""


class AuditRecord(Base):
    """One transition of an enrollment or a cohort: who, when, from, to, why."""

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCInstant())
    actor: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")


append_only(AuditRecord, AuditRecordImmutable, lambda r: f"audit record {r.id} is append-only:")


class OutboxMessage(Base):
    """An e-mail written in the same transaction as the change that implies it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())
    kind: Mapped[str] = mapped_column(String(60))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id"), nullable=True, index=True
    )
    # queued -> sending -> sent; back to queued after a failure; failed after too many tries
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCInstant())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    # Issued documents attached as PDFs, rendered when the message is sent.
    attachments: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
