"""A member replaces the card their subscription is charged to, and the overdue renewal is paid.

The card page is opened by a signed link (single purpose: this membership's card; it expires),
so a member who follows a payment-failed e-mail is not asked for their e-mail again. Stripe.js
saves the card into a SetupIntent (3-D Secure on saving when the bank asks); `save_card` makes
it the customer's default and detaches the old one; we keep only brand, last four and expiry.
Then `retry_payment` charges the open renewal invoice at once (see `cohort.services.dunning`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from cohort.models import BillingAccount, Membership
from cohort.payments.card_setup import CardSetup, CardShown, card_setup_gateway
from cohort.payments.subscriptions import subscription_gateway
from cohort.services import ServiceError
from cohort.services.locking import lock_row
from workflows import MembershipMachine

CARD_SALT = "membership-card-update"
# Long enough for the reminder and the final days of grace, and for the expiring-card notice.
CARD_LINK_LIFETIME = timedelta(days=30)


class CardNotSaved(ServiceError):
    """The card could not be saved (not confirmed, another customer's, declined)."""

    status_code = 422


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CARD_SALT)


def card_token(membership: Membership, now: datetime) -> str:
    """A signed token that opens this membership's card page until `now` + 30 days."""
    until = int((now + CARD_LINK_LIFETIME).timestamp())
    return str(_serializer().dumps({"m": membership.id, "p": membership.person_id, "u": until}))


def card_update_url(membership: Membership, now: datetime) -> str:
    """The absolute link to the card page, for e-mails."""
    return f"{current_app.config['BASE_URL']}/hub/card/{card_token(membership, now)}"


def membership_from_card_token(session: Session, token: str, now: datetime
                               ) -> Membership | None:
    """The membership a card link names, or None when altered, expired or no longer its own."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    found, person, until = payload.get("m"), payload.get("p"), payload.get("u")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (found, person, until)):
        return None
    if now.timestamp() >= until:
        return None
    membership = session.get(Membership, found)
    if membership is None or membership.person_id != person:
        return None
    return membership


def _customer(membership: Membership) -> str:
    customer = membership.account.stripe_customer_id
    if not customer or not membership.stripe_subscription_id:
        raise CardNotSaved("This membership is not paid by card, so there is no card to "
                           "replace.")
    if membership.state not in MembershipMachine.states_that("billed"):
        raise CardNotSaved("This membership has ended; there is nothing more to charge.")
    return customer


def start_card_setup(membership: Membership) -> CardSetup:
    """A SetupIntent for the member's new card (its client secret goes to Stripe.js)."""
    return card_setup_gateway().start(_customer(membership),
                                      metadata={"membership": str(membership.id)})


def save_card(session: Session, membership: Membership, setup_intent_id: str) -> CardShown:
    """Make the card confirmed in `setup_intent_id` the customer's default; detach the old one.

    The account row is locked so two saves at once keep one default card and one record of it.
    """
    customer = _customer(membership)
    account = lock_row(session, BillingAccount, membership.account_id)
    cards = card_setup_gateway()
    setup = cards.read(setup_intent_id)
    if setup.customer_id != customer or setup.payment_method_id is None:
        raise CardNotSaved("That card was not set up for this membership. Please enter it "
                           "again.")
    if setup.status != "succeeded":
        raise CardNotSaved("The card was not confirmed by your bank, so it was not saved. "
                           "Please try again or use another card.")
    subscription_gateway().attach_payment_method(customer, setup.payment_method_id,
                                                 detach_previous=True)
    shown = cards.card(setup.payment_method_id)
    remember_card(account, shown)
    session.flush()
    return shown


def remember_card(account: BillingAccount, shown: CardShown) -> None:
    """Keep what the member is shown of their default card (nothing that could charge it)."""
    account.card_brand = shown.brand
    account.card_last4 = shown.last4
    account.card_exp_month = shown.exp_month
    account.card_exp_year = shown.exp_year


def card_expires_at(account: BillingAccount) -> datetime | None:
    """The first instant the saved card no longer works (after the last day of its month)."""
    if account.card_exp_year is None or account.card_exp_month is None:
        return None
    year, month = account.card_exp_year, account.card_exp_month
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=UTC)

