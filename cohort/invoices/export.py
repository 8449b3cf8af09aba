"""Exports for the accountant: a CSV of documents, and a ZIP of their stored PDFs."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.database import read_only
from cohort.invoices.owners import account_owner
from cohort.invoices.rendering import pdf_filename
from cohort.invoices.status import DocumentRow
from cohort.invoices.stored import render_and_store
from cohort.models import Document, DocumentFile
from cohort.schedule import local
from cohort.spreadsheet import safe_cell

CSV_COLUMNS = ["number", "type", "date", "buyer", "organisation", "country", "tax id",
               "currency", "net", "paid", "balance", "refers to", "status", "stripe ids",
               "billed for", "account"]
BUYER_KEYS = ("name", "organisation", "country", "tax_id")
#: Documents read (with their PDFs) per query while writing a ZIP.
EXPORT_BATCH = 100


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def documents_csv(rows: Iterable[DocumentRow]) -> str:
    """One line per document, amounts as plain decimals (no symbols), dates in the owner's zone.

    "billed for" names the cohort or the community; "account" is the billing account's id.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        d = row.document
        owner = account_owner(d.account)
        zone = owner.time_zone
        buyer = [safe_cell(d.buyer.get(key, "")) for key in BUYER_KEYS]  # people's own words
        writer.writerow([
            d.display_number, d.kind.replace("_", " "), local(d.issued_at, zone).date().isoformat(),
            *buyer, d.currency, _decimal(d.total_cents),
            _decimal(row.paid.cents), _decimal(row.balance_due.cents),
            d.refers_to.display_number if d.refers_to else "", row.status, row.stripe_ids,
            safe_cell(owner.name), d.account_id,
        ])
    return out.getvalue()


def export_zip(session: Session, document_ids: Sequence[int], out: Any, *, paper: str = "A4",
               csv_text: str | None = None,
               progress: Callable[[int], None] | None = None) -> int:
    """The documents' stored PDFs in a ZIP at `out` (a path or file object); how many.

    The PDFs were rendered once when issued, so this only writes them out (stored as they are:
    a PDF is compressed already); one still missing is rendered and stored first. With
    `csv_text`, the ZIP also holds it as documents.csv.
    """
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive, read_only():
        if csv_text is not None:
            archive.writestr("documents.csv", csv_text, compress_type=zipfile.ZIP_DEFLATED)
        for start in range(0, len(document_ids), EXPORT_BATCH):
            batch = list(document_ids[start:start + EXPORT_BATCH])
            documents = {d.id: d for d in session.scalars(
                select(Document).where(Document.id.in_(batch)))}
            stored = {document_id: pdf for document_id, pdf in session.execute(
                select(DocumentFile.document_id, DocumentFile.pdf)
                .where(DocumentFile.document_id.in_(batch), DocumentFile.paper == paper))}
            for document_id in batch:
                document = documents[document_id]
                data = stored.pop(document_id, None)
                if data is None:
                    data = render_and_store(session, document, paper).data
                archive.writestr(pdf_filename(document), data)
                count += 1
                if progress:
                    progress(1)
    return count
