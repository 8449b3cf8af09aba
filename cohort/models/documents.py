"""Issued documents — receipts, invoices, credit notes — immutable once issued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.models.accounts import BillingAccount
from cohort.models.base import Base, RowImmutable, UTCInstant, append_only, one_of
from cohort.money import Money

# Each kind of document and its title (on the PDF, the finance desk, the status page).
DOCUMENT_KIND_LABELS = {"receipt": "Receipt", "invoice": "Invoice", "credit_note": "Credit note"}
DOCUMENT_KINDS = tuple(DOCUMENT_KIND_LABELS)


class DocumentImmutable(RowImmutable):
    """An issued document never changes; a correction is a credit note that refers to it."""


class DocumentSeries(Base):
    """The last number used in a series; locked while issuing, so numbers have no gaps."""

    __tablename__ = "document_series"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """A receipt, invoice or credit note with snapshots of seller and buyer at issue time."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("series", "number"),
        one_of("kind", DOCUMENT_KINDS, name="kind_known"),
        Index("ix_documents_issued", "issued_at", "id"),  # the desk's order, read backwards
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    series: Mapped[str] = mapped_column(String(30))
    number: Mapped[int] = mapped_column(Integer)
    display_number: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    refers_to_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    # A receipt records one payment (its Stripe ids are that payment's, nobody else's); a
    # subscription's invoice names the payment that paid it too.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCInstant())
    due_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[BillingAccount] = relationship()
    refers_to: Mapped[Document | None] = relationship(remote_side=[id])

    @property
    def total(self) -> Money:
        """The document's total."""
        return Money(self.total_cents, self.currency)


append_only(Document, DocumentImmutable, lambda d: f"document {d.display_number} is issued and")


class DocumentFile(Base):
    """An issued document's PDF on one paper size, rendered once and kept with its SHA-256.

    Written once (by the worker when the document is issued, or by the first download) and
    never changed: the document it renders never changes either.
    """

    __tablename__ = "document_files"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    paper: Mapped[str] = mapped_column(String(10), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCInstant())


append_only(DocumentFile, DocumentImmutable,
            lambda f: f"the PDF of document {f.document_id} is stored for good and")
