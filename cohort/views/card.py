"""The member's card page, opened by the signed link in every payment-failed e-mail.

GET shows what is owed and the card on file; Stripe.js saves a new card through a SetupIntent
(`/setup`, then `confirmCardSetup` in the browser), `/save` makes it the default and charges the
overdue renewal at once, `/check` charges (or reads) it again after 3-D Secure. JSON in and out
for the script's steps, with the CSRF token in a header; cancelling is an ordinary form.
"""

from __future__ import annotations

import re

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
from flask.typing import ResponseReturnValue

from cohort.clock import now
from cohort.extensions import db
from cohort.jsonbody import MalformedBody, request_json
from cohort.models import Membership
from cohort.services import ServiceError
from cohort.services.card_update import (
    card_update_url,
    membership_from_card_token,
    start_card_setup,
)
from cohort.services.dunning import overdue
from cohort.services.renewal_retry import cancel_past_due, retry_payment, save_card_and_retry
from cohort.views.private_link import keep_private
from forms.card import CancelPastDueForm

bp = Blueprint("card", __name__, url_prefix="/hub/card")
bp.after_request(keep_private)
SETUP_INTENT = re.compile(r"seti_[A-Za-z0-9_]{1,200}")


def _membership_or_404(token: str) -> Membership:
    membership = membership_from_card_token(db.session, token, now())
    if membership is None:
        abort(404, description="This card link is not valid or has expired (links work for 30 "
                               "days). Open the Customer Hub at /hub to get a new one.")
    return membership


def _actor(membership: Membership) -> str:
    return f"member:{membership.person.email_normalized}"


@bp.get("/<token>")
def page(token: str) -> str:
    """What is owed, since when, until when access stays; the card form and cancel."""
    membership = _membership_or_404(token)
    return render_template(
        "hub/card.html", membership=membership, token=token, account=membership.account,
        overdue=overdue(db.session, membership), cancel_form=CancelPastDueForm(),
        stripe_js=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"])


@bp.post("/<token>/setup")
def setup(token: str) -> ResponseReturnValue:
    """A SetupIntent for Stripe.js to save the new card into. JSON out."""
    membership = _membership_or_404(token)
    try:
        started = start_card_setup(membership)
    except ServiceError as refused:
        return jsonify(error=refused.message), refused.status_code
    return jsonify(client_secret=started.client_secret,
                   save_url=url_for("card.save", token=token),
                   check_url=url_for("card.check", token=token))


def _answer(token: str, result: object) -> Response:
    outcome = getattr(result, "outcome", "saved")
    if outcome == "paid":
        flash(str(getattr(result, "message", "")), "success")
    return jsonify(status=outcome, message=getattr(result, "message", ""),
                   client_secret=getattr(result, "client_secret", None),
                   next_url=url_for("card.page", token=token))


@bp.post("/<token>/save")
def save(token: str) -> ResponseReturnValue:
    """Make the confirmed card the default, then charge the overdue renewal. JSON in and out."""
    membership = _membership_or_404(token)
    try:
        body = request_json(request, max_bytes=1024, max_depth=1)
    except MalformedBody as malformed:
        return jsonify(error=f"The card could not be read: {malformed.message}"), 400
    setup_id = body.get("setup_intent") if isinstance(body, dict) else None
    if not isinstance(setup_id, str) or not SETUP_INTENT.fullmatch(setup_id):
        return jsonify(error="The card could not be read; please enter it again."), 400
    try:
        result = save_card_and_retry(db.session, membership.id, setup_id,
                                     actor=_actor(membership), now=now())
    except ServiceError as refused:
        db.session.rollback()
        return jsonify(error=refused.message), refused.status_code
    db.session.commit()
    return _answer(token, result)


@bp.post("/<token>/check")
def check(token: str) -> ResponseReturnValue:
    """After 3-D Secure in the browser: ask Stripe ourselves and record the payment. JSON."""
    membership = _membership_or_404(token)
    try:
        result = retry_payment(db.session, membership.id, actor=_actor(membership), now=now())
    except ServiceError as refused:
        db.session.rollback()
        return jsonify(error=refused.message), refused.status_code
    db.session.commit()
    return _answer(token, result)


@bp.post("/<token>/cancel")
def cancel(token: str) -> ResponseReturnValue:
    """End a past-due membership now (nothing more is charged)."""
    membership = _membership_or_404(token)
    form = CancelPastDueForm()
    if not form.validate_on_submit():
        return render_template(
            "hub/card.html", membership=membership, token=token, account=membership.account,
            overdue=overdue(db.session, membership), cancel_form=form,
            stripe_js=current_app.config["STRIPE_JS_URL"],
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"]), 422
    cancel_past_due(db.session, membership.id, actor=_actor(membership), now=now())
    db.session.commit()
    flash("Your membership has ended. Nothing more will be charged.", "success")
    return redirect(url_for("card.page", token=token))


@bp.app_template_global("card_link")
def card_link(membership: Membership) -> str:
    """The signed card-page link of a membership, for e-mails (30 days from now)."""
    return card_update_url(membership, now())
