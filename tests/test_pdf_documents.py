"""Receipts, invoices and credit notes as PDF: what they say, paper sizes, and fetching nothing."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint.text import fonts as weasyprint_fonts
from weasyprint.urls import URLFetcher

from cohort.demo import end_of_day
from cohort.demo_text import REBATE_NOTE
from cohort.invoices import pdf as pdf_module
from cohort.invoices.issuing import issue_document
from cohort.invoices.pdf import (
    ASSETS_DIR,
    AssetRefused,
    PackagedAssetFetcher,
    asset_path,
    render_document_html,
    render_document_pdf,
)
from cohort.models import Registration
from cohort.money import CurrencyMismatch, Money
from cohort.services.ledger import balance, post
from tests.factories import make_cohort, make_enrollment, offline_deposit, utc

NOW = utc("2024-02-01T05:00:00Z")  # Wednesday, January 31, 2024, 9:00 pm in Los Angeles
FIRST_MEETING = utc("2024-02-08T00:00:00Z")  # February 7, 2024, 4:00 pm PST
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pdf"
ESCAPED_NAME = '<img src="file:///etc/passwd">'
URL_IN_DATA = "http://example.org/x.png"
STYLE_IN_ADDRESS = "</p><style>@import url(http://example.org/x.css)</style>"


# -- arranging: a registered enrollment whose deposit came by bank transfer (no Stripe) -------

def _offline_registered(session, cohort, paid_cents=10_000, **answers):
    """An enrollment whose deposit came by bank transfer (no Stripe needed)."""
    enrollment = make_enrollment(session, cohort, state="registered", **answers)
    payment = offline_deposit(session, enrollment, paid_cents, when=NOW)
    session.commit()
    return enrollment, payment


def _billing(session, enrollment, *, name="Kim Nguyen", organisation="Harbour Health Co-op",
             address="Level 3, 12 Bridge Street\nSydney NSW 2000", country="AU",
             tax_id="ABN 51 824 753 556", rebate_eligible=True):
    """The billing details given at registration (what the buyer snapshot is taken from)."""
    session.add(Registration(
        enrollment_id=enrollment.id, billing_name=name, organisation=organisation,
        address=address, country=country, tax_id=tax_id, policy_version=1,
        policy_text="Cancellation policy.", policy_agreed_at=NOW, terms_agreed_at=NOW,
        rebate_eligible=rebate_eligible, created_at=NOW, updated_at=NOW))
    session.flush()


def _invoice(session, enrollment, *, due_at=FIRST_MEETING, lines=None):
    """The remainder invoice, as confirming the cohort issues it, with its ledger entry."""
    cohort = enrollment.cohort
    invoice = issue_document(
        session, enrollment.account, kind="invoice", now=NOW, due_at=due_at,
        lines=lines or [("Community of Practice (Feb 7 – Jun 26, 2024)", cohort.price),
                        ("Deposit already paid", -cohort.deposit)],
        note=cohort.rebate_rule["note"])
    post(session, enrollment.account, kind="fee", cents=invoice.total_cents, now=NOW,
         document_id=invoice.id, description=f"Invoice {invoice.display_number}")
    session.flush()
    return invoice


def _pay(session, enrollment, cents):
    post(session, enrollment.account, kind="payment", cents=-cents, description="Bank transfer",
         now=NOW)
    session.flush()


def _render(session, document, paper="A4"):
    """Render with what the ledger says now: paid against this document, and still owed."""
    owed = balance(session, document.account)
    return render_document_pdf(document, paper=paper, amount_paid=document.total - owed,
                               balance_due=owed)


def _reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed (layout breaks lines where it likes)."""
    return " ".join(" ".join(page.extract_text() for page in _reader(pdf).pages).split())


def _positions(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Where each run of text starts on page 1, in points from the bottom-left corner.

    A run is what pypdf gives at once: a line, or the words of one line across cells.
    """
    spots: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        x, y = tm[4], tm[5]
        if text.strip():
            spots.setdefault(text.strip(), (x * cm[0] + y * cm[2] + cm[4],
                                            x * cm[1] + y * cm[3] + cm[5]))

    _reader(pdf).pages[0].extract_text(visitor_text=visit)
    return spots


def _at(spots: dict[str, tuple[float, float]], start: str) -> tuple[float, float]:
    """The position of the first run that starts with `start`."""
    return next(where for text, where in spots.items() if text.startswith(start))


def _australian_invoice(session, **billing):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort, country="AU",
                                        time_zone="Australia/Sydney")
    _billing(session, enrollment, **billing)
    return enrollment, _invoice(session, enrollment)


# -- what an invoice says ----------------------------------------------------------------------

def test_an_invoice_shows_seller_buyer_lines_totals_payment_and_the_rebate_note(session):
    enrollment, invoice = _australian_invoice(session)
    _pay(session, enrollment, 50_000)

    pdf = _render(session, invoice)

    text = _text(pdf)
    for expected in [
        "Invoice", "INV-2024-0001",
        "The Sociocracy Consulting Group", "PO Box 1, Anytown, CA 90000, USA",
        "billing@example.org",
        "BILLED TO Kim Nguyen", "Harbour Health Co-op", "Level 3, 12 Bridge Street",
        "Sydney NSW 2000", "Australia", enrollment.person.email, "Tax ID: ABN 51 824 753 556",
        "Community of Practice (Feb 7 – Jun 26, 2024) $1,997.00 USD",
        "Deposit already paid -$100.00 USD",
        "Total $1,897.00 USD",
        "Amount paid $500.00 USD",
        "Balance due $1,397.00 USD",
        "Currency USD",
        "Issue date January 31, 2024",  # 05:00 UTC on Feb 1 is still Jan 31 in Los Angeles
        "Due date February 7, 2024 4:00 pm PST",
        "By card, from the status page we e-mailed you.",  # no SELLER_BANK_DETAILS here
        "Please pay $1,397.00 USD by February 7, 2024 (4:00 pm PST).",
        REBATE_NOTE,
        "Dates are given in USA Pacific Time (America/Los_Angeles).",
        "The Sociocracy Consulting Group · Invoice INV-2024-0001",
        "Page 1 of 1",
    ]:
        assert expected in text, expected
    assert "February 1, 2024" not in text
    assert "paid in full" not in text.lower()
    assert _reader(pdf).metadata.title == "Invoice INV-2024-0001"


def test_the_blocks_sit_where_an_invoice_has_them_and_never_overlap(session):
    _, invoice = _australian_invoice(session)

    spots = _positions(_render(session, invoice))

    def x(start):
        return _at(spots, start)[0]

    def above(upper, lower):
        return _at(spots, upper)[1] > _at(spots, lower)[1]

    assert x("Invoice") > 400 and x("The Sociocracy Consulting Group") < 100
    assert above("billing@example.org", "BILLED TO") and above("INV-2024-0001", "Number")
    assert x("Number") > x("BILLED TO") + 200  # the facts beside the buyer, on the right
    assert above("Tax ID: ABN 51 824 753 556", "DESCRIPTION")
    assert above("Currency", "DESCRIPTION")
    assert above("Deposit already paid", "Total") and above("Total", "Amount paid")
    assert above("Balance due", "HOW TO PAY") and above("HOW TO PAY", "REBATE")
    assert above("Dates are given", "Page 1 of 1")


def test_dates_are_read_in_the_cohorts_zone_and_midnight_is_the_end_of_the_day_before(session):
    cohort = make_cohort(session, state="closed", time_zone="Australia/Sydney")
    enrollment, _ = _offline_registered(session, cohort)
    first = _invoice(session, enrollment)
    second = _invoice(session, enrollment,
                      due_at=end_of_day(date(2024, 2, 14), "Australia/Sydney"))

    first_text, second_text = _text(_render(session, first)), _text(_render(session, second))

    assert "Issue date February 1, 2024" in first_text  # 4:00 pm AEDT
    assert "Due date February 8, 2024 11:00 am AEDT" in first_text
    assert "Due date February 14, 2024 end of the day, AEDT" in second_text
    assert "Dates are given in Australian Eastern Time (Australia/Sydney)." in second_text


def test_the_rebate_note_is_only_for_rebate_eligible_buyers(session):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort)
    _billing(session, enrollment, name="Grace Hopper", country="US", rebate_eligible=False)
    invoice = _invoice(session, enrollment)
    assert invoice.note == REBATE_NOTE  # stored on every invoice of the cohort …

    text = _text(_render(session, invoice))

    assert "Grace Hopper" in text and "United States" in text
    assert "rebate" not in text.lower()  # … but shown only to those it concerns


def test_a_paid_invoice_says_so_and_owes_nothing(session):
    enrollment, invoice = _australian_invoice(session)
    _pay(session, enrollment, 189_700)

    text = _text(_render(session, invoice))

    assert "PAID IN FULL" in text  # a stamp, set in capitals
    assert "Amount paid $1,897.00 USD" in text and "Balance due $0.00 USD" in text
    assert "Please pay" not in text


def test_a_credit_note_refers_to_the_invoice_it_corrects(session):
    enrollment, invoice = _australian_invoice(session)
    note = issue_document(session, enrollment.account, kind="credit_note", now=NOW,
                          refers_to=invoice,
                          reason="rebate",
                          lines=[("Rebate: 25 % of the fee", Money(49_925, "USD"))],
                          note=REBATE_NOTE)
    post(session, enrollment.account, kind="credit", cents=-49_925, now=NOW, document_id=note.id,
         description="Rebate")

    text = _text(render_document_pdf(note, amount_paid=Money(0, "USD"),
                                     balance_due=balance(session, enrollment.account)))

    assert "Credit note CN-2024-0001" in text
    assert "CREDITED TO Kim Nguyen" in text
    assert "This credit note refers to INV-2024-0001 (invoice of January 31, 2024)." in text
    assert "Refers to INV-2024-0001" in text and "Reason Rebate" in text
    assert "Rebate: 25 % of the fee $499.25 USD" in text
    assert "Total credited $499.25 USD" in text
    assert "Balance due $1,397.75 USD" in text
    assert "how to pay" not in text.lower()
    assert "Due date" not in text


def test_a_receipt_has_its_own_title_and_no_payment_instructions(session):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort)
    receipt = issue_document(session, enrollment.account, kind="receipt", now=NOW,
                             lines=[("Deposit, bank transfer BANK-1", cohort.deposit)])

    text = _text(render_document_pdf(receipt, amount_paid=Money(10_000, "USD"),
                                     balance_due=Money(0, "USD")))

    assert "Receipt R-2024-0001" in text and "RECEIVED FROM Ada Lovelace" in text
    assert "Analytical Engines Ltd" in text
    assert "Amount paid $100.00 USD" in text
    assert "how to pay" not in text.lower() and "Due date" not in text


def test_a_long_invoice_runs_over_pages_numbered_n_of_m(session):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort)
    invoice = _invoice(session, enrollment, lines=[
        (f"Session materials, part {n}", Money(1_000, "USD")) for n in range(1, 61)])

    pdf = _render(session, invoice)

    pages = len(_reader(pdf).pages)
    assert pages > 1
    text = _text(pdf)
    for n in range(1, pages + 1):
        assert f"Page {n} of {pages}" in text
    assert "Session materials, part 60 $10.00 USD" in text
    assert "Total $600.00 USD" in text


# -- paper ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("paper", "width", "height"), [("A4", 595.28, 841.89),
                                                        ("Letter", 612, 792)])
def test_paper_sizes(session, paper, width, height):
    _, invoice = _australian_invoice(session)

    box = _reader(_render(session, invoice, paper=paper)).pages[0].mediabox

    assert float(box.width) == pytest.approx(width, abs=1)
    assert float(box.height) == pytest.approx(height, abs=1)


def test_unknown_paper_and_foreign_currency_amounts_are_refused(session):
    _, invoice = _australian_invoice(session)

    with pytest.raises(ValueError, match="paper must be one of A4, Letter"):
        render_document_pdf(invoice, paper="A3", amount_paid=Money(0, "USD"),
                            balance_due=Money(0, "USD"))
    with pytest.raises(CurrencyMismatch):
        render_document_pdf(invoice, amount_paid=Money(0, "EUR"), balance_due=Money(0, "USD"))


# -- people's text is text; nothing but our own assets is ever fetched -----------------------

@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks for while rendering (parsed stylesheets included)."""
    asked: list[str] = []
    stray: list[str] = []
    serve = PackagedAssetFetcher.fetch

    def recording(self, url, headers=None):
        asked.append(url)
        return serve(self, url, headers)

    def any_other_fetcher(self, url, headers=None):
        stray.append(url)
        raise AssertionError(f"fetched outside the packaged-asset fetcher: {url}")

    monkeypatch.setattr(PackagedAssetFetcher, "fetch", recording)
    monkeypatch.setattr(URLFetcher, "fetch", any_other_fetcher)
    pdf_module.clear_caches()  # so that fetches made while parsing CSS count too
    yield asked, stray
    pdf_module.clear_caches()


def test_markup_and_urls_in_buyer_data_render_as_text_and_nothing_is_fetched(session, fetched):
    asked, stray = fetched
    _, invoice = _australian_invoice(
        session, name=ESCAPED_NAME, organisation=URL_IN_DATA, address=STYLE_IN_ADDRESS)

    html = render_document_html(invoice, amount_paid=Money(0, "USD"), balance_due=invoice.total)
    pdf = _render(session, invoice)

    assert ESCAPED_NAME not in html and "<style>" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    text = _text(pdf)
    assert ESCAPED_NAME in text
    assert URL_IN_DATA in text
    assert STYLE_IN_ADDRESS in text
    assert stray == []
    assert asked == [(ASSETS_DIR / "logo.svg").as_uri()]  # the logo, and nothing else
    assert all(asset_path(url).is_relative_to(ASSETS_DIR) for url in asked)


def test_without_a_logo_nothing_at_all_is_fetched(app, session, fetched):
    asked, stray = fetched
    app.config["SELLER_LOGO"] = ""
    _, invoice = _australian_invoice(session)

    text = _text(_render(session, invoice))

    assert "INV-2024-0001" in text
    assert asked == [] and stray == []


def test_a_logo_outside_the_packaged_assets_is_refused(app, session, fetched):
    asked, _ = fetched
    _, invoice = _australian_invoice(session)

    for outside in ("../../app.py", "/etc/passwd", str(ASSETS_DIR / ".." / "cohort.css")):
        app.config["SELLER_LOGO"] = outside
        with pytest.raises(ValueError, match="SELLER_LOGO must name a file inside"):
            _render(session, invoice)
    assert asked == []
    app.config["SELLER_LOGO"] = "logo.svg"  # relative to static/pdf/
    assert "INV-2024-0001" in _text(_render(session, invoice))
    assert asked == [(ASSETS_DIR / "logo.svg").as_uri()]


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.org/x.png",
    "https://example.org/x.css",
    "ftp://example.org/x.png",
    "data:image/svg+xml,<svg/>",
    f"{ASSETS_DIR.as_uri()}/../../app.py",
    f"{ASSETS_DIR.as_uri()}/%2e%2e/%2e%2e/app.py",
    f"{ASSETS_DIR.as_uri()}/logo.svg?x=1",
    f"file://example.org{ASSETS_DIR}/logo.svg",
    f"{ASSETS_DIR.as_uri()}/missing.svg",
    ASSETS_DIR.as_uri(),
    "logo.svg",
    "file:logo.svg",
])
def test_the_fetcher_refuses_everything_but_packaged_files(url):
    with pytest.raises(AssetRefused):
        PackagedAssetFetcher().fetch(url)


def test_the_fetcher_serves_packaged_files_and_no_symlink_out_of_them(tmp_path):
    logo = PackagedAssetFetcher().fetch((ASSETS_DIR / "logo.svg").as_uri())
    assert logo.content_type == "image/svg+xml"
    assert logo.read().startswith(b"<svg")

    root = tmp_path / "assets"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "inside.css").write_text("p {}")
    (root / "escape.css").symlink_to(secret)

    fetcher = PackagedAssetFetcher(root)
    assert fetcher.fetch((root / "inside.css").as_uri()).read() == b"p {}"
    with pytest.raises(AssetRefused):
        fetcher.fetch((root / "escape.css").as_uri())


# -- reuse between renders --------------------------------------------------------------------

def test_fonts_and_stylesheets_are_set_up_once_and_reused(session, monkeypatch):
    _, invoice = _australian_invoice(session)
    _render(session, invoice)  # warm
    built: list[str] = []
    font_init = weasyprint_fonts.FontConfiguration.__init__
    css = pdf_module.CSS

    def counting_fonts(self):
        built.append("fonts")
        font_init(self)

    def counting_css(*args, **kwargs):
        built.append("css")
        return css(*args, **kwargs)

    monkeypatch.setattr(weasyprint_fonts.FontConfiguration, "__init__", counting_fonts)
    monkeypatch.setattr(pdf_module, "CSS", counting_css)

    _render(session, invoice)
    _render(session, invoice, paper="A4")

    assert built == []
    assert pdf_module.stylesheets("A4") is pdf_module.stylesheets("A4")
    assert pdf_module.stylesheets("A4")[0] is pdf_module.stylesheets("Letter")[0]


# -- a picture for people ---------------------------------------------------------------------

def test_page_one_as_png_for_people_to_look_at(session, database_url):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    enrollment, invoice = _australian_invoice(session)
    _pay(session, enrollment, 50_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    stem = ARTIFACTS / f"invoice-{backend}"
    stem.with_suffix(".pdf").write_bytes(_render(session, invoice))

    subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    str(stem.with_suffix(".pdf")), str(stem)], check=True, timeout=60)

    png = stem.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == pytest.approx(496, abs=2) and height == pytest.approx(702, abs=2)  # A4, 60 dpi
    assert len(png) > 15_000  # a page with content, not a blank one
