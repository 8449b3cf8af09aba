"""Registering and paying the deposit by card: localstripe, real signed webhooks."""

from __future__ import annotations

from sqlalchemy import func, select

from cohort.models import (
    Document,
    Enrollment,
    LedgerEntry,
    OutboxMessage,
    Payment,
    Registration,
    StripeEvent,
)
from tests.conftest import WEBHOOK_SECRET
from tests.factories import make_cohort, make_enrollment, set_clock
from tests.payments_helpers import (
    DECLINED,
    THREE_D_SECURE,
    finish_payment,
    intent_event,
    open_payment_page,
    pay_by_card,
    register,
    signed,
    wait_until,
)


def _accepted(session, **answers):
    cohort = make_cohort(session, state="closed")
    enrollment = make_enrollment(session, cohort, state="accepted", **answers)
    session.commit()
    return cohort, enrollment


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_registration_stores_details_and_the_agreed_policy_version(client, session):
    cohort, enrollment = _accepted(session)

    response = register(client, enrollment.status_token, country="AU")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/a/{enrollment.status_token}/pay/deposit")
    registration = session.scalars(select(Registration)).one()
    assert registration.policy_version == 1
    assert registration.policy_text == cohort.cancellation_policy["text"]
    assert registration.policy_agreed_at == registration.terms_agreed_at
    assert registration.rebate_eligible is True


def test_the_registration_form_needs_both_agreements_and_shows_the_policy(client, session):
    _, enrollment = _accepted(session)
    url = f"/a/{enrollment.status_token}/register"

    page = client.get(url).get_data(as_text=True)
    response = register(client, enrollment.status_token, agree_policy="", agree_terms="")

    assert "If you cancel on or before the cancellation deadline" in page
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Please agree to the cancellation policy." in text
    assert "Please agree to the terms." in text
    assert _count(session, Registration) == 0


def test_an_outdated_policy_version_must_be_agreed_again(client, session):
    _, enrollment = _accepted(session)

    response = register(client, enrollment.status_token, policy_version="0")

    assert response.status_code == 409
    assert "The cancellation policy changed" in response.get_data(as_text=True)


def test_after_the_registration_deadline_the_form_is_closed(app, client, session):
    _, enrollment = _accepted(session)
    set_clock(app, "2024-01-31T08:00:00Z")

    response = client.get(f"/a/{enrollment.status_token}/register")

    assert response.status_code == 403
    assert "Registration closed on Tuesday, January 30, 2024, midnight PST" in response.get_data(
        as_text=True)


def test_a_card_deposit_registers_the_applicant_when_the_signed_webhook_arrives(
        client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session, email="ada@example.org")
    register(client, enrollment.status_token)

    status, body, _ = pay_by_card(client, localstripe, enrollment.status_token, "deposit")

    assert status == 200 and body["status"] == "succeeded"
    wait_until(session, lambda: session.get(Enrollment, enrollment.id).state == "registered")
    payment = session.scalars(select(Payment)).one()
    assert (payment.status, payment.amount_cents, payment.currency) == ("succeeded", 10_000, "USD")
    intent = localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent["amount"] == 10_000 and intent["metadata"]["enrollment_id"] == str(enrollment.id)
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount_cents) for e in entries] == [("fee", 10_000), ("payment", -10_000)]
    receipt = session.scalars(select(Document)).one()
    assert (receipt.kind, receipt.display_number, receipt.total_cents) == ("receipt",
                                                                          "R-2024-0001", 10_000)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "payment_receipt")
                           ).one()
    assert "You are registered" in mail.body_text and mail.to_address == "ada@example.org"
    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)
    assert "Registered" in page and "R-2024-0001" in page


def test_the_amount_is_fixed_by_the_server_and_reused_on_reload(client, session, localstripe,
                                                                 stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)

    open_payment_page(client, enrollment.status_token, "deposit")
    open_payment_page(client, enrollment.status_token, "deposit")

    payment = session.scalars(select(Payment)).one()
    assert payment.amount_cents == 10_000
    intent = localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent["amount"] == 10_000


def test_three_d_secure_is_completed_by_stripe_js_then_confirmed_by_webhook(
        client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)

    status, body, _ = pay_by_card(client, localstripe, enrollment.status_token, "deposit",
                                  number=THREE_D_SECURE)
    assert (status, body["status"]) == (200, "requires_action")
    intent_id = body["client_secret"].split("_secret_")[0]
    assert localstripe.authenticate(intent_id, body["client_secret"])[0] == 200

    wait_until(session, lambda: session.get(Enrollment, enrollment.id).state == "registered")


def test_a_declined_card_gets_the_banks_words_and_changes_nothing(client, session, localstripe,
                                                                   stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)

    status, body, _ = pay_by_card(client, localstripe, enrollment.status_token, "deposit",
                                  number=DECLINED)

    assert status == 402
    assert "declined" in body["error"].lower()
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "accepted"
    assert _count(session, LedgerEntry) == 0


def test_returning_from_stripe_js_confirms_early_and_the_webhook_then_does_nothing(
        client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)
    _, _, form = pay_by_card(client, localstripe, enrollment.status_token, "deposit")

    done = finish_payment(client, form)

    assert done["status"] == "succeeded"
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "registered"
    wait_until(session, lambda: _count(session, StripeEvent) >= 1)
    assert _count(session, Payment, Payment.status == "succeeded") == 1
    assert _count(session, LedgerEntry) == 2


def test_each_webhook_replayed_three_times_and_out_of_order_yields_one_payment(
        client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)
    form = pay_by_card(client, localstripe, enrollment.status_token, "deposit")[2]
    wait_until(session, lambda: session.get(Enrollment, enrollment.id).state == "registered")
    payment = session.scalars(select(Payment)).one()
    intent = localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    failed = intent_event("evt_failed_late", intent, "payment_intent.payment_failed")
    succeeded = intent_event("evt_replayed", intent)

    answers = []
    for event in (succeeded, failed, succeeded, succeeded, failed):
        body, headers = signed(event, WEBHOOK_SECRET)
        answers.append(client.post("/stripe/webhook", data=body, headers=headers).status_code)

    assert answers == [200] * 5
    session.expire_all()
    assert _count(session, Payment, Payment.status == "succeeded") == 1
    assert _count(session, LedgerEntry, LedgerEntry.kind == "payment") == 1
    assert _count(session, Document) == 1
    assert form["card-url"]


def test_unsigned_and_forged_webhooks_are_refused_and_record_nothing(client, session):
    event = {"id": "evt_forged", "type": "payment_intent.succeeded",
             "data": {"object": {"id": "pi_x", "amount": 10000, "currency": "usd"}}}
    body, headers = signed(event, "whsec_someone_else")

    unsigned = client.post("/stripe/webhook", data=body,
                           headers={"Content-Type": "application/json"})
    forged = client.post("/stripe/webhook", data=body, headers=headers)

    assert (unsigned.status_code, forged.status_code) == (400, 400)
    assert _count(session, StripeEvent) == 0


def test_unknown_event_types_are_acknowledged(app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    body, headers = signed({"id": "evt_other", "type": "customer.created",
                            "data": {"object": {"id": "cus_1"}}}, WEBHOOK_SECRET)

    response = client.post("/stripe/webhook", data=body, headers=headers)

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"


def test_a_webhook_with_the_wrong_amount_is_refused_and_nothing_is_counted(
        client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)
    open_payment_page(client, enrollment.status_token, "deposit")
    payment = session.scalars(select(Payment)).one()
    intent = localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    event = intent_event("evt_wrong_amount", intent)
    event["data"]["object"]["amount"] = 1

    body, headers = signed(event, WEBHOOK_SECRET)
    response = client.post("/stripe/webhook", data=body, headers=headers)

    assert response.status_code == 422
    session.expire_all()
    assert session.get(Payment, payment.id).status == "pending"
    assert _count(session, StripeEvent) == 0


def test_a_deposit_arriving_after_the_place_lapsed_is_recorded_and_refunded(
        app, client, session, localstripe, stripe_live):
    _, enrollment = _accepted(session)
    register(client, enrollment.status_token)
    open_payment_page(client, enrollment.status_token, "deposit")
    payment = session.scalars(select(Payment)).one()
    set_clock(app, "2024-02-01T00:00:00Z")
    assert app.test_cli_runner().invoke(args=["cohort", "tick"]).exit_code == 0
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "lapsed"
    stripe_client = localstripe.client()
    method = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    stripe_client.v1.payment_intents.update(payment.stripe_payment_intent_id,
                                            params={"payment_method": method["id"]})
    stripe_client.v1.payment_intents.confirm(payment.stripe_payment_intent_id)

    wait_until(session, lambda: session.get(Payment, payment.id).status == "succeeded")
    refund = session.get(Payment, payment.id).refunds[0]
    assert (refund.amount_cents, refund.status, refund.reason) == (10_000, "succeeded",
                                                                   "late_deposit")
    assert session.get(Enrollment, enrollment.id).state == "lapsed"
    kinds = [m.kind for m in session.scalars(select(OutboxMessage))]
    assert "late_deposit_refunded" in kinds
