"""Confirming a cohort: previewed, then the remainder invoices go out to everyone registered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cohort.invoices.issuing import draft_document, issue_document
from cohort.mail.outbox import queue_mail, render_mail, status_url
from cohort.models import Cohort, Document, Enrollment
from cohort.money import Money
from cohort.services import ServiceError
from cohort.services.dashboard import cohort_actions
from cohort.services.ledger import balance, post
from cohort.services.transitions import change_cohort, change_enrollment
from workflows import EnrollmentMachine


class RegistrantsChanged(ServiceError):
    """Who is registered changed since the preview; nothing was issued."""


@dataclass(frozen=True)
class InvoicePreview:
    """One registrant's remainder invoice as it would be issued, and the e-mail with it."""

    enrollment: Enrollment
    invoice: Document  # a draft: not numbered, not stored
    subject: str
    body: str


@dataclass(frozen=True)
class ConfirmationPreview:
    """What confirming now would do; `problem` says why it cannot, if it cannot."""

    allowed: bool
    problem: str
    invoices: list[InvoicePreview]

    @property
    def enrollment_ids(self) -> list[int]:
        """The registrants the preview shows, the ones confirming must still find."""
        return [p.enrollment.id for p in self.invoices]


def remainder_due_at(cohort: Cohort, now: datetime, due_days: int) -> datetime:
    """Due `due_days` after issue, and never after the first meeting starts."""
    due = now + timedelta(days=due_days)
    first = cohort.first_meeting_at
    return min(due, first) if first is not None and first > now else due


def _remainder_terms(cohort: Cohort, now: datetime, due_days: int) -> dict[str, Any]:
    return {"kind": "invoice", "now": now, "due_at": remainder_due_at(cohort, now, due_days),
            "lines": [(f"{cohort.program.title} ({cohort.title})", cohort.price),
                      ("Deposit already paid", -cohort.deposit)],
            "note": (cohort.rebate_rule or {}).get("note", "")}


def _mail_context(enrollment: Enrollment, invoice: Document, owed: Money) -> dict[str, Any]:
    return {"enrollment": enrollment, "cohort": enrollment.cohort, "person": enrollment.person,
            "invoice": invoice, "balance": owed,
            "status_url": status_url(enrollment.status_token)}


def registrants(cohort: Cohort) -> list[Enrollment]:
    """The enrollments that confirming invoices: registered, oldest first."""
    return [e for e in sorted(cohort.enrollments, key=lambda e: e.id)
            if e.state in EnrollmentMachine.sources("invoice")]


def preview_confirmation(session: Session, cohort: Cohort, *, now: datetime,
                         due_days: int) -> ConfirmationPreview:
    """Each registrant's invoice and e-mail as confirming now would send them; changes nothing."""
    action = next((a for a in cohort_actions(session, cohort, now) if a.event == "confirm"), None)
    if action is None:
        allowed, problem = False, f"The cohort is {cohort.state}: only a cohort whose " \
                                  "applications are closed can be confirmed."
    else:
        allowed, problem = action.enabled, action.problem
    invoices = []
    for enrollment in registrants(cohort):
        draft = draft_document(session, enrollment.account, **_remainder_terms(cohort, now,
                                                                               due_days))
        owed = balance(session, enrollment.account) + draft.total
        subject, body = render_mail("invoice_issued", **_mail_context(enrollment, draft, owed))
        invoices.append(InvoicePreview(enrollment, draft, subject, body))
    return ConfirmationPreview(allowed, problem, invoices)


def invoice_remainder(session: Session, enrollment: Enrollment, *, now: datetime,
                      due_days: int, actor: str) -> Document:
    """Invoice price minus deposit to one registered enrollment, and e-mail it."""
    invoice = issue_document(session, enrollment.account,
                             **_remainder_terms(enrollment.cohort, now, due_days))
    post(session, enrollment.account, kind="fee", cents=invoice.total_cents, now=now,
         document_id=invoice.id, description=f"Invoice {invoice.display_number}: remainder")
    change_enrollment(session, enrollment.id, "invoice", actor=actor, now=now,
                      reason=f"invoice {invoice.display_number}")
    queue_mail(session, kind="invoice_issued", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, attachments=[invoice.id],
               **_mail_context(enrollment, invoice, balance(session, enrollment.account)))
    return invoice


def confirm_cohort(session: Session, cohort: Cohort, *, actor: str, now: datetime,
                   due_days: int, previewed: Sequence[int] | None = None) -> list[Document]:
    """Enough people: confirm the cohort and invoice the remainder to each registrant.

    With `previewed` (the registrants' ids the person confirming saw), anyone registering or
    leaving since refuses the whole confirmation, so nobody is invoiced unseen.
    """
    change_cohort(session, cohort.id, "confirm", actor=actor, now=now,
                  reason="enough people registered")
    invoiced = registrants(cohort)
    if previewed is not None and sorted(previewed) != [e.id for e in invoiced]:
        raise RegistrantsChanged(
            "Registrations changed since the preview; nothing was issued. "
            "Look at the preview again before confirming.")
    invoices = [invoice_remainder(session, e, now=now, due_days=due_days, actor=actor)
                for e in invoiced]
    session.flush()
    return invoices
