"""Where an issued document stands: paid, outstanding, overdue, or issued (credit notes).

Both the finance desk (its list and CSV) and a document's PDF need this; it sits here, beside
the documents, so that neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cohort.models import Document
from cohort.money import Money

STATUSES = ("paid", "outstanding", "overdue", "issued")


def document_amounts(document: Document, balance_cents: int, now: datetime) -> tuple[str, int,
                                                                                       int]:
    """(status, paid cents, balance due cents) of a document given its enrollment's balance."""
    return amounts_of(document.kind, document.total_cents, document.due_at, balance_cents, now)


def amounts_of(kind: str, total_cents: int, due_at: datetime | None, balance_cents: int,
               now: datetime) -> tuple[str, int, int]:
    """`document_amounts` from a document's kind, total and due date (for plain rows)."""
    if kind == "receipt":
        return "paid", total_cents, 0
    if kind == "credit_note":
        return "issued", 0, 0
    due = min(max(balance_cents, 0), total_cents)
    paid = total_cents - due
    if due == 0:
        return "paid", paid, 0
    overdue = due_at is not None and due_at < now
    return ("overdue" if overdue else "outstanding"), paid, due


@dataclass(frozen=True)
class DocumentRow:
    """A document with what finance needs beside it."""

    document: Document
    status: str
    paid: Money
    balance_due: Money
    stripe_ids: str
