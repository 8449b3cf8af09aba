"""Documents as PDFs: downloads, the ZIP from the desk and the CLI, and e-mail attachments."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader
from sqlalchemy import select

from cohort.models import Cohort, Document
from cohort.services.confirmation import confirm_cohort
from tests.console_helpers import sign_in
from tests.factories import make_cohort, make_staff, set_clock, utc
from tests.smtp_server import SmtpTestServer
from tests.test_finance_desk import _registered


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _invoiced(session):
    cohort = make_cohort(session, state="closed", minimum_participants=1, slug="cop-pdf")
    enrollment = _registered(session, cohort, country="AU", name="Kim Sydney")
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x",
                   now=utc("2024-02-01T18:00:00Z"), due_days=14)
    session.commit()
    return cohort, enrollment


def test_an_applicant_downloads_their_own_documents_only(client, session):
    _, enrollment = _invoiced(session)
    other = _registered(session, make_cohort(session, state="closed"), name="Someone Else")
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    foreign = session.scalars(select(Document).where(Document.account_id == other.account_id)).one()
    base = f"/a/{enrollment.status_token}/documents"

    a4 = client.get(f"{base}/{invoice.id}.pdf")
    letter = client.get(f"{base}/{invoice.id}.pdf?paper=Letter")

    assert a4.headers["Content-Type"] == "application/pdf"
    text = _text(a4.data)
    assert "INV-2024-0001" in text and "Kim Sydney" in text and "1,897.00" in text
    box = PdfReader(io.BytesIO(letter.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert client.get(f"{base}/{foreign.id}.pdf").status_code == 404
    assert client.get(f"{base}/{invoice.id}.pdf?paper=Tabloid").status_code == 400
    status_page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)
    assert f"{base}/{invoice.id}.pdf" in status_page


def test_the_same_document_renders_the_same_figures_after_later_payments(session, client):
    _, enrollment = _invoiced(session)
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    url = f"/a/{enrollment.status_token}/documents/{invoice.id}.pdf"
    before = _text(client.get(url).data)
    from cohort.money import Money
    from cohort.services.payments import record_offline_payment

    record_offline_payment(session, enrollment, amount=Money(189_700, "USD"), reference="T",
                           actor="staff:f", now=utc("2024-02-02T00:00:00Z"))
    session.commit()

    assert _text(client.get(url).data) == before


def test_finance_downloads_a_zip_of_pdfs_with_the_csv(client, session):
    _invoiced(session)
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    sign_in(client, "money@example.org")

    response = client.get("/finance/documents.zip?cohort=cop-pdf")

    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["INV-2024-0001.pdf", "R-2024-0001.pdf",
                                          "documents.csv"]
    assert "R-2024-0001" in _text(archive.read("R-2024-0001.pdf"))
    assert "INV-2024-0001" in archive.read("documents.csv").decode()


def test_the_cli_exports_a_cohorts_pdfs_with_dates(app, session, tmp_path):
    _invoiced(session)
    out = tmp_path / "export.zip"

    result = app.test_cli_runner().invoke(args=[
        "finance", "export", "--cohort", "cop-pdf", "--out", str(out)])
    january = app.test_cli_runner().invoke(args=[
        "finance", "export", "--cohort", "cop-pdf", "--out", str(tmp_path / "jan.zip"),
        "--from", "2024-01-01", "--to", "2024-01-31"])
    missing = app.test_cli_runner().invoke(args=[
        "finance", "export", "--cohort", "nope", "--out", str(tmp_path / "x.zip")])

    assert result.exit_code == 0, result.output
    assert "Wrote 2 documents" in result.output
    assert len(zipfile.ZipFile(out).namelist()) == 3
    assert january.exit_code == 0, january.output
    assert zipfile.ZipFile(tmp_path / "jan.zip").namelist() == ["documents.csv",
                                                                 "R-2024-0001.pdf"]
    assert missing.exit_code != 0 and "There is no cohort 'nope'" in missing.output


def test_the_invoice_e_mail_carries_its_pdf(app, session):
    server = SmtpTestServer().start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        _invoiced(session)
        set_clock(app, "2024-02-01T18:00:01Z")  # the invoice's mail is due from its issue
        assert app.test_cli_runner().invoke(args=["cohort", "deliver-mail"]).exit_code == 0
        invoice_mail = next(m for m in server.messages if "Invoice INV-2024-0001" in m["Subject"])
    finally:
        server.stop()

    attachments = list(invoice_mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["INV-2024-0001.pdf"]
    assert "Kim Sydney" in _text(attachments[0].get_content())
