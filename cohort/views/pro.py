"""Applying for a community's PRO plan (by application only), and the confirmation page."""

from __future__ import annotations

from dataclasses import fields

from flask import Blueprint, Response, redirect, render_template, session, url_for
from sqlalchemy import select

from cohort.clock import now
from cohort.extensions import db
from cohort.models import Community, Plan, TermsVersion
from cohort.services.memberships import current_terms
from cohort.services.pro_applications import (
    ProApplicationData,
    application_plan,
    submit_pro_application,
)
from cohort.views.community import community_or_404
from cohort.views.viewer import chosen_zone
from forms.pro_application import ANSWER_LENGTH, DETAILS_LENGTH, ProApplicationForm

bp = Blueprint("pro", __name__)


def _page(community: Community, form: ProApplicationForm, *, expired: bool = False) -> str:
    plan: Plan = application_plan(db.session, community)
    terms: TermsVersion | None = current_terms(db.session, community)
    return render_template("pro/apply.html", community=community, plan=plan, terms=terms,
                           form=form, expired=expired, lengths=ANSWER_LENGTH,
                           details_length=DETAILS_LENGTH)


@bp.route("/communities/<slug>/pro/apply", methods=["GET", "POST"])
def apply(slug: str) -> Response | tuple[str, int] | str:
    """The PRO application form: the seed's criteria, one answer each."""
    community = community_or_404(slug)
    form = ProApplicationForm()
    if not form.is_submitted():
        form.time_zone.data = chosen_zone(community.time_zone)[0]
    if form.validate_on_submit():
        data = ProApplicationData(**{
            f.name: (getattr(form, f.name).data or "").strip() for f in fields(ProApplicationData)
        })
        submission = submit_pro_application(db.session, community, data, now())
        db.session.commit()
        # The same answer whether or not the address was known: its owner is told by e-mail.
        session["pro_applied"] = {"community": slug, "email": submission.address}
        return redirect(url_for("pro.applied", slug=slug))
    status = 422 if form.is_submitted() else 200
    return _page(community, form), status


def apply_form_again(slug: str) -> tuple[str, int] | None:
    """A PRO application whose form token had expired: nothing saved, the answers kept.

    None when there is no such community (the error handler then answers as for any form).
    """
    community = db.session.scalars(select(Community).where(Community.slug == slug)
                                   ).one_or_none()
    if community is None:
        return None
    return _page(community, ProApplicationForm(), expired=True), 400


@bp.get("/communities/<slug>/pro/applied")
def applied(slug: str) -> Response | str:
    """The confirmation after an application (the same for known and unknown addresses)."""
    community = community_or_404(slug)
    applied_to = session.get("pro_applied") or {}
    if applied_to.get("community") != slug:
        return redirect(url_for("pro.apply", slug=slug))
    return render_template("pro/applied.html", community=community,
                           plan=application_plan(db.session, community),
                           email=applied_to["email"])
