"""Subscribing to a community's paid plan by card, with 3-D Secure and the return check."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from cohort.clock import now
from cohort.extensions import db
from cohort.models import BILLING_INTERVALS, Community, Membership, Plan
from cohort.services import ServiceError
from cohort.services.memberships import current_terms
from cohort.services.subscriptions import (
    Outcome,
    Subscriber,
    approved_membership,
    check_subscription,
    current_price,
    pro_subscribe_token,
    return_token,
    returning_membership,
    subscribe,
)
from cohort.views.private_link import keep_private
from forms.subscribe import NewSubscriberForm, SubscribeForm

bp = Blueprint("subscribe", __name__, url_prefix="/communities")
bp.after_request(keep_private)
MAX_TOKEN = 500


def _community_and_plan(slug: str, plan_slug: str) -> tuple[Community, Plan]:
    community = db.session.scalars(select(Community).where(Community.slug == slug)).first()
    plan = community and db.session.scalars(select(Plan).where(
        Plan.community_id == community.id, Plan.slug == plan_slug)).first()
    if community is None or plan is None:
        abort(404, description="There is no such plan.")
    return community, plan


def _done(community: Community, address: str) -> Response:
    flash(f"Thank you. We have sent a confirmation to {address}: it says what happens next and "
          "has the link to your membership page.", "success")
    return redirect(url_for("subscribe.thanks", slug=community.slug))


@bp.route("/<slug>/subscribe/<plan_slug>", methods=["GET", "POST"])
def subscribe_page(slug: str, plan_slug: str) -> Response | str | tuple[str, int]:
    """The plan, its price, the terms and the card; the amount is the server's."""
    community, plan = _community_and_plan(slug, plan_slug)
    interval = request.args.get("interval", "month")
    if interval not in BILLING_INTERVALS:
        abort(404, description="Plans are paid monthly (interval=month) or yearly (year).")
    token = request.args.get("token", "")[:MAX_TOKEN]
    moment = now()
    try:
        price = current_price(db.session, plan, interval)
        approved = (approved_membership(db.session, plan, token, moment)
                    if plan.by_application else None)
    except ServiceError as refused:
        return render_template("community/subscribe_closed.html", community=community,
                               plan=plan, message=refused.message), refused.status_code
    terms = current_terms(db.session, community)
    form = SubscribeForm() if approved else NewSubscriberForm()
    if not form.is_submitted():
        form.terms_version.data = str(terms.version if terms else 0)
    card_error, status = "", 200
    if form.validate_on_submit():
        person = approved.person if approved else None
        subscriber = Subscriber(name=person.name if person else form.name.data,
                                email=person.email if person else form.email.data,
                                terms_version=int(form.terms_version.data))
        try:
            outcome = subscribe(db.session, community, plan, interval, subscriber,
                                form.card_token.data, now=moment, pro_token=token)
        except ServiceError as refused:
            db.session.rollback()
            outcome = Outcome("declined", message=refused.message)
            status = refused.status_code
        else:
            db.session.commit()
            status = 402
        if outcome.kind in ("active", "already", "processing"):
            return _done(community, subscriber.email)
        if outcome.kind == "needs_action" and outcome.membership_id is not None:
            membership = db.session.get(Membership, outcome.membership_id)
            return render_template(
                "community/subscribe_confirm.html", community=community, plan=plan,
                client_secret=outcome.client_secret, return_token=return_token(membership),
                stripe_js=current_app.config["STRIPE_JS_URL"],
                publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"])
        card_error = outcome.message
    elif form.is_submitted():
        status = 422
    return render_template(
        "community/subscribe.html", community=community, plan=plan, price=price,
        interval=interval, form=form, terms=terms, approved=approved, card_error=card_error,
        token=token, stripe_js=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"]), status


@bp.post("/<slug>/subscribe/return/<token>")
def return_check(slug: str, token: str) -> Response | str | tuple[str, int]:
    """After Stripe.js's 3-D Secure: ask Stripe ourselves (never trust the browser)."""
    moment = now()
    membership = returning_membership(db.session, token[:MAX_TOKEN], moment)
    if membership is None or membership.community.slug != slug:
        abort(404, description="This link is not valid any more: please start again.")
    outcome = check_subscription(db.session, membership, now=moment)
    db.session.commit()
    if outcome.kind in ("active", "processing"):
        return _done(membership.community, membership.person.email)
    flash(outcome.message, "error")
    pro = {"token": pro_subscribe_token(membership)} if membership.plan.by_application else {}
    return redirect(url_for("subscribe.subscribe_page", slug=slug, plan_slug=membership.plan.slug,
                            interval=membership.interval or "month", **pro))


@bp.get("/<slug>/subscribed")
def thanks(slug: str) -> str:
    """The page after subscribing: the same words whoever the address belongs to."""
    community = db.session.scalars(select(Community).where(Community.slug == slug)).first()
    if community is None:
        abort(404, description="There is no such community.")
    return render_template("community/subscribed.html", community=community)
