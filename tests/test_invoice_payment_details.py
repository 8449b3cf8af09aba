"""How to pay an invoice: the seller's bank details in the e-mail and on the PDF; the dev mailbox
shows what is attached."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from cohort.invoices.rendering import document_pdf
from cohort.models import Cohort, Document, OutboxMessage
from cohort.services.confirmation import confirm_cohort
from tests.factories import make_cohort, make_enrollment, offline_deposit, utc

BANK = "Account holder: Example Seller\nBank: Example Bank\nIBAN: DE00 0000 0000 0000 0000 00"
ROOT = Path(__file__).resolve().parent.parent


def _invoice_mail(app, session) -> tuple[OutboxMessage, Document]:
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = make_enrollment(session, cohort, state="registered")
    offline_deposit(session, enrollment)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x",
                   now=utc("2024-02-01T18:00:00Z"), due_days=14)
    session.commit()
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "invoice_issued")).one()
    return mail, session.scalars(select(Document).where(Document.kind == "invoice")).one()


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_invoice_email_and_pdf_give_the_sellers_bank_details(app, session):
    app.config.update(SELLER_BANK_DETAILS=BANK, PAYMENT_INSTRUCTIONS="Bank charges are yours.")

    mail, invoice = _invoice_mail(app, session)

    body = mail.body_text
    assert "quoting the invoice number" not in body
    assert "Or by bank transfer, quoting INV-2024-0001 as the reference, to:" in body
    assert "  Account holder: Example Seller\n  Bank: Example Bank\n  IBAN: DE00" in body
    assert "Bank charges are yours." in body
    assert "The invoice is attached as a PDF" in body and mail.attachments == [invoice.id]
    text = _pdf_text(document_pdf(session, invoice))
    assert "By bank transfer, quoting INV-2024-0001 as the reference, to:" in text
    assert "IBAN: DE00 0000 0000 0000 0000 00" in text and "Bank charges are yours." in text


def test_without_bank_details_the_invoice_offers_the_card_only(app, session):
    app.config.update(SELLER_BANK_DETAILS="", PAYMENT_INSTRUCTIONS="")

    mail, invoice = _invoice_mail(app, session)

    assert "bank transfer" not in mail.body_text
    assert "Pay by card from your status page" in mail.body_text
    assert "bank transfer" not in _pdf_text(document_pdf(session, invoice))


def test_the_demo_sets_clearly_marked_bank_details_and_the_readme_says_where():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()

    demo = next(line for line in makefile.splitlines()
                if "export SELLER_BANK_DETAILS ?=" in line)
    assert "DEMO ONLY" in demo and "not a real account" in demo
    assert "| `SELLER_BANK_DETAILS` |" in readme


def test_the_dev_mailbox_shows_and_opens_each_attached_pdf(app, client, session):
    app.config["MAIL_SHOW_IN_APP"] = True
    mail, invoice = _invoice_mail(app, session)
    other = make_enrollment(session, make_cohort(session), state="registered")
    offline_deposit(session, other)
    session.commit()

    inbox = client.get("/dev/mail").get_data(as_text=True)
    page = client.get(f"/dev/mail/{mail.id}").get_data(as_text=True)
    pdf = client.get(f"/dev/mail/{mail.id}/attachments/{invoice.id}.pdf")
    not_attached = client.get(f"/dev/mail/{mail.id}/attachments/{invoice.id + 1}.pdf")

    assert "<th scope=\"col\">Attachments</th>" in inbox
    assert f'href="/dev/mail/{mail.id}/attachments/{invoice.id}.pdf">INV-2024-0001.pdf</a>' in page
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and "INV-2024-0001" in _pdf_text(pdf.data)
    assert not_attached.status_code == 404


def test_the_dev_mailbox_and_its_attachments_are_closed_outside_development(app, client,
                                                                           session):
    mail, invoice = _invoice_mail(app, session)

    assert client.get(f"/dev/mail/{mail.id}/attachments/{invoice.id}.pdf").status_code == 404
