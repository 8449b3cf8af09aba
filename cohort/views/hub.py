"""The Customer Hub: ask for a link by e-mail, open it once, then see and change memberships."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from cohort.clock import now
from cohort.extensions import db
from cohort.invoices.download import pdf_response
from cohort.services import hub_memberships
from cohort.services.hub import (
    HubLinkSpent,
    HubLinkUnknown,
    HubSession,
    link_state,
    open_hub_link,
    request_hub_link,
)
from cohort.services.hub_page import hub_page, member_document
from cohort.views.private_link import keep_private
from forms.hub import HubButtonForm, HubLinkForm, SwitchIntervalForm

bp = Blueprint("hub", __name__, url_prefix="/hub")
bp.after_request(keep_private)

SESSION_KEY = "hub"


def _hub_session() -> HubSession | None:
    """The hub session in this browser's signed session cookie, while it lasts."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict):
        return None
    try:
        opened = HubSession(person_id=int(kept["person"]),
                            until=datetime.fromisoformat(str(kept["until"])))
    except (KeyError, TypeError, ValueError):
        return None
    return opened if opened.open_at(now()) else None


def _person_id() -> int:
    """The hub's person, or a 401 that says how to open the hub again."""
    opened = _hub_session()
    if opened is None:
        abort(401, description="Your hub session has ended (it lasts two hours). Ask for a new "
                               "link on the Customer Hub page; it comes by e-mail.")
    return opened.person_id


@bp.route("", methods=["GET", "POST"])
def ask() -> ResponseReturnValue:
    """Ask for a personal link; the same answer whether or not the address is a member's."""
    form = HubLinkForm()
    if form.validate_on_submit():
        request_hub_link(db.session, form.email.data or "", now=now())
        db.session.commit()
        return render_template("hub/sent.html", email=form.email.data)
    return render_template("hub/ask.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/<token>")
def link(token: str) -> ResponseReturnValue:
    """The e-mailed link: a button opens the hub (a link fetched by a mail scanner stays unused)."""
    try:
        link_state(db.session, token, now=now())
    except (HubLinkUnknown, HubLinkSpent) as refused:
        return _refused(refused)
    return render_template("hub/open.html", form=HubButtonForm(), token=token)


@bp.post("/<token>")
def open_link(token: str) -> ResponseReturnValue:
    """Use the link up and start this browser's hub session."""
    try:
        opened = open_hub_link(db.session, token, now=now())
    except (HubLinkUnknown, HubLinkSpent) as refused:
        db.session.rollback()
        return _refused(refused)
    db.session.commit()
    session[SESSION_KEY] = {"person": opened.person_id, "until": opened.until.isoformat()}
    return redirect(url_for("hub.home"), 303)


def _refused(refused: HubLinkUnknown | HubLinkSpent) -> tuple[str, int]:
    return (render_template("hub/refused.html", message=refused.message, form=HubLinkForm()),
            refused.status_code)


@bp.get("/memberships")
def home() -> ResponseReturnValue:
    """Each membership: plan, interval, price, paid through, next charge, state, actions."""
    page = hub_page(db.session, _person_id(), now())
    if page is None:
        abort(404, description="There is nobody to show here any more.")
    return render_template("hub/home.html", page=page)


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> Response:
    """One of the member's invoices, receipts or credit notes as a PDF (?paper=Letter)."""
    found = member_document(db.session, _person_id(), document_id)
    return pdf_response(found, request.args.get("paper", "A4"))


@bp.post("/memberships/<int:membership_id>/cancel")
def cancel(membership_id: int) -> Response:
    """Cancel at the end of the paid period."""
    person_id = _person_id()
    membership = hub_memberships.cancel(db.session, person_id, membership_id, now=now())
    db.session.commit()
    flash(f"Your {membership.plan.name} membership is cancelled. We have sent you an e-mail.",
          "success")
    return redirect(url_for("hub.home"), 303)


@bp.post("/memberships/<int:membership_id>/undo")
def undo(membership_id: int) -> Response:
    """Take the cancellation back (until the paid period ends)."""
    person_id = _person_id()
    membership = hub_memberships.undo_cancel(db.session, person_id, membership_id, now=now())
    db.session.commit()
    flash(f"Your {membership.plan.name} membership continues; the cancellation is undone.",
          "success")
    return redirect(url_for("hub.home"), 303)


@bp.post("/memberships/<int:membership_id>/keep")
def keep(membership_id: int) -> Response:
    """Keep the smaller plan (the Practitioner's Lounge) from the instant this one ends."""
    person_id = _person_id()
    kept = hub_memberships.keep_plan(db.session, person_id, membership_id, now=now())
    db.session.commit()
    flash(f"You keep the {kept.plan.name}: it continues when your current plan ends.",
          "success")
    return redirect(url_for("hub.home"), 303)


@bp.post("/memberships/<int:membership_id>/switch")
def switch(membership_id: int) -> Response:
    """Renew monthly or yearly from the end of the paid period."""
    person_id = _person_id()
    form = SwitchIntervalForm()
    if not form.validate_on_submit():
        abort(422, description=form.error_text() or "Choose monthly or yearly.")
    membership = hub_memberships.switch_interval(db.session, person_id, membership_id,
                                                 form.interval.data or "", now=now())
    db.session.commit()
    flash("Done: the change takes effect when your paid period ends. We have sent you an "
          f"e-mail about your {membership.plan.name} membership.", "success")
    return redirect(url_for("hub.home"), 303)


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the hub session in this browser."""
    session.pop(SESSION_KEY, None)
    flash("You have left the hub. Ask for a new link whenever you need it.", "success")
    return redirect(url_for("hub.ask"), 303)
