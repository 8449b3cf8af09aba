"""The applicant's private pages, behind the unguessable token of their status link."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for

from cohort.clock import now
from cohort.extensions import db
from cohort.schedule import viewer_schedule
from cohort.services.calendar_feed import feed_token, new_feed_link
from cohort.services.cohorts import meeting_spans
from cohort.services.status import (
    STATE_LABELS,
    account,
    history,
    next_step,
)
from cohort.services.transitions import change_enrollment
from cohort.views.member_session import start_member_session
from cohort.views.private_link import enrollment_or_404, keep_private
from forms.applicant import CalendarLinkForm, WithdrawForm
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
        withdraw_form=WithdrawForm(), calendar_form=CalendarLinkForm(),
        calendar_token=feed_token(db.session, enrollment.person_id,
                                  current_app.config["SECRET_KEY"]),
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


@bp.post("/<token>/calendar")
def calendar_link(token: str) -> Response:
    """Make the person's private calendar link, or replace it (the old one stops working)."""
    enrollment = enrollment_or_404(token)
    if not CalendarLinkForm().validate_on_submit():
        flash("This form has expired; please try again.", "error")
        return redirect(url_for("applicant.status", token=token))
    new_feed_link(db.session, enrollment.person_id, current_app.config["SECRET_KEY"], now())
    db.session.commit()
    flash("Your calendar link is ready below. Any earlier link no longer works.", "success")
    return redirect(url_for("applicant.status", token=token, _anchor="calendar"))


@bp.get("/<token>/members")
def members_area(token: str) -> Response:
    """Open this browser's members' area (sessions, recordings) for the link's person."""
    enrollment = enrollment_or_404(token)
    start_member_session(enrollment.person_id, now())
    return redirect(url_for("members.home"), code=303)
