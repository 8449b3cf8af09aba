"""Communities in the console: overview, who is in each group at any instant, prices, terms."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.extensions import db
from cohort.models import Community, Group, Plan
from cohort.models.community import BILLING_INTERVALS
from cohort.services.access import group_members
from cohort.services.community_admin import change_price, current_prices, publish_terms
from cohort.services.rosters import (
    InstantNotUnderstood,
    community_terms_summary,
    group_roster,
    roster_csv,
    roster_instant,
)
from cohort.views.staff import bp
from cohort.views.staff.common import actor
from forms.community import PlanPriceForm, TermsForm

MEMBERS = ("facilitator", "finance")  # who runs the groups, who bills them
PRICES = ("finance",)  # admins pass every role check
TERMS = ("facilitator",)


def _community_or_404(slug: str) -> Community:
    community = db.session.scalars(
        select(Community).where(Community.slug == slug)
        .options(selectinload(Community.groups),
                 selectinload(Community.plans).selectinload(Plan.groups))).one_or_none()
    if community is None:
        abort(404, description="There is no community at this address.")
    return community


def _group_or_404(community: Community, group_slug: str) -> Group:
    group = next((g for g in community.groups if g.slug == group_slug), None)
    if group is None:
        abort(404, description="This community has no such group.")
    return group


def _plan_or_404(community: Community, plan_slug: str) -> Plan:
    plan = next((p for p in community.plans if p.slug == plan_slug), None)
    if plan is None or plan.free:
        abort(404, description="This community has no such paid plan.")
    return plan


@bp.get("/communities")
@role_required(*MEMBERS)
def communities() -> str:
    """Every community, with links to its overview."""
    rows = db.session.scalars(select(Community).order_by(Community.name)).all()
    return render_template("staff/communities.html", communities=rows)


@bp.get("/communities/<slug>")
@role_required(*MEMBERS)
def community(slug: str) -> str:
    """The community's groups (members now), plans with their current prices, and terms."""
    found = _community_or_404(slug)
    moment = now()
    counts = {g.id: len(group_members(db.session, g.id, moment)) for g in found.groups}
    opened_by = {g.id: [p.name for p in found.plans if g in p.groups] for g in found.groups}
    return render_template("staff/community.html", community=found, counts=counts,
                           opened_by=opened_by,
                           prices=current_prices(db.session, found), now=moment,
                           summary=community_terms_summary(db.session, found))


def _instant_or_400(community: Community) -> tuple[datetime, str]:
    text = request.args.get("at", "")
    try:
        return roster_instant(text, community.time_zone, now()), text
    except InstantNotUnderstood as problem:
        abort(400, description=str(problem))


@bp.get("/communities/<slug>/groups/<group_slug>")
@role_required(*MEMBERS)
def group(slug: str, group_slug: str) -> str:
    """Who the group was open to at an instant (default now): member, plan, since, until."""
    found = _community_or_404(slug)
    chosen = _group_or_404(found, group_slug)
    at, typed = _instant_or_400(found)
    return render_template("staff/group.html", community=found, group=chosen, at=at,
                           typed=typed, rows=group_roster(db.session, chosen, at))


@bp.get("/communities/<slug>/groups/<group_slug>/roster.csv")
@role_required(*MEMBERS)
def roster(slug: str, group_slug: str) -> Response:
    """The same roster as CSV, for syncing the community platform."""
    found = _community_or_404(slug)
    chosen = _group_or_404(found, group_slug)
    at, _ = _instant_or_400(found)
    response = make_response(roster_csv(group_roster(db.session, chosen, at)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{slug}-{group_slug}-{stamp}.csv"')
    return response


def _prices_page(community: Community, forms: dict[tuple[str, str], PlanPriceForm],
                 status: int = 200) -> tuple[str, int]:
    return render_template("staff/community_prices.html", community=community,
                           prices=current_prices(db.session, community), forms=forms,
                           intervals=BILLING_INTERVALS), status


def _price_forms(community: Community) -> dict[tuple[str, str], PlanPriceForm]:
    return {(p.slug, i): PlanPriceForm(formdata=None, prefix=f"{p.slug}-{i}")
            for p in community.plans if not p.free for i in BILLING_INTERVALS}


@bp.get("/communities/<slug>/prices")
@role_required(*PRICES)
def prices(slug: str) -> tuple[str, int]:
    """Each paid plan's current monthly and yearly price, and a form to change each."""
    found = _community_or_404(slug)
    return _prices_page(found, _price_forms(found))


@bp.post("/communities/<slug>/prices/<plan_slug>/<interval>")
@role_required(*PRICES)
def set_price(slug: str, plan_slug: str, interval: str) -> Response | tuple[str, int]:
    """A new price: the old one is retired, members keep theirs until they renew."""
    found = _community_or_404(slug)
    plan = _plan_or_404(found, plan_slug)
    if interval not in BILLING_INTERVALS:
        abort(404, description="A price is per month or per year.")
    forms = _price_forms(found)
    form = PlanPriceForm(prefix=f"{plan_slug}-{interval}")
    if not form.validate_on_submit():
        forms[(plan_slug, interval)] = form
        return _prices_page(found, forms, 422)
    price = change_price(db.session, plan, interval, form.cents(), actor=actor(), now=now())
    db.session.commit()
    flash(f"{plan.name}: {price.amount.format_short()} per {interval} from now on. Members "
          "keep the price they pay until they renew.", "success")
    return redirect(url_for("staff.prices", slug=slug), code=303)


@bp.route("/communities/<slug>/terms", methods=["GET", "POST"])
@role_required(*TERMS)
def terms(slug: str) -> Response | tuple[str, int]:
    """The current terms, and publishing a new version (members must agree again)."""
    found = _community_or_404(slug)
    summary = community_terms_summary(db.session, found)
    form = TermsForm()
    if not form.is_submitted() and summary.terms is not None:
        form.title.data = summary.terms.title
        form.body.data = summary.terms.body
    if form.validate_on_submit():
        published = publish_terms(db.session, found, title=form.title.data,
                                  body=form.body.data, actor=actor(), now=now())
        db.session.commit()
        flash(f"Version {published.version} is published. Members are asked to agree to it "
              "before their next group access.", "success")
        return redirect(url_for("staff.terms", slug=slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("staff/community_terms.html", community=found, form=form,
                           summary=summary), status
