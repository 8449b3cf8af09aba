"""POST /stripe/webhook: only signed events count, each once."""

from __future__ import annotations

import stripe
from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError

from cohort.clock import now
from cohort.extensions import csrf, db
from cohort.services import ServiceError
from cohort.services.stripe_events import handle_event, parse_event

bp = Blueprint("stripe_webhook", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt
def webhook() -> tuple[Response, int]:
    """Verify the signature, store the event id with its effect, answer Stripe."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        return jsonify(error="webhooks are not configured"), 400
    payload = request.get_data()
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), request.headers.get("Stripe-Signature", ""), secret,
            stripe.Webhook.DEFAULT_TOLERANCE)
    except (ValueError, stripe.SignatureVerificationError):
        return jsonify(error="invalid signature"), 400
    try:
        event = parse_event(payload)  # signed is not the same as well-formed
    except ServiceError as malformed:
        return jsonify(error=malformed.message), malformed.status_code
    try:
        outcome = handle_event(db.session, event,
                               current_app.extensions.get("cohort.stripe"), now())
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        return jsonify(error="temporarily unavailable; retry"), 503  # Stripe retries 5xx
    except ServiceError as refused:
        db.session.rollback()
        current_app.logger.error("webhook %s refused: %s", event["id"], refused.message)
        return jsonify(error=refused.message), refused.status_code
    return jsonify(received=event["id"], outcome=outcome), 200
