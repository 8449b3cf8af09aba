"""How long an invoice PDF takes, against WeasyPrint alone rendering the same HTML, in one run.

    make bench          # or: .venv/bin/python bench/bench_pdf.py [--rounds N]

Builds the app on a temporary SQLite database (migrated with flask_migrate.upgrade), issues one
remainder invoice the way the tests do, then times, interleaved round by round so that machine
noise hits both alike:
  - floor:   WeasyPrint alone on the identical HTML (our template's output for this invoice,
             made once), our stylesheet and fonts (see `bench_renders`);
  - invoice: `render_document_pdf(invoice, …)`, loading, template, stylesheet, logo and all,
and prints each median and the invoice as a multiple of the floor (artifacts/bench/pdf.json).
Last, exporting 1,000 documents (`bench_export`): rendered and stored once as the worker does,
then written to a ZIP.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COHORT_ENV", "test")  # a throw-away database; no production settings
os.environ.pop("COHORT_NOW", None)

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from app import create_app  # noqa: E402
from cohort.extensions import db  # noqa: E402
from cohort.invoices.issuing import issue_document  # noqa: E402
from cohort.invoices.pdf import (  # noqa: E402
    ASSETS_DIR,
    STYLESHEET,
    render_document_html,
    render_document_pdf,
)
from cohort.models import Document, Enrollment  # noqa: E402
from cohort.services.ledger import balance, post  # noqa: E402
from tests.factories import make_cohort, make_enrollment, utc  # noqa: E402

NOW = utc("2024-02-01T18:00:00Z")
DUE = utc("2024-02-08T00:00:00Z")
EXPORT_DOCUMENTS = 1_000


def build_app(folder: Path) -> Flask:
    """The app on a fresh SQLite file, migrated to head."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "COHORT_ENV": "test", "TESTING": True})
    with app.app_context():
        upgrade()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def issue_invoice(enrollment: Enrollment) -> Document:
    """A remainder invoice with its ledger entry, as confirming a cohort issues it."""
    cohort = enrollment.cohort
    invoice = issue_document(
        db.session, enrollment.account, kind="invoice", now=NOW, due_at=DUE,
        lines=[(f"{cohort.program.title} ({cohort.title})", cohort.price),
               ("Deposit already paid", -cohort.deposit)],
        note=cohort.rebate_rule["note"])
    post(db.session, enrollment.account, kind="fee", cents=invoice.total_cents, now=NOW,
         document_id=invoice.id, description=f"Invoice {invoice.display_number}")
    return invoice


def arrange() -> tuple[Enrollment, Document]:
    """A registered enrollment (deposit paid by bank transfer) and its invoice."""
    cohort = make_cohort(db.session, state="closed")
    enrollment = make_enrollment(db.session, cohort, state="registered")
    post(db.session, enrollment.account, kind="fee", cents=cohort.deposit_cents,
         description="Deposit",
         now=NOW)
    post(db.session, enrollment.account, kind="payment", cents=-cohort.deposit_cents,
         description="Deposit paid", now=NOW)
    invoice = issue_invoice(enrollment)
    db.session.commit()
    return enrollment, invoice


def timed(action: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    start = perf_counter()
    action()
    return perf_counter() - start


def ms(seconds: float) -> str:
    """'41.2 ms'."""
    return f"{seconds * 1000:.1f} ms"


def bench_renders(enrollment: Enrollment, invoice: Document, rounds: int) -> dict[str, Any]:
    """Median invoice render vs. bare WeasyPrint on the identical HTML, CSS and fonts, interleaved.

    The floor is WeasyPrint alone: the HTML our template produced for this invoice (rendered
    once, outside the timing), our stylesheet and the `@page` size parsed once into CSS objects
    of its own, its own FontConfiguration, and WeasyPrint's default URL fetcher for the logo.
    What the invoice costs beyond it is ours: loading the document, the template, the
    restricted fetcher and the lock.
    """
    owed = balance(db.session, enrollment.account)
    paid = invoice.total - owed
    html = render_document_html(invoice, paper="A4", amount_paid=paid, balance_due=owed)
    fonts = FontConfiguration()
    sheets = [CSS(filename=str(STYLESHEET), font_config=fonts),
              CSS(string="@page { size: A4; }", font_config=fonts)]
    base_url = ASSETS_DIR.as_uri() + "/"

    def floor() -> bytes:
        return HTML(string=html, base_url=base_url).write_pdf(stylesheets=sheets,
                                                              font_config=fonts)

    def render() -> bytes:
        return render_document_pdf(invoice, paper="A4", amount_paid=paid, balance_due=owed)

    first = timed(render)  # the first render parses the stylesheet and loads the fonts
    ours, theirs = render(), floor()
    same_text = pdf_text(ours) == pdf_text(theirs)
    for _ in range(2):
        floor()
        render()
    floors, invoices = [], []
    for _ in range(rounds):
        floors.append(timed(floor))
        invoices.append(timed(render))
    base, inv = statistics.median(floors), statistics.median(invoices)
    print(f"invoice PDF: {ms(inv)} median of {rounds}; WeasyPrint alone on the identical "
          f"HTML/CSS/fonts: {ms(base)} → invoice = {inv / base:.2f}× the floor "
          f"(first render {ms(first)}; {len(ours):,} vs {len(theirs):,} bytes; "
          f"same text: {'yes' if same_text else 'NO'})")
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()], "rounds": rounds,
        "invoice_median_ms": round(inv * 1000, 2), "floor_median_ms": round(base * 1000, 2),
        "ratio_to_floor": round(inv / base, 3), "first_render_ms": round(first * 1000, 1),
        "invoice_ms": [round(x * 1000, 2) for x in invoices],
        "floor_ms": [round(x * 1000, 2) for x in floors],
        "same_text": same_text,
        "floor": "weasyprint.HTML(string=<the invoice's HTML>).write_pdf(<document.css + @page "
                 "A4, parsed once>, own FontConfiguration)",
    }


def pdf_text(data: bytes) -> str:
    """The text of a PDF's pages (to check that the floor drew the same invoice)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def bench_export(enrollment: Enrollment, render_ms: float) -> dict[str, Any]:
    """Export 1,000 documents: their PDFs are rendered once when issued (as the worker does,
    timed apart), then `export_zip` writes the stored bytes into a ZIP; compared with rendering
    each (what an export cost before PDFs were stored: one A4 render per document)."""
    from cohort.invoices.export import export_zip
    from cohort.invoices.stored import store_missing

    ids = [issue_invoice(enrollment).id for _ in range(EXPORT_DOCUMENTS)]
    db.session.commit()

    def store_all() -> None:
        while store_missing(db.session, limit=100):
            pass

    rendering = timed(store_all)
    with tempfile.TemporaryFile() as out:
        seconds = timed(lambda: export_zip(db.session, ids, out))
        size = out.seek(0, os.SEEK_END)
    per_document = seconds / len(ids)
    faster = render_ms / 1000 / per_document
    print(f"render and store {len(ids):,} documents once, at issue (the worker; A4 and Letter): "
          f"{rendering:.1f} s")
    print(f"export {len(ids):,} stored documents: {seconds:.2f} s = {ms(per_document)} "
          f"per document; ZIP {size / 1e6:.1f} MB; {faster:,.0f}× faster than rendering each "
          f"({ms(render_ms / 1000)}) (goal ≥ 20×)")
    return {"export_documents": len(ids), "export_seconds": round(seconds, 3),
            "store_at_issue_seconds": round(rendering, 1), "zip_bytes": size,
            "export_faster_than_rendering": round(faster, 1)}


def bench_download(app: Flask, enrollment: Enrollment, invoice: Document, rounds: int
                   ) -> dict[str, Any]:
    """An issued invoice downloaded by its applicant (`/a/<token>/documents/<id>.pdf`), its PDF
    stored at issue: server time in-process (Flask's test client), median and p95."""
    from cohort.invoices.stored import store_missing

    while store_missing(db.session, limit=100):
        pass
    db.session.commit()
    url = f"/a/{enrollment.status_token}/documents/{invoice.id}.pdf"
    client = app.test_client()
    expected = client.get(url).data
    times = []
    for _ in range(max(rounds, 20) + 5):
        began = perf_counter()
        response = client.get(url)
        times.append(perf_counter() - began)
        if response.status_code != 200 or response.data != expected:
            raise SystemExit(f"download failed: {response.status_code}")
    times = sorted(times[5:])
    median, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    print(f"invoice download once issued: {ms(median)} median, {ms(p95)} p95 of {len(times)} "
          f"(server time, stored PDF of {len(expected):,} bytes; goal ≤ 5 ms)")
    return {"download_median_ms": round(median * 1000, 2), "download_p95_ms": round(p95 * 1000, 2)}


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed renders of each kind")
    parser.add_argument("--no-export", action="store_true", help="skip the 1,000-document export")
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts/bench/pdf.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as folder:
        app = build_app(Path(folder))
        with app.app_context():
            enrollment, invoice = arrange()
            figures = bench_renders(enrollment, invoice, args.rounds)
            figures.update(bench_download(app, enrollment, invoice, args.rounds))
            if not args.no_export:
                figures.update(bench_export(enrollment, figures["invoice_median_ms"]))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(figures, indent=2) + "\n")
            print(f"figures written to {args.output}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
