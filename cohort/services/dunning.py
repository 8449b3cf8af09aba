"""Dunning: what a failed renewal sets in motion until the member pays, cancels or loses access.

- The failure e-mail goes out with the `fail_payment` transition (`membership_payment_failed`:
  the bank's answer, until when access stays, the card link `card_link(membership)`), and the
  final notice with `lapse` when the tick ends access after grace (`membership_lapsed`);
- `record_failure`, called by the failed-renewal webhook, keeps each failed charge (Stripe's
  decline message, the invoice, the amount) for the retry and for finance;
- `run_dunning`, called by the tick, sends a reminder halfway through grace, and one notice
  14 days before a renewal that the saved card will not live to see.

Every e-mail is recorded in `dunning_notices` (unique per membership, kind and occasion) under
the membership's row lock, so a tick run twice, or two at once, sends each one once. They stop
by themselves: a paid or cancelled membership is no longer in a state that owes money.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import BillingAccount, DunningNotice, Membership, PaymentAttempt
from cohort.money import Money
from cohort.services import ServiceError
from cohort.services.card_update import card_expires_at, card_update_url
from cohort.services.locking import lock_row
from cohort.services.transitions import TransitionRefused
from workflows import MembershipMachine

logger = logging.getLogger(__name__)
DUNNING_ACTOR = "system:dunning"
CARD_NOTICE_AHEAD = timedelta(days=14)
MAIL_KINDS = {"reminder": "dunning_reminder", "card_expiring": "dunning_card_expiring"}


@dataclass
class DunningReport:
    """What one run sent."""

    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MAIL_KINDS, 0))

    def summary(self) -> str:
        """One line for the tick's output."""
        notices = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in self.sent.items())
        return f"dunning e-mails: {notices}"


@dataclass(frozen=True)
class Overdue:
    """What a past-due member owes: amount, since when, until when access stays."""

    amount: Money
    since: datetime
    until: datetime | None
    decline_message: str
    invoice_id: str | None


def latest_attempt(session: Session, membership_id: int) -> PaymentAttempt | None:
    """The last recorded charge of this membership's renewals."""
    return session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.membership_id == membership_id)
        .order_by(PaymentAttempt.attempted_at.desc(), PaymentAttempt.id.desc())).first()


def overdue(session: Session, membership: Membership) -> Overdue | None:
    """What is owed by a membership in a state that owes money (else None)."""
    if membership.state not in MembershipMachine.states_that("owes_money"):
        return None
    attempt = latest_attempt(session, membership.id)
    price = membership.price
    if attempt is not None and attempt.outcome != "paid":
        amount = Money(attempt.amount_cents, attempt.currency)
    elif price is not None:
        amount = price.amount
    else:
        amount = Money(0, membership.community.currency)
    failed = attempt is not None and attempt.outcome != "paid"
    return Overdue(amount=amount, since=membership.state_changed_at,
                   until=membership.grace_until,
                   decline_message=attempt.decline_message if failed and attempt else "",
                   invoice_id=attempt.stripe_invoice_id if failed and attempt else None)


def record_attempt(session: Session, membership: Membership, *, invoice_id: str,
                   amount_cents: int, currency: str, outcome: str, decline_message: str,
                   actor: str, now: datetime) -> PaymentAttempt:
    """Keep one charge of a renewal invoice and what the bank said (no commit)."""
    attempt = PaymentAttempt(
        membership_id=membership.id, stripe_invoice_id=invoice_id[:255], attempted_at=now,
        actor=actor[:200], outcome=outcome, amount_cents=amount_cents,
        currency=currency.upper(), decline_message=(decline_message or "")[:500])
    session.add(attempt)
    session.flush()
    return attempt


def record_failure(session: Session, membership_id: int, *, invoice_id: str, amount_cents: int,
                   currency: str, decline_message: str | None, actor: str, now: datetime
                   ) -> PaymentAttempt:
    """A charge of a membership's invoice failed: keep it with the bank's answer (no commit)."""
    membership = lock_row(session, Membership, membership_id)
    return record_attempt(session, membership, invoice_id=invoice_id, amount_cents=amount_cents,
                          currency=currency, outcome="failed",
                          decline_message=decline_message or "The card was declined.",
                          actor=actor, now=now)


def _occasion(membership: Membership) -> str:
    """A grace period is named by its end (a later failure starts a new one)."""
    until = membership.grace_until
    return until.isoformat() if until else f"since {membership.state_changed_at.isoformat()}"


def _already_sent(session: Session, membership_id: int, kind: str, occasion: str) -> bool:
    return session.scalar(select(DunningNotice.id).where(
        DunningNotice.membership_id == membership_id, DunningNotice.kind == kind,
        DunningNotice.occasion == occasion)) is not None


def _notify(session: Session, membership: Membership, kind: str, now: datetime,
            occasion: str | None = None) -> bool:
    """Queue the dunning e-mail `kind` unless it went out for this occasion (row locked)."""
    occasion = (occasion or _occasion(membership))[:80]
    if _already_sent(session, membership.id, kind, occasion):
        return False
    session.add(DunningNotice(membership_id=membership.id, kind=kind, occasion=occasion,
                              sent_at=now))
    queue_mail(session, kind=MAIL_KINDS[kind], to=membership.person.email, now=now,
               membership=membership, community=membership.community, plan=membership.plan,
               person=membership.person, account=membership.account,
               overdue=overdue(session, membership), card_url=card_update_url(membership, now),
               card_expires_at=card_expires_at(membership.account))
    session.flush()
    return True


def _halfway(membership: Membership) -> datetime | None:
    if membership.grace_until is None:
        return None
    return membership.state_changed_at + (membership.grace_until - membership.state_changed_at) / 2


def _remind_past_due(session: Session, membership_id: int, now: datetime,
                     report: DunningReport) -> None:
    membership = lock_row(session, Membership, membership_id)
    if membership.state not in MembershipMachine.states_that("owes_money"):
        return  # paid or cancelled since the list was read
    if membership.grace_until is not None and now >= membership.grace_until:
        return  # access ends now (the membership tick), with the final notice
    halfway = _halfway(membership)
    if halfway is not None and now >= halfway and _notify(session, membership, "reminder", now):
        report.sent["reminder"] += 1


def _card_occasion(account: BillingAccount, renewal: datetime) -> str:
    return (f"{account.card_last4} {account.card_exp_year}-{account.card_exp_month:02d} "
            f"renewal {renewal.date().isoformat()}")


def _warn_expiring_card(session: Session, membership_id: int, now: datetime,
                        report: DunningReport) -> None:
    membership = lock_row(session, Membership, membership_id)
    renewal = membership.paid_through
    account = membership.account
    expires = card_expires_at(account)
    if membership.state not in MembershipMachine.sources("renew") or renewal is None:
        return
    if expires is None or expires > renewal or not now < renewal <= now + CARD_NOTICE_AHEAD:
        return
    if _notify(session, membership, "card_expiring", now, _card_occasion(account, renewal)):
        report.sent["card_expiring"] += 1


def _each(session: Session, ids: list[int], step: object, *args: object) -> None:
    """Run `step` for each id in its own transaction; one that fails is retried next run."""
    for membership_id in ids:
        try:
            step(session, membership_id, *args)  # type: ignore[operator]
        except (ServiceError, TransitionRefused, LookupError) as exc:
            session.rollback()
            logger.warning("dunning membership %s: %s", membership_id, exc)
            continue
        session.commit()


def run_dunning(session: Session, now: datetime) -> DunningReport:
    """Send the dunning e-mails time implies, each once (commits, one membership at a time)."""
    report = DunningReport()
    past_due = list(session.scalars(select(Membership.id).where(
        Membership.state.in_(MembershipMachine.states_that("owes_money")))
        .order_by(Membership.id)))
    renewing = list(session.scalars(
        select(Membership.id).join(BillingAccount, BillingAccount.id == Membership.account_id)
        .where(Membership.state.in_(MembershipMachine.sources("renew")),
               Membership.paid_through > now,
               Membership.paid_through <= now + CARD_NOTICE_AHEAD,
               BillingAccount.card_exp_year.is_not(None))
        .order_by(Membership.id)))
    session.rollback()
    _each(session, past_due, _remind_past_due, now, report)
    _each(session, renewing, _warn_expiring_card, now, report)
    return report

