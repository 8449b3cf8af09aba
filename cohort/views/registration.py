"""Registration, card payments and cancellation, from the applicant's private status link."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from cohort.clock import now
from cohort.extensions import db
from cohort.invoices.download import pdf_response
from cohort.jsonbody import MalformedBody, request_json
from cohort.models import Document, Payment
from cohort.payments.gateway import stripe_gateway
from cohort.services import ServiceError
from cohort.services.cancellation import cancel_enrollment, cancellation_quote
from cohort.services.payments import (
    amount_due,
    check_card_payment,
    payable_problem,
    start_card_payment,
)
from cohort.services.registration import (
    BillingDetails,
    registration_of,
    registration_open,
    save_registration,
)
from cohort.views.private_link import enrollment_or_404, keep_private
from forms.registration import CancelRegistrationForm, RegistrationForm
from workflows import EnrollmentMachine

bp = Blueprint("registration", __name__, url_prefix="/a")
bp.after_request(keep_private)
PURPOSES = ("deposit", "balance")


@bp.route("/<token>/register", methods=["GET", "POST"])
def register(token: str) -> Response | str | tuple[str, int]:
    """Billing details and the explicit agreements; then on to the deposit."""
    enrollment = enrollment_or_404(token)
    moment = now()
    closed = registration_open(enrollment, moment)
    if closed:
        return render_template("applicant/closed.html", enrollment=enrollment, token=token,
                               message=closed), 403
    existing = registration_of(db.session, enrollment)
    form = RegistrationForm(obj=existing, rebate_rule=enrollment.cohort.rebate_rule)
    policy = enrollment.cohort.cancellation_policy
    if not form.is_submitted():
        form.policy_version.data = str(policy["version"])
        form.country.data = existing.country if existing else enrollment.country
        if existing is None:
            form.billing_name.data = enrollment.person.name
            form.organisation.data = enrollment.answers.organisation
    if form.validate_on_submit():
        save_registration(db.session, enrollment, BillingDetails(
            billing_name=form.billing_name.data, organisation=form.organisation.data or "",
            address=form.address.data, country=form.country.data,
            tax_id=form.tax_id.data or "", policy_version=int(form.policy_version.data)),
            moment)
        db.session.commit()
        return redirect(url_for("registration.pay", token=token, purpose="deposit"))
    status = 422 if form.is_submitted() else 200
    return render_template("applicant/register.html", enrollment=enrollment,
                           cohort=enrollment.cohort, form=form, policy=policy,
                           token=token), status


@bp.get("/<token>/pay/<purpose>")
def pay(token: str, purpose: str) -> str | tuple[str, int]:
    """The card page (changes nothing): the amount is the server's; Stripe.js takes the card."""
    enrollment = enrollment_or_404(token)
    if purpose not in PURPOSES:
        abort(404)
    problem = payable_problem(db.session, enrollment, purpose, now())
    if problem:
        return render_template("applicant/closed.html", enrollment=enrollment, token=token,
                               message=problem), 409
    return render_template(
        "applicant/pay.html", enrollment=enrollment, cohort=enrollment.cohort, token=token,
        purpose=purpose, amount=amount_due(db.session, enrollment, purpose),
        stripe_js=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"])


@bp.post("/<token>/pay/<purpose>/start")
def start_payment(token: str, purpose: str) -> tuple[Response, int] | Response:
    """Create (or reuse) the PaymentIntent for exactly what is due. JSON out."""
    enrollment = enrollment_or_404(token)
    if purpose not in PURPOSES:
        abort(404)
    try:
        payment = start_card_payment(db.session, enrollment, purpose, stripe_gateway(), now())
    except ServiceError as refused:
        db.session.rollback()
        return jsonify(error=refused.message), refused.status_code
    db.session.commit()
    return jsonify(
        payment_id=payment.id, amount_cents=payment.amount_cents, currency=payment.currency,
        card_url=url_for("registration.pay_with_card", token=token, payment_id=payment.id),
        done_url=url_for("registration.payment_done", token=token, payment_id=payment.id))


@bp.post("/<token>/pay/<int:payment_id>/card")
def pay_with_card(token: str, payment_id: int) -> tuple[Response, int] | Response:
    """Stripe.js sends the card *token*; we attach it and confirm. JSON in, JSON out."""
    enrollment = enrollment_or_404(token)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.account_id != enrollment.account_id or payment.method != "card":
        abort(404)
    try:
        body = request_json(request, max_bytes=2048, max_depth=2)
    except MalformedBody as malformed:
        return jsonify(error=f"The card could not be read: {malformed.message}"), 400
    card_token = body.get("token", "") if isinstance(body, dict) else ""
    well_formed = isinstance(card_token, str) and card_token.startswith("tok_")
    if not well_formed or len(card_token) > 255:
        return jsonify(error="The card could not be read; please enter it again."), 400
    if payment.status != "pending" or payment.stripe_payment_intent_id is None:
        done = ("This payment was cancelled: please reload the page." if payment.status in
                ("canceled", "failed") else "This payment is already complete.")
        return jsonify(error=done, status=payment.status), 409
    if payment.purpose == "balance":  # a bank transfer may have come in since the page opened
        problem = payable_problem(db.session, enrollment, "balance", now())
        if not problem and amount_due(db.session, enrollment, "balance") != payment.amount:
            problem = "What is owed changed since this page was opened: please reload it."
        if problem:
            return jsonify(error=problem, status=payment.status), 409
    try:
        intent = stripe_gateway().pay_with_card_token(payment.stripe_payment_intent_id,
                                                      card_token)
    except ServiceError as refused:
        return jsonify(error=refused.message), refused.status_code
    return jsonify(status=intent.status, client_secret=intent.client_secret)


@bp.post("/<token>/pay/<int:payment_id>/done")
def payment_done(token: str, payment_id: int) -> Response:
    """After Stripe.js: ask Stripe ourselves (never trust the browser); JSON with the state."""
    enrollment = enrollment_or_404(token)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.account_id != enrollment.account_id:
        abort(404)
    status = check_card_payment(db.session, payment, stripe_gateway(), now())
    db.session.commit()
    flash("Thank you: your payment is confirmed." if status == "succeeded" else
          "Your payment is processing; this page updates once Stripe confirms it.", "success")
    return jsonify(status=status, next_url=url_for("applicant.status", token=token))


@bp.get("/<token>/documents/<int:document_id>.pdf")
def document(token: str, document_id: int) -> Response:
    """One of the applicant's own documents as a PDF (A4, or US Letter with ?paper=Letter)."""
    enrollment = enrollment_or_404(token)
    found = db.session.get(Document, document_id)
    if found is None or found.account_id != enrollment.account_id:
        abort(404, description="There is no such document.")
    return pdf_response(found, request.args.get("paper", "A4"))


@bp.route("/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str) -> Response | str | tuple[str, int]:
    """What cancelling now gives back, then cancel after an explicit confirmation."""
    enrollment = enrollment_or_404(token)
    if enrollment.state not in EnrollmentMachine.sources("cancel"):
        abort(409, description=f"There is no registration to cancel: the application is "
                               f"{enrollment.state}.")
    moment = now()
    quote = cancellation_quote(db.session, enrollment, moment)
    form = CancelRegistrationForm()
    if form.validate_on_submit():
        gateway = current_app.extensions.get("cohort.stripe")
        cancel_enrollment(db.session, enrollment, quoted_cents=int(form.quoted_cents.data),
                          gateway=gateway, actor=f"applicant:{enrollment.person.email_normalized}",
                          now=moment)
        db.session.commit()
        flash(f"Your registration is cancelled. {quote.refund} is on its way back to you."
              if quote.refund.cents else
              "Your registration is cancelled. Nothing is refunded, as the policy says.",
              "success")
        return redirect(url_for("applicant.status", token=token))
    form.quoted_cents.data = str(quote.refund.cents)
    status = 422 if form.is_submitted() else 200
    return render_template("applicant/cancel.html", enrollment=enrollment, quote=quote,
                           cohort=enrollment.cohort, form=form, token=token), status
