"""Exports for the accountant: a CSV of documents, and a ZIP of their PDFs rendered on all cores."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from cohort.schedule import local
from cohort.services.finance import DocumentRow
from cohort.spreadsheet import safe_cell

CSV_COLUMNS = ["number", "type", "date", "buyer", "organisation", "country", "tax id",
               "currency", "net", "paid", "balance", "refers to", "status", "stripe ids"]
BUYER_KEYS = ("name", "organisation", "country", "tax_id")


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def documents_csv(rows: Iterable[DocumentRow]) -> str:
    """One line per document, amounts as plain decimals (no symbols), dates in the cohort zone."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        d = row.document
        zone = d.enrollment.cohort.time_zone
        buyer = [safe_cell(d.buyer.get(key, "")) for key in BUYER_KEYS]  # people's own words
        writer.writerow([
            d.display_number, d.kind.replace("_", " "), local(d.issued_at, zone).date().isoformat(),
            *buyer, d.currency, _decimal(d.total_cents),
            _decimal(row.paid.cents), _decimal(row.balance_due.cents),
            d.refers_to.display_number if d.refers_to else "", row.status, row.stripe_ids,
        ])
    return out.getvalue()


_worker_app: Any = None


def _start_worker(config: dict[str, Any]) -> None:
    """Each process builds its own app (and database connection) once."""
    global _worker_app
    from app import create_app

    _worker_app = create_app(config)


def _render(document_id: int, paper: str) -> tuple[str, bytes]:
    from cohort.invoices.rendering import render_by_id

    with _worker_app.app_context():
        return render_by_id(document_id, paper)


def worker_config(config: Any) -> dict[str, Any]:
    """The plain settings a worker process needs to build the same app."""
    return {k: v for k, v in config.items()
            if isinstance(v, str | int | float | bool | type(None))}


def export_zip(document_ids: Sequence[int], out: Any, *, config: dict[str, Any],
               paper: str = "A4", workers: int | None = None, csv_text: str | None = None,
               progress: Callable[[int], None] | None = None) -> int:
    """Render the documents' PDFs on every core into a ZIP at `out` (path or file object).

    With `csv_text`, the ZIP also holds it as documents.csv. Returns the number of PDFs.
    """
    workers = workers or os.cpu_count() or 1
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if csv_text is not None:
            archive.writestr("documents.csv", csv_text)
        if workers == 1:
            _start_worker(config)
            results: Iterable[tuple[str, bytes]] = (_render(i, paper) for i in document_ids)
            for name, data in results:
                archive.writestr(name, data)
                count += 1
                if progress:
                    progress(1)
            return count
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                 initargs=(config,)) as pool:
            for name, data in pool.map(_render, document_ids, [paper] * len(document_ids),
                                       chunksize=8):
                archive.writestr(name, data)
                count += 1
                if progress:
                    progress(1)
    return count
