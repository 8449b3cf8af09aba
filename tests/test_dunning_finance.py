"""The finance desk's past-due page: amounts per plan and currency, the banks' answers, what was
recovered this month, and the staff retry (once, however often it is pressed)."""

from __future__ import annotations

from sqlalchemy import select

from cohort.models import AuditRecord, Membership, PaymentAttempt
from cohort.services.dunning import record_attempt
from tests.console_helpers import page_token, sign_in
from tests.dunning_helpers import stand_in_for_failed_webhook, subscribed_member, use_localstripe
from tests.factories import make_staff, utc
from tests.membership_factories import make_community, make_membership
from tests.subscription_helpers import DECLINED, VISA, fail_renewal, set_default_card

NOW = utc("2024-01-10T20:00:00Z")  # the app fixture's clock


def _finance(session, client) -> None:
    staff = make_staff(session, role="finance")
    session.commit()
    sign_in(client, staff.email)


def _past_due(session, community, plan: str, interval: str, **attempt) -> Membership:
    membership = make_membership(session, community, plan, state="past_due", interval=interval,
                                 grace_until=utc("2024-01-15T00:00:00Z"))
    if attempt:
        record_attempt(session, membership, outcome="failed", actor="system:stripe", now=NOW,
                       **attempt)
    return membership


def test_the_desk_shows_past_due_members_per_plan_and_currency_with_the_banks_answers(
        app, client, session):
    usd = make_community(session)
    eur = make_community(session, currency="EUR")
    _past_due(session, usd, "lounge", "month", invoice_id="in_a", amount_cents=2_000,
              currency="USD", decline_message="Your card has insufficient funds.")
    _past_due(session, usd, "lounge", "year", invoice_id="in_b", amount_cents=20_000,
              currency="USD", decline_message="Your card was declined.")
    _past_due(session, usd, "pro", "month")  # no charge recorded: its price is owed
    _past_due(session, eur, "lounge", "month", invoice_id="in_c", amount_cents=2_000,
              currency="EUR", decline_message="Your card has expired.")
    make_membership(session, usd, "lounge", state="active")
    _finance(session, client)

    page = client.get("/finance/dunning")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<td>Practitioner&#39;s Lounge</td><td>2</td><td>$220.00 USD</td>" in html
    assert "<td>PRO Lounge</td><td>1</td><td>$50.00 USD</td>" in html
    assert "<td>Practitioner&#39;s Lounge</td><td>1</td><td>€20.00 EUR</td>" in html
    for answer in ("Your card has insufficient funds.", "Your card was declined.",
                   "Your card has expired."):
        assert answer in html
    assert "Recovered this month" in html and "nothing yet" in html


def test_the_desk_is_for_finance_staff_only(app, client, session):
    staff = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, staff.email)
    assert client.get("/finance/dunning").status_code == 403


def test_a_staff_retry_pressed_twice_charges_the_renewal_once_and_counts_as_recovered(
        app, client, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id, card=DECLINED)
    stand_in_for_failed_webhook(session, stripe_client, invoice_id, NOW)
    set_default_card(stripe_client, member.customer_id, VISA)  # the member's bank sent a new one
    _finance(session, client)

    url = f"/finance/dunning/memberships/{member.membership_id}/retry"
    token = page_token(client, "/finance/dunning")
    first = client.post(url, data={"csrf_token": token})
    second = client.post(url, data={"csrf_token": token})
    assert (first.status_code, second.status_code) == (302, 302)

    session.rollback()
    assert session.get(Membership, member.membership_id).state == "active"
    attempts = session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id)).all()
    assert [(a.outcome, a.actor.startswith("staff:")) for a in attempts] == [
        ("failed", False), ("paid", True)]
    charges = stripe_client.v1.charges.list(params={"customer": member.customer_id}).data
    assert sorted(c.amount for c in charges if c.status == "succeeded") == [2_000, 2_000]
    recover = session.scalars(select(AuditRecord).where(AuditRecord.event == "recover")).one()
    assert recover.actor.startswith("staff:")
    html = client.get("/finance/dunning").get_data(as_text=True)
    assert "<strong>$20.00 USD</strong>" in html and "Nobody is past due." in html
