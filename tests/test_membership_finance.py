"""Finance sees memberships: their documents in the desk, CSV, ZIP and export; a summary per plan;
their subscriptions and invoices reconciled against Stripe (localstripe, real signed webhooks)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cohort.models import Document, Membership, Payment
from cohort.services.membership_finance import monthly_cents, plan_summaries
from cohort.services.subscription_billing import record_subscription_payment
from tests.factories import make_cohort, make_enrollment, set_clock
from tests.membership_factories import (
    make_community,
    make_membership,
    plan_of,
)
from tests.subscribe_helpers import membership_of, post_subscription, subscribe_url
from tests.test_finance_desk import _desk

PAID_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _member_with_documents(session):
    community = make_community(session, slug="s3-online")
    membership = make_membership(session, community, "lounge")
    record_subscription_payment(
        session, membership, amount_cents=2_000, currency="USD",
        period_start=datetime(2026, 2, 28, 23, tzinfo=UTC),
        period_end=datetime(2026, 3, 31, 22, tzinfo=UTC), stripe_invoice_id="in_desk",
        stripe_payment_intent_id="pi_desk", now=PAID_AT)
    session.commit()
    return community, membership


def test_membership_documents_are_in_the_desk_csv_zip_and_export_named_by_community(
        app, client, session, tmp_path):
    community, membership = _member_with_documents(session)
    make_enrollment(session, make_cohort(session, slug="cop-x"), state="registered")
    _desk(client, session)

    page = client.get(f"/finance/?community={community.slug}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/finance/documents.csv?community={community.slug}").get_data(as_text=True))))
    archive = zipfile.ZipFile(io.BytesIO(client.get(
        f"/finance/documents.zip?community={community.slug}").data))
    exported = app.test_cli_runner().invoke(args=[
        "finance", "export", "--community", community.slug, "--out", str(tmp_path / "m.zip")])
    account = client.get(f"/finance/accounts/{membership.account_id}")

    assert "INV-2026-0001" in page and "R-2026-0001" in page
    assert "S3 Online Learning Community" in page
    assert [(r["number"], r["type"], r["status"], r["billed for"]) for r in rows] == [
        ("R-2026-0001", "receipt", "paid", "S3 Online Learning Community"),
        ("INV-2026-0001", "invoice", "paid", "S3 Online Learning Community")]
    assert rows[1]["date"] == "2026-03-01"  # the community's day (Berlin)
    assert rows[1]["stripe ids"] == "pi_desk in_desk"
    assert sorted(archive.namelist()) == ["INV-2026-0001.pdf", "R-2026-0001.pdf",
                                          "documents.csv"]
    assert exported.exit_code == 0, exported.output
    assert "Wrote 2 documents" in exported.output
    assert account.status_code == 200
    statement = account.get_data(as_text=True)
    assert "Membership account" in statement and "INV-2026-0001" in statement
    assert "in_desk" in statement
    cohorts_only = client.get("/finance/documents.csv?cohort=cop-x").get_data(as_text=True)
    assert "INV-2026" not in cohorts_only


def test_a_yearly_price_counts_a_twelfth_rounded_to_the_cent_half_up():
    class Price:
        def __init__(self, cents, interval):
            self.amount_cents, self.interval = cents, interval

    assert monthly_cents(Price(2_000, "month")) == 2_000
    assert monthly_cents(Price(20_000, "year")) == 1_667  # 1,666.67
    assert monthly_cents(Price(1_206, "year")) == 101  # 100.5 rounds up
    assert monthly_cents(Price(1_205, "year")) == 100  # 100.42 rounds down
    assert monthly_cents(Price(24_000, "year")) == 2_000


def test_the_plan_summary_counts_members_mrr_and_this_months_cancellations(
        app, client, session):
    community = make_community(session)  # Europe/Berlin
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    set_clock(app, now.isoformat())
    start = datetime(2026, 2, 1, tzinfo=UTC)
    make_membership(session, community, "lounge", started_at=start)
    make_membership(session, community, "lounge", interval="year", started_at=start)
    # Cancelling at 00:30 on March 1 in Berlin (still February in UTC): this month, no MRR.
    make_membership(session, community, "lounge", state="cancelling", started_at=start,
                    cancel_requested_at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    # Cancelled at 23:30 on February 28 in Berlin: last month.
    make_membership(session, community, "lounge", state="cancelling", started_at=start,
                    cancel_requested_at=datetime(2026, 2, 28, 22, 30, tzinfo=UTC))
    make_membership(session, community, "pro", state="past_due", started_at=start)
    make_membership(session, community, "lounge", state="ended", started_at=start,
                    ended_at=start + timedelta(days=10))
    make_membership(session, community, "lounge", started_at=now + timedelta(days=1))
    make_membership(session, community, "lobby", interval=None, started_at=start)
    session.commit()

    summaries = {s.plan.slug: s for s in plan_summaries(session, now)}
    _desk(client, session)
    page = client.get("/finance/plans").get_data(as_text=True)

    lounge, pro, lobby = summaries["lounge"], summaries["pro"], summaries["lobby"]
    assert (lounge.members, lounge.mrr, lounge.cancellations) == (
        4, {"USD": 2_000 + 1_667}, 1)
    assert (pro.members, pro.mrr, pro.cancellations) == (1, {"USD": 5_000}, 0)
    assert (lobby.members, lobby.mrr, lobby.cancellations) == (1, {}, 0)
    row = page[page.index(f'id="plan-{plan_of(session, community, "lounge").id}"'):]
    assert "$36.67" in row.split("</tr>")[0]
    assert "Monthly recurring revenue" in page and "half a cent up" in page


def test_subscriptions_and_their_invoices_are_reconciled_against_stripe(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    response = post_subscription(client, localstripe, subscribe_url(community))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    membership = membership_of(session, "mia@example.org")
    _desk(client, session)

    page = client.get("/finance/reconciliation").get_data(as_text=True)

    payment = session.scalars(select(Payment).where(
        Payment.membership_id == membership.id)).one()
    assert payment.purpose == "subscription" and payment.amount_cents == 2_000
    assert session.scalar(select(Document.id).where(Document.payment_id == payment.id))
    assert f"subscription {membership.stripe_subscription_id}" in page
    assert f"invoice {payment.stripe_invoice_id}" in page
    assert 'class="differing">0<' in page

    # Our records drift from Stripe's: the page says where (the invoice's amount shows twice:
    # against Stripe's invoice, and against its PaymentIntent among the card payments).
    stored = session.get(Membership, membership.id)
    stored.paid_through = stored.paid_through + timedelta(days=3)
    session.get(Payment, payment.id).amount_cents = 1_999
    session.commit()
    page = client.get("/finance/reconciliation").get_data(as_text=True)

    assert 'class="differing">3<' in page
    assert "period end: ours" in page
    assert page.count("amount: ours $19.99") == 2
