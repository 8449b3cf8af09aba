"""Issue receipts, invoices and credit notes with seller and buyer snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.countries import country_name
from cohort.invoices.numbering import next_number
from cohort.models import BillingAccount, Document, Enrollment, Registration
from cohort.money import Money

SERIES_PREFIX = {"receipt": "R", "invoice": "INV", "credit_note": "CN"}


def seller_snapshot() -> dict[str, Any]:
    """The seller as configured now (frozen into every document)."""
    config = current_app.config
    return {"name": config["SELLER_NAME"], "address": config["SELLER_ADDRESS"],
            "tax_id": config["SELLER_TAX_ID"], "email": config["SELLER_EMAIL"],
            "payment_instructions": config["PAYMENT_INSTRUCTIONS"],
            "bank_details": config["SELLER_BANK_DETAILS"]}


def buyer_snapshot(session: Session, account: BillingAccount) -> dict[str, Any]:
    """The buyer: an enrollment's billing details (or as they applied), or a member's name."""
    if account.enrollment is None:
        person = account.person
        return {"name": person.name, "organisation": "", "address": "", "country": "",
                "country_name": "", "tax_id": "", "email": person.email,
                "rebate_eligible": False}
    return _enrollment_buyer(session, account.enrollment)


def _enrollment_buyer(session: Session, enrollment: Enrollment) -> dict[str, Any]:
    """The buyer as registered (billing details), or as they applied."""
    registration = session.scalars(
        select(Registration).where(Registration.enrollment_id == enrollment.id)
    ).one_or_none()
    if registration is None:
        return {"name": enrollment.person.name, "organisation": enrollment.answers.organisation,
                "address": "", "country": enrollment.country,
                "country_name": country_name(enrollment.country), "tax_id": "",
                "email": enrollment.person.email, "rebate_eligible": False}
    return {"name": registration.billing_name, "organisation": registration.organisation,
            "address": registration.address, "country": registration.country,
            "country_name": country_name(registration.country), "tax_id": registration.tax_id,
            "email": enrollment.person.email, "rebate_eligible": registration.rebate_eligible}


def document_to_correct(session: Session, account: BillingAccount) -> Document | None:
    """What a credit note refers to: the latest invoice, or the latest receipt if none."""
    issued = session.scalars(select(Document).where(
        Document.account_id == account.id, Document.kind.in_(("invoice", "receipt")))).all()
    return max(issued, key=lambda d: (d.kind == "invoice", d.id), default=None)


def draft_document(
    session: Session, account: BillingAccount, *, kind: str, lines: list[tuple[str, Money]],
    now: datetime, refers_to: Document | None = None, due_at: datetime | None = None,
    reason: str = "", note: str = "", payment_id: int | None = None,
) -> Document:
    """The document as it would be issued now, not numbered and not stored (for previews)."""
    currency = account.currency
    total = sum((amount for _, amount in lines), Money(0, currency))
    series = f"{SERIES_PREFIX[kind]}-{now.year}"
    return Document(
        kind=kind, series=series, number=0, display_number=f"{series}-…",
        account_id=account.id, refers_to_id=refers_to.id if refers_to else None,
        payment_id=payment_id,
        issued_at=now, due_at=due_at, currency=currency, total_cents=total.cents,
        lines=[{"description": text, "amount_cents": amount.cents} for text, amount in lines],
        seller=seller_snapshot(), buyer=buyer_snapshot(session, account), reason=reason,
        note=note,
    )


def issue_document(
    session: Session, account: BillingAccount, *, kind: str, lines: list[tuple[str, Money]],
    now: datetime, refers_to: Document | None = None, due_at: datetime | None = None,
    reason: str = "", note: str = "", payment_id: int | None = None,
) -> Document:
    """Number and store a document; its total is the sum of its lines.

    A receipt names the payment it records (`payment_id`), so that it carries only that
    payment's Stripe ids.
    """
    document = draft_document(session, account, kind=kind, lines=lines, now=now,
                              refers_to=refers_to, due_at=due_at, reason=reason, note=note,
                              payment_id=payment_id)
    document.number = next_number(session, document.series)
    document.display_number = f"{document.series}-{document.number:04d}"
    session.add(document)
    session.flush()
    return document
