"""Confirming a cohort: the remainder invoices go out to everyone registered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cohort.invoices.issuing import issue_document
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import Cohort, Document, Enrollment
from cohort.services.ledger import balance, post
from cohort.services.transitions import change_cohort, change_enrollment
from workflows import EnrollmentMachine


def remainder_due_at(cohort: Cohort, now: datetime, due_days: int) -> datetime:
    """Due `due_days` after issue, and never after the first meeting starts."""
    due = now + timedelta(days=due_days)
    first = cohort.first_meeting_at
    return min(due, first) if first is not None and first > now else due


def invoice_remainder(session: Session, enrollment: Enrollment, *, now: datetime,
                      due_days: int, actor: str) -> Document:
    """Invoice price minus deposit to one registered enrollment, and e-mail it."""
    cohort = enrollment.cohort
    invoice = issue_document(
        session, enrollment, kind="invoice", now=now,
        due_at=remainder_due_at(cohort, now, due_days),
        lines=[(f"{cohort.program.title} ({cohort.title})", cohort.price),
               ("Deposit already paid", -cohort.deposit)],
        note=(cohort.rebate_rule or {}).get("note", ""))
    post(session, enrollment, kind="fee", cents=invoice.total_cents, now=now,
         document_id=invoice.id, description=f"Invoice {invoice.display_number}: remainder")
    change_enrollment(session, enrollment.id, "invoice", actor=actor, now=now,
                      reason=f"invoice {invoice.display_number}")
    queue_mail(session, kind="invoice_issued", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, attachments=[invoice.id],
               enrollment=enrollment, cohort=cohort,
               person=enrollment.person, invoice=invoice, balance=balance(session, enrollment),
               status_url=status_url(enrollment.status_token))
    return invoice


def confirm_cohort(session: Session, cohort: Cohort, *, actor: str, now: datetime,
                   due_days: int) -> list[Document]:
    """Enough people: confirm the cohort and invoice the remainder to each registrant."""
    change_cohort(session, cohort.id, "confirm", actor=actor, now=now,
                  reason="enough people registered")
    invoices = [invoice_remainder(session, e, now=now, due_days=due_days, actor=actor)
                for e in sorted(cohort.enrollments, key=lambda e: e.id)
                if e.state in EnrollmentMachine.sources("invoice")]
    session.flush()
    return invoices
