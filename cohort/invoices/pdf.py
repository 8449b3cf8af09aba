"""Receipts, invoices and credit notes as PDF (WeasyPrint), fetching nothing but our own assets.

Everything that comes from people (the buyer's name, address, …) goes into the HTML as text
through Jinja's autoescaping, so it can never become markup, a stylesheet or a URL. As a second
wall, the only URL fetcher WeasyPrint gets refuses every URL that is not a file under
`static/pdf/` of this service: no network, no other file, whatever the HTML or CSS asks for.

The font configuration is made once per process and the parsed stylesheets are cached, so a
render only pays for laying out the document itself. Rendering holds a lock: the shared
Pango/Fontconfig objects are not documented as thread-safe, and the work is CPU-bound under the
GIL anyway. Call `render_document_pdf` inside an application context.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from cohort.invoices.owners import account_owner
from cohort.models import DOCUMENT_KIND_LABELS, Document
from cohort.money import CurrencyMismatch, Money
from cohort.schedule import clock_time, local

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO: seven lines per PDF in the worker's and the web
# servers' logs, which say nothing an operator needs. Its warnings (a missing asset) still show.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

#: The service's own packaged PDF assets; nothing outside this folder is ever read while rendering.
ASSETS_DIR = (Path(__file__).resolve().parents[2] / "static" / "pdf").resolve()
STYLESHEET = ASSETS_DIR / "document.css"
#: The default of the SELLER_LOGO setting (a path, absolute or relative to ASSETS_DIR; empty: none).
DEFAULT_LOGO = ASSETS_DIR / "logo.svg"

TITLES = DOCUMENT_KIND_LABELS
BUYER_HEADINGS = {"receipt": "Received from", "invoice": "Billed to", "credit_note": "Credited to"}
#: Paper name → CSS `@page` size keyword.
PAPERS = {"A4": "A4", "Letter": "letter"}

#: One font configuration for every render in this process (building one scans the system fonts).
FONT_CONFIG = FontConfiguration()
_RENDER_LOCK = threading.Lock()


class AssetRefused(ValueError):
    """A URL that is not one of the service's packaged PDF assets."""


def asset_path(url: str, root: Path = ASSETS_DIR) -> Path:
    """The file a `file:` URL names, if it is a regular file inside `root`; else AssetRefused.

    Only `file:` URLs without host, query or credentials qualify, and the path is resolved
    (`..`, symbolic links) before it is compared with the folder, so nothing can climb out of it.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost") or parts.query:
        raise AssetRefused(f"not a packaged PDF asset: {url[:200]!r}")
    path = Path(url2pathname(parts.path))
    if not path.is_absolute():
        raise AssetRefused(f"not a packaged PDF asset: {url[:200]!r}")
    path = path.resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise AssetRefused(f"not a packaged PDF asset: {url[:200]!r}")
    return path


class PackagedAssetFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, reduced to reading files under ASSETS_DIR; it never opens a socket.

    A refused URL raises AssetRefused, which WeasyPrint logs and renders without (an image or a
    stylesheet left out), so a stray reference cannot stop an invoice from being produced.
    """

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve a packaged asset, or refuse."""
        try:
            path = asset_path(url, self.root)
        except AssetRefused:
            logger.warning("PDF rendering refused to fetch %.200r", url)
            raise
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  {"Content-Type": mime_type})


FETCHER = PackagedAssetFetcher()


@lru_cache(maxsize=1)
def _document_stylesheet() -> CSS:
    return CSS(filename=str(STYLESHEET), font_config=FONT_CONFIG, url_fetcher=FETCHER)


@lru_cache(maxsize=len(PAPERS))
def stylesheets(paper: str) -> tuple[CSS, ...]:
    """The parsed stylesheets for `paper` (parsed once per process, then reused)."""
    page = CSS(string=f"@page {{ size: {PAPERS[paper]}; }}", font_config=FONT_CONFIG,
               url_fetcher=FETCHER, base_url=ASSETS_DIR.as_uri() + "/")
    return (_document_stylesheet(), page)


def clear_caches() -> None:
    """Forget the parsed stylesheets (e.g. after editing static/pdf/document.css)."""
    _document_stylesheet.cache_clear()
    stylesheets.cache_clear()


def logo_url() -> str | None:
    """The `file:` URL of the configured logo (SELLER_LOGO), or None for no logo.

    The logo must be a file under static/pdf/: the renderer fetches nothing else.
    """
    setting = current_app.config.get("SELLER_LOGO", DEFAULT_LOGO)
    if not setting:
        return None
    path = (ASSETS_DIR / setting).resolve()
    if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
        raise ValueError(f"SELLER_LOGO must name a file inside {ASSETS_DIR}, not {setting!r}")
    return path.as_uri()


@dataclass(frozen=True)
class LocalDate:
    """A date (and, unless it is the end of the day, a time) as the cohort reads it."""

    date: str
    time: str


def local_date(instant: datetime, zone: str) -> LocalDate:
    """'February 7, 2024' and '4:00 pm PST'; local midnight is the end of the day before."""
    wall = local(instant, zone)
    if wall.time() == time(0, 0):
        day = (wall - timedelta(seconds=1)).date()
        return LocalDate(f"{day:%B} {day.day}, {day.year}", f"end of the day, {wall.tzname()}")
    return LocalDate(f"{wall:%B} {wall.day}, {wall.year}",
                     f"{clock_time(wall.time())} {wall.tzname()}")


def document_context(document: Document, *, paper: str, amount_paid: Money,
                     balance_due: Money) -> dict[str, Any]:
    """What the template shows; amounts are formatted here, dates in the owner's time zone
    (the cohort's, or the community's)."""
    if document.kind not in TITLES:
        raise ValueError(f"unknown document kind {document.kind!r}")
    for amount in (amount_paid, balance_due):
        if amount.currency != document.currency:
            raise CurrencyMismatch(f"{amount.currency} on a {document.currency} document")
    owner = account_owner(document.account)
    zone = owner.time_zone
    refers_to = document.refers_to
    buyer = document.buyer or {}
    return {
        "document": document,
        "title": TITLES[document.kind],
        "buyer_heading": BUYER_HEADINGS[document.kind],
        "paper": paper,
        "seller": document.seller or {},
        "buyer": buyer,
        "logo_url": logo_url(),
        "issued": local_date(document.issued_at, zone),
        "due": local_date(document.due_at, zone) if document.due_at else None,
        "zone": f"{owner.zone_label} ({zone})",
        "refers_to": refers_to,
        "refers_to_title": TITLES.get(refers_to.kind, "") if refers_to else "",
        "refers_to_issued": local_date(refers_to.issued_at, zone) if refers_to else None,
        "reason": document.reason.replace("_", " ").capitalize() if document.reason else "",
        "lines": [(line["description"], Money(int(line["amount_cents"]), document.currency))
                  for line in document.lines],
        "total": document.total,
        "amount_paid": amount_paid,
        "balance_due": balance_due,
        "rebate_note": document.note if buyer.get("rebate_eligible") else "",
    }


def render_document_html(document: Document, *, paper: str = "A4", amount_paid: Money,
                         balance_due: Money) -> str:
    """The HTML that becomes the PDF (templates/pdf/document.html, autoescaped)."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    return render_template("pdf/document.html", **document_context(
        document, paper=paper, amount_paid=amount_paid, balance_due=balance_due))


def render_document_pdf(document: Document, *, paper: str = "A4", amount_paid: Money,
                        balance_due: Money) -> bytes:
    """A receipt, invoice or credit note as PDF bytes, on A4 or US Letter paper.

    `amount_paid` and `balance_due` are what the caller's ledger says at rendering time (the
    document itself never changes); both must be in the document's currency.
    """
    source = render_document_html(document, paper=paper, amount_paid=amount_paid,
                                  balance_due=balance_due)
    html = HTML(string=source, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=FETCHER)
    with _RENDER_LOCK:
        return html.write_pdf(stylesheets=list(stylesheets(paper)), font_config=FONT_CONFIG)
