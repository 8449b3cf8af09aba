"""A community's public pages: its plans in its own words, joining the Lobby, confirming."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cohort.clock import now
from cohort.extensions import db
from cohort.models import Community, Membership, Plan
from cohort.services.community_admin import current_prices
from cohort.services.memberships import (
    LinkNotValid,
    TermsChanged,
    confirm_lobby,
    current_terms,
    join_lobby,
    read_confirm_token,
)
from cohort.services.terms_links import agree_by_link, agreement_of, read_agree_link
from cohort.views.private_link import keep_private
from forms.community import AgreeTermsForm, ConfirmJoinForm, JoinLobbyForm
from workflows import MembershipMachine

bp = Blueprint("community", __name__, url_prefix="/communities")


def community_or_404(slug: str) -> Community:
    """The community at this address, with its plans and their groups."""
    community = db.session.scalars(
        select(Community).where(Community.slug == slug)
        .options(selectinload(Community.plans).selectinload(Plan.groups))).one_or_none()
    if community is None:
        abort(404, description="There is no community at this address.")
    return community


def _page(community: Community, form: JoinLobbyForm, status: int = 200,
          problem: str = "") -> tuple[str, int]:
    terms = current_terms(db.session, community)
    if not form.is_submitted() or problem:
        form.terms_version.data = str(terms.id) if terms else ""
        if problem:
            form.agree_terms.data = False
    return render_template(
        "community/page.html", community=community, form=form, terms=terms,
        prices=current_prices(db.session, community), problem=problem), status


@bp.get("/<slug>")
def page(slug: str) -> tuple[str, int]:
    """The plans, the page's own words, and the form to join the free Lobby."""
    return _page(community_or_404(slug), JoinLobbyForm())


@bp.post("/<slug>/join")
def join(slug: str) -> Response | tuple[str, int]:
    """Join the Lobby: the same answer whether or not the address is known."""
    community = community_or_404(slug)
    form = JoinLobbyForm()
    if not form.validate_on_submit():
        return _page(community, form, 422)
    try:
        address = join_lobby(db.session, community, form.name.data, form.email.data,
                             form.terms_version_id(), now())
    except TermsChanged as changed:
        db.session.rollback()
        return _page(community, form, 409, problem=changed.message)
    db.session.commit()
    session["joined"] = {"community": slug, "email": address}
    return redirect(url_for("community.joined", slug=slug), code=303)


@bp.get("/<slug>/joined")
def joined(slug: str) -> Response | str:
    """'Check your e-mail': the page after asking to join."""
    community = community_or_404(slug)
    asked = session.get("joined") or {}
    if asked.get("community") != slug:
        return redirect(url_for("community.page", slug=slug))
    return render_template("community/joined.html", community=community, email=asked["email"])


@bp.get("/<slug>/terms")
def terms(slug: str) -> str:
    """The current Member Guidelines and Terms of Confidentiality."""
    community = community_or_404(slug)
    current = current_terms(db.session, community)
    if current is None:
        abort(404, description="This community has not published terms.")
    return render_template("community/terms.html", community=community, terms=current)


def _membership_behind(community: Community, token: str) -> Membership:
    membership_id, _ = read_confirm_token(token, now())
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.community_id != community.id:
        raise LinkNotValid("This confirmation link is not valid.")
    return membership


@bp.get("/<slug>/confirm/<token>")
def confirm_page(slug: str, token: str) -> Response:
    """The e-mailed link: one button confirms (link scanners only look)."""
    community = community_or_404(slug)
    membership = _membership_behind(community, token)
    page = render_template("community/confirm.html", community=community,
                           membership=membership, form=ConfirmJoinForm(), token=token,
                           can_confirm=membership.state in MembershipMachine.sources("activate"))
    return keep_private(Response(page))


@bp.post("/<slug>/confirm/<token>")
def confirm(slug: str, token: str) -> Response:
    """Confirm joining: the terms agreement is recorded and the membership activated (once)."""
    community = community_or_404(slug)
    if not ConfirmJoinForm().validate_on_submit():
        abort(400, description="This form has expired; open the link in your e-mail again.")
    confirm_lobby(db.session, community, token, now())
    db.session.commit()
    return keep_private(redirect(url_for("community.confirm_page", slug=slug, token=token),
                                 code=303))


@bp.get("/<slug>/terms/agree/<token>")
def agree_page(slug: str, token: str) -> Response:
    """The e-mailed link to a new version of the terms: the text, and one button to agree."""
    community = community_or_404(slug)
    person, version = read_agree_link(db.session, community, token, now())
    page = render_template("community/agree.html", community=community, person=person,
                           terms=version, agreement=agreement_of(db.session, person, version),
                           form=AgreeTermsForm(), token=token)
    return keep_private(Response(page))


@bp.post("/<slug>/terms/agree/<token>")
def agree(slug: str, token: str) -> Response:
    """Record the agreement (version, time, person); pressing again changes nothing."""
    community = community_or_404(slug)
    if not AgreeTermsForm().validate_on_submit():
        abort(400, description="Please tick the box to agree (or reload the page if it has "
                               "expired).")
    agree_by_link(db.session, community, token, now())
    db.session.commit()
    return keep_private(redirect(url_for("community.agree_page", slug=slug, token=token),
                                 code=303))
