"""The finance desk at /finance/: documents, balances, payments, reconciliation, exports."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.extensions import db
from cohort.invoices.download import pdf_response
from cohort.invoices.export import documents_csv, export_zip
from cohort.invoices.pdf import PAPERS
from cohort.models import BillingAccount, Document, Enrollment
from cohort.money import Money
from cohort.payments.gateway import stripe_gateway
from cohort.services.accounts import account_statement
from cohort.services.finance import (
    KIND_LABELS,
    CreditRefused,
    DocumentFilter,
    balances_report,
    document_report,
    issue_manual_credit,
    payments_and_refunds,
)
from cohort.services.finance_desk import desk_page, filter_choices
from cohort.services.membership_finance import plan_summaries, reconciliation_report
from cohort.services.payments import record_offline_payment
from cohort.services.status import account
from forms.finance import CreditNoteForm, DocumentFilterForm, OfflinePaymentForm
from forms.numbers import parse_cents

bp = Blueprint("finance", __name__, url_prefix="/finance")


def _filter_form() -> tuple[DocumentFilterForm, DocumentFilter]:
    cohorts, communities = filter_choices(db.session)
    form = DocumentFilterForm(request.args, cohorts=cohorts, communities=communities)
    form.validate()
    zone = ZoneInfo(current_app.config["SELLER_TIME_ZONE"])  # days are the seller's days
    start = form.issued_from.data if not form.issued_from.errors else None
    end = form.issued_to.data if not form.issued_to.errors else None
    return form, DocumentFilter(
        cohort=form.cohort.data or "", community=form.community.data or "",
        kind=form.kind.data or "", status=form.status.data or "",
        issued_from=datetime.combine(start, time(0), tzinfo=zone) if start else None,
        issued_to=datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone) if end else None,
        country=form.country.data or "")


def _actor() -> str:
    return f"staff:{current_user.email}"


@bp.get("/")
@role_required("finance")
def desk() -> str:
    """Documents filtered by cohort, type, status, dates and country, with totals."""
    form, wanted = _filter_form()
    page = request.args.get("page", "1")
    report = desk_page(db.session, wanted, now(),
                       int(page) if page.isdigit() and len(page) < 7 else 1)
    return render_template("finance/desk.html", form=form, report=report, kinds=KIND_LABELS,
                           query=request.query_string.decode(),
                           seller_zone=current_app.config["SELLER_TIME_ZONE"])


@bp.get("/documents.csv")
@role_required("finance")
def export_csv() -> Response:
    """The filtered documents as the accountant's CSV."""
    _, wanted = _filter_form()
    response = make_response(documents_csv(document_report(db.session, wanted, now()).rows))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="documents.csv"'
    return response


@bp.get("/documents.zip")
@role_required("finance")
def export_zip_download() -> Response:
    """The filtered documents' stored PDFs (and the CSV) in one ZIP."""
    _, wanted = _filter_form()
    rows = document_report(db.session, wanted, now()).rows
    buffer = io.BytesIO()
    export_zip(db.session, [r.document.id for r in rows], buffer, csv_text=documents_csv(rows),
               paper=request.args.get("paper", "A4") if request.args.get("paper") in PAPERS
               else "A4")
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = 'attachment; filename="documents.zip"'
    return response


@bp.get("/documents/<int:document_id>.pdf")
@role_required("finance")
def document_pdf_download(document_id: int) -> Response:
    """Any document as a PDF."""
    found = db.session.get(Document, document_id)
    if found is None:
        abort(404, description="There is no such document.")
    return pdf_response(found, request.args.get("paper", "A4"))


@bp.get("/balances")
@role_required("finance")
def balances() -> str:
    """Who owes what, by when; whom we owe; bank refunds still to send."""
    return render_template("finance/balances.html", report=balances_report(db.session),
                           now=now())


@bp.get("/payments")
@role_required("finance")
def payments() -> str:
    """Every payment and refund with its Stripe id and state."""
    paid, refunded = payments_and_refunds(db.session)
    return render_template("finance/payments.html", payments=paid, refunds=refunded)


@bp.get("/reconciliation")
@role_required("finance")
def reconciliation() -> str:
    """Our card payments, subscriptions and subscription invoices against Stripe's records."""
    report = reconciliation_report(db.session, stripe_gateway())
    return render_template("finance/reconciliation.html", rows=report.payments,
                           subscriptions=report.subscriptions, differing=report.differing)


@bp.get("/plans")
@role_required("finance")
def plans() -> str:
    """Per plan: members now, monthly recurring revenue, cancellations this month."""
    return render_template("finance/plans.html", summaries=plan_summaries(db.session, now()))


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404, description="There is no such enrollment.")
    return enrollment


def _account_page(enrollment: Enrollment, *, payment_form: OfflinePaymentForm | None = None,
                  credit_form: CreditNoteForm | None = None) -> str:
    """The account page, with a form that came back with errors where there is one."""
    return render_template("finance/account.html", enrollment=enrollment,
                           money=account(db.session, enrollment),
                           payment_form=payment_form if payment_form is not None
                           else OfflinePaymentForm(prefix="pay"),
                           credit_form=credit_form if credit_form is not None
                           else CreditNoteForm(prefix="credit"))


@bp.get("/accounts/<int:account_id>")
@role_required("finance")
def account_page(account_id: int) -> Response | str:
    """Any billing account: an enrollment's goes to its page; a membership account's statement."""
    found = db.session.get(BillingAccount, account_id)
    if found is None:
        abort(404, description="There is no such account.")
    if found.enrollment is not None:
        return redirect(url_for("finance.enrollment_account", enrollment_id=found.enrollment.id))
    return render_template("finance/member_account.html",
                           money=account_statement(db.session, found))


@bp.get("/enrollments/<int:enrollment_id>")
@role_required("finance")
def enrollment_account(enrollment_id: int) -> str:
    """One participant's account: statement, payments, refunds, documents, actions."""
    return _account_page(_enrollment_or_404(enrollment_id))


@bp.post("/enrollments/<int:enrollment_id>/payments")
@role_required("finance")
def record_payment(enrollment_id: int) -> Response | tuple[str, int]:
    """Record a bank transfer with its reference."""
    enrollment = _enrollment_or_404(enrollment_id)
    form = OfflinePaymentForm(prefix="pay")
    if not form.validate_on_submit():
        return _account_page(enrollment, payment_form=form), 422
    amount = Money(parse_cents(form.amount.data), enrollment.cohort.currency)
    payment = record_offline_payment(db.session, enrollment, amount=amount,
                                     reference=form.reference.data.strip(), actor=_actor(),
                                     now=now(), gateway=current_app.extensions.get("cohort.stripe"))
    db.session.commit()
    flash(f"Recorded {amount} ({form.reference.data.strip()}).", "success")
    if payment.refunded_cents:
        flash(f"That is {Money(payment.refunded_cents, payment.currency)} more than was owed: "
              "send it back by bank transfer (listed under Balances, “to send back”).", "warning")
    return redirect(url_for("finance.enrollment_account", enrollment_id=enrollment.id))


@bp.post("/enrollments/<int:enrollment_id>/credit-notes")
@role_required("finance")
def credit_note(enrollment_id: int) -> Response | tuple[str, int]:
    """Issue a manual credit note with a reason."""
    enrollment = _enrollment_or_404(enrollment_id)
    form = CreditNoteForm(prefix="credit")
    if not form.validate_on_submit():
        return _account_page(enrollment, credit_form=form), 422
    amount = Money(parse_cents(form.credit_amount.data), enrollment.cohort.currency)
    try:
        note = issue_manual_credit(db.session, enrollment, amount=amount,
                                   reason=form.reason.data.strip(), actor=_actor(), now=now())
    except CreditRefused as refused:
        db.session.rollback()
        form.credit_amount.errors = [refused.message]
        return _account_page(enrollment, credit_form=form), 422
    db.session.commit()
    flash(f"Credit note {note.display_number} issued for {amount}.", "success")
    current_app.logger.info("credit note %s by %s", note.display_number, _actor())
    return redirect(url_for("finance.enrollment_account", enrollment_id=enrollment.id))
