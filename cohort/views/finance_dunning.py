"""The finance desk's dunning page (/finance/dunning) and the staff retry of an overdue renewal."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.extensions import db
from cohort.models import Membership
from cohort.services import ServiceError
from cohort.services.dunning_finance import dunning_desk
from cohort.services.renewal_retry import retry_payment
from forms.card import RetryForm

bp = Blueprint("finance_dunning", __name__, url_prefix="/finance/dunning")


@bp.get("")
@role_required("finance")
def desk() -> str:
    """Past-due members and amounts per plan and currency, failed charges, recovered revenue."""
    return render_template("finance/dunning.html", desk=dunning_desk(db.session, now()),
                           retry_form=RetryForm())


@bp.post("/memberships/<int:membership_id>/retry")
@role_required("finance")
def retry(membership_id: int) -> Response:
    """Charge a past-due member's renewal again to their default card (once, however often)."""
    if db.session.get(Membership, membership_id) is None:
        abort(404, description="There is no such membership.")
    if not RetryForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and press Retry again.")
    try:
        result = retry_payment(db.session, membership_id, actor=f"staff:{current_user.email}",
                               now=now())
    except ServiceError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("finance_dunning.desk"))
    db.session.commit()
    flash(result.message if result.outcome != "authenticate" else
          "The bank asks the member to confirm this payment: they can do it from the link in "
          "their e-mail (the card page).", "success" if result.outcome == "paid" else "error")
    return redirect(url_for("finance_dunning.desk"))
