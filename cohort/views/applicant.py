"""The applicant's private pages, behind the unguessable token of their status link."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from cohort.clock import now
from cohort.extensions import db
from cohort.schedule import viewer_schedule
from cohort.services.cohorts import meeting_spans
from cohort.services.status import (
    STATE_LABELS,
    account,
    history,
    next_step,
)
from cohort.services.transitions import change_enrollment
from cohort.views.private_link import enrollment_or_404, keep_private
from forms.applicant import WithdrawForm
from forms.choices import (
    ORGANISATION_SIZES,
    PREREQUISITES,
    ROLES,
    SECTORS,
    SOCIOCRACY_STAGES,
)
from workflows import EnrollmentMachine

bp = Blueprint("applicant", __name__, url_prefix="/a")
bp.after_request(keep_private)


@bp.get("/<token>")
def status(token: str) -> str:
    """Where the application stands, the next step and its deadline."""
    enrollment = enrollment_or_404(token)
    moment = now()
    cohort = enrollment.cohort
    money = account(db.session, enrollment)
    return render_template(
        "applicant/status.html", enrollment=enrollment, cohort=cohort, answers=enrollment.answers,
        state_label=STATE_LABELS[enrollment.state], step=next_step(enrollment, moment, money),
        meetings=viewer_schedule(meeting_spans(cohort), enrollment.time_zone),
        history=history(db.session, enrollment), token=token,
        can_withdraw=enrollment.state in EnrollmentMachine.sources("withdraw"),
        can_cancel=enrollment.state in EnrollmentMachine.sources("cancel"),
        can_register=enrollment.state in EnrollmentMachine.sources("register"),
        balance_payable=enrollment.state in EnrollmentMachine.states_that("balance_payable"),
        money=money,
        withdraw_form=WithdrawForm(),
        labels={"role": ROLES, "organisation_size": ORGANISATION_SIZES, "sector": SECTORS,
                "sociocracy_stage": SOCIOCRACY_STAGES, "prerequisite": PREREQUISITES},
    )


@bp.post("/<token>/withdraw")
def withdraw(token: str) -> Response:
    """Withdraw the application (before registering), after an explicit confirmation."""
    enrollment = enrollment_or_404(token)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for("applicant.status", token=token))
    change_enrollment(db.session, enrollment.id, "withdraw",
                      actor=f"applicant:{enrollment.person.email_normalized}", now=now(),
                      reason=(form.reason.data or "").strip())
    db.session.commit()
    flash("Your application is withdrawn. We have sent you a confirmation.", "success")
    return redirect(url_for("applicant.status", token=token))
