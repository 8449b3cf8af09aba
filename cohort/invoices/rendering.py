"""A document's PDF with the amounts as they stood when it was issued (so it never changes)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.invoices.pdf import render_document_pdf
from cohort.invoices.status import document_amounts
from cohort.models import Document, LedgerEntry
from cohort.money import Money


def balance_at_issue(session: Session, document: Document) -> int:
    """The account's balance right after the document was issued, in cents."""
    return int(session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id == document.account_id,
               LedgerEntry.occurred_at <= document.issued_at)
    ))


def document_pdf(session: Session, document: Document, paper: str = "A4") -> bytes:
    """The PDF of an issued document: the same bytes' content every time it is rendered."""
    _, paid, due = document_amounts(document, balance_at_issue(session, document),
                                    document.issued_at)
    return render_document_pdf(document, paper=paper,
                               amount_paid=Money(paid, document.currency),
                               balance_due=Money(due, document.currency))


def pdf_filename(document: Document) -> str:
    """e.g. INV-2024-0001.pdf."""
    return f"{document.display_number}.pdf"
