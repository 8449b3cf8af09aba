"""Issued documents are rendered once: the worker stores each one's PDF on every paper size with
its SHA-256, and downloads, e-mail attachments and exports serve those stored bytes.

Where a test must show that nothing was rendered, rendering is replaced by a tripwire that fails
the request: no real part can tell whether a function was called.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from cohort.database import read_only
from cohort.extensions import db
from cohort.invoices import rendering, stored
from cohort.invoices.issuing import issue_document
from cohort.invoices.pdf import PAPERS
from cohort.invoices.rendering import document_pdf
from cohort.invoices.stored import Backlog, pdf_of, store_missing
from cohort.models import Document, DocumentFile, DocumentImmutable, Enrollment
from cohort.money import Money
from cohort.worker.loop import Worker
from tests.console_helpers import sign_in
from tests.factories import make_staff, set_clock, utc
from tests.smtp_server import SmtpTestServer
from tests.test_finance_exports import _invoiced

PAGE_SIZES = {"A4": (595, 842), "Letter": (612, 792)}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def page_size(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def stored_files(session) -> dict[tuple[int, str], DocumentFile]:
    session.rollback()
    return {(f.document_id, f.paper): f for f in session.scalars(select(DocumentFile))}


def documents(session) -> list[Document]:
    return list(session.scalars(select(Document).order_by(Document.id)))


@pytest.fixture
def no_rendering(monkeypatch):
    """From now on, rendering a PDF fails loudly."""
    def tripwire(*args, **kwargs):
        raise AssertionError("a stored PDF was rendered again")

    return lambda: monkeypatch.setattr(rendering, "render_document_pdf", tripwire)


def test_the_worker_stores_each_documents_pdf_once_on_every_paper(app, session):
    _invoiced(session)
    issued = documents(session)
    session.rollback()

    Worker(app, ticks=False).run_once()

    files = stored_files(session)
    assert sorted(files) == sorted((d.id, paper) for d in issued for paper in PAPERS)
    for (document_id, paper), file in files.items():
        assert file.sha256 == hashlib.sha256(file.pdf).hexdigest()
        fresh = document_pdf(session, session.get(Document, document_id), paper)
        assert text_of(file.pdf) == text_of(fresh)
        assert page_size(file.pdf) == PAGE_SIZES[paper]
    session.rollback()
    assert store_missing(session) == 0


def test_a_download_serves_the_stored_pdf_without_rendering(app, session, client, no_rendering):
    _, enrollment = _invoiced(session)
    store_missing(session)
    files = stored_files(session)
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    no_rendering()

    for paper in PAPERS:
        mine = client.get(f"/a/{enrollment.status_token}/documents/{invoice.id}.pdf?paper={paper}")
        assert mine.status_code == 200
        assert mine.data == files[(invoice.id, paper)].pdf
        assert mine.headers["ETag"] == f'"{files[(invoice.id, paper)].sha256}"'
    sign_in(client, "money@example.org")
    desk = client.get(f"/finance/documents/{invoice.id}.pdf")
    assert desk.status_code == 200 and desk.data == files[(invoice.id, "A4")].pdf


def test_the_first_download_of_a_pdf_not_stored_yet_renders_and_stores_it(
        app, session, client, no_rendering):
    _, enrollment = _invoiced(session)
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    url = f"/a/{enrollment.status_token}/documents/{invoice.id}.pdf?paper=Letter"
    assert stored_files(session) == {}

    first = client.get(url)

    assert first.status_code == 200
    [(key, file)] = stored_files(session).items()
    assert key == (invoice.id, "Letter")
    assert file.pdf == first.data and file.sha256 == hashlib.sha256(first.data).hexdigest()
    assert "INV-2024-0001" in text_of(first.data)
    no_rendering()
    assert client.get(url).data == first.data


def test_two_first_downloads_at_once_store_one_file_and_serve_it(app, session):
    _invoiced(session)
    invoice_id = session.scalars(select(Document.id).where(Document.kind == "invoice")).one()
    session.rollback()
    together = threading.Barrier(3)
    served: list[bytes] = []
    errors: list[BaseException] = []

    def download() -> None:
        try:
            with app.app_context(), read_only():  # as a GET request reads
                document = db.session.get(Document, invoice_id)
                together.wait(timeout=30)
                served.append(pdf_of(db.session, document, "A4").data)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=download) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == [] and len(served) == 3
    files = stored_files(session)
    assert list(files) == [(invoice_id, "A4")]
    assert served == [files[(invoice_id, "A4")].pdf] * 3


def test_the_export_zip_holds_the_stored_pdfs(app, session, client, no_rendering):
    _invoiced(session)
    store_missing(session)
    files = stored_files(session)
    names = {d.id: f"{d.display_number}.pdf" for d in documents(session)}
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    sign_in(client, "money@example.org")
    no_rendering()

    for paper in PAPERS:
        response = client.get(f"/finance/documents.zip?cohort=cop-pdf&paper={paper}")
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        assert sorted(archive.namelist()) == sorted([*names.values(), "documents.csv"])
        for document_id, name in names.items():
            assert archive.read(name) == files[(document_id, paper)].pdf


def test_the_worker_stores_a_documents_pdfs_before_mailing_it_as_an_attachment(app, session):
    server = SmtpTestServer().start()
    try:
        app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port)
        _invoiced(session)
        set_clock(app, "2024-02-01T18:00:01Z")  # the invoice's mail is due from its issue
        session.rollback()

        Worker(app, ticks=False).run_once()

        mail = next(m for m in server.messages if "Invoice INV-2024-0001" in m["Subject"])
    finally:
        server.stop()
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    [attachment] = mail.iter_attachments()
    assert attachment.get_filename() == "INV-2024-0001.pdf"
    assert attachment.get_content() == stored_files(session)[(invoice.id, "A4")].pdf


def test_a_stored_pdf_never_changes(app, session):
    _invoiced(session)
    store_missing(session)
    file = session.scalars(select(DocumentFile)).first()

    file.pdf = b"%PDF-forged"
    with pytest.raises(DocumentImmutable):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(DocumentFile)).first())
    with pytest.raises(DocumentImmutable):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(DocumentFile)) == 2 * len(PAPERS)


def test_a_worker_looks_again_only_at_documents_newer_than_those_it_found_stored(
        app, session, monkeypatch):
    monkeypatch.setattr(stored, "RECHECK_MARGIN", 0)  # no ids are looked at twice here
    _, enrollment = _invoiced(session)
    newest = max(d.id for d in documents(session))
    session.rollback()
    backlog = Backlog()

    assert store_missing(session, backlog=backlog) == 2 * len(PAPERS)
    assert backlog.stored_through == 0  # it found some missing: it looks again next round
    assert store_missing(session, backlog=backlog) == 0
    assert backlog.stored_through == newest

    later = issue_document(session, session.get(Enrollment, enrollment.id).account,
                           kind="receipt", now=utc("2024-02-03T00:00:00Z"),
                           lines=[("Extra", Money(100, "USD"))])
    session.commit()
    assert later.id > newest
    assert store_missing(session, backlog=backlog) == len(PAPERS)
    assert sorted(p for (d, p) in stored_files(session) if d == later.id) == sorted(PAPERS)
