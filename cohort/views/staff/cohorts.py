"""Cohorts in the console: the list, the dashboard, cohort actions, settings, copies, help."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.diagrams import machine_svg
from cohort.extensions import db
from cohort.models import Cohort
from cohort.services.cancellation import cancel_cohort
from cohort.services.cohort_settings import copy_cohort, current_settings, update_settings
from cohort.services.confirmation import confirm_cohort, preview_confirmation
from cohort.services.dashboard import COHORT_ACTIONS, cohort_actions, deadlines
from cohort.services.review_queue import queue_summary, summary_of
from cohort.services.state_counts import count_by_state_of
from cohort.services.status import STATE_LABELS
from cohort.services.transitions import change_cohort
from cohort.views.staff import bp
from cohort.views.staff.common import (
    FACILITATION,
    actor,
    cohort_and_summary_or_404,
    cohort_or_404,
)
from forms.cohort_settings import CohortSettingsForm
from forms.console import CancelCohortForm, ConfirmCohortForm, ConfirmForm, CopyCohortForm
from workflows import CohortMachine, EnrollmentMachine

STAFF = ("facilitator", "finance")


@bp.get("/")
@role_required(*STAFF)
def home() -> str:
    """Every cohort with its state and seats."""
    cohorts = db.session.scalars(
        select(Cohort).options(selectinload(Cohort.meetings)).order_by(Cohort.created_at.desc(),
                                                                        Cohort.id.desc())
    ).all()
    counts = count_by_state_of(db.session, [c.id for c in cohorts])
    summaries = {c.id: summary_of(c, counts[c.id]) for c in cohorts}
    return render_template("staff/home.html", cohorts=cohorts, summaries=summaries)


@bp.get("/cohorts/<slug>")
@role_required(*FACILITATION)
def dashboard(slug: str) -> str:
    """The cohort's state, seats, counts, next deadlines and the actions allowed now."""
    cohort, summary = cohort_and_summary_or_404(slug)
    moment = now()
    return render_template(
        "staff/dashboard.html", cohort=cohort, summary=summary,
        deadlines=deadlines(cohort, moment),
        actions=cohort_actions(db.session, cohort, moment, summary.counts),
        labels=STATE_LABELS, form=ConfirmForm())


@bp.post("/cohorts/<slug>/actions/<event>")
@role_required(*FACILITATION)
def cohort_action(slug: str, event: str) -> Response:
    """Publish, close, reopen, confirm, start or finish (cancelling has its own page)."""
    cohort = cohort_or_404(slug)
    if event not in COHORT_ACTIONS or event == "cancel":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    if event == "confirm":  # invoices go out only from the preview's own button
        return redirect(url_for("staff.confirm_preview", slug=slug), code=303)
    change_cohort(db.session, cohort.id, event, actor=actor(), now=now())
    db.session.commit()
    flash(f"{COHORT_ACTIONS[event][0]}: done. The cohort is now {cohort.state}.", "success")
    return redirect(url_for("staff.dashboard", slug=slug))


@bp.get("/cohorts/<slug>/confirm")
@role_required(*FACILITATION)
def confirm_preview(slug: str) -> str:
    """Each registrant's remainder invoice and e-mail, before confirming sends them."""
    cohort = cohort_or_404(slug)
    preview = preview_confirmation(db.session, cohort, now=now(),
                                   due_days=current_app.config["INVOICE_DUE_DAYS"])
    form = ConfirmCohortForm(data={"enrollment_ids": preview.enrollment_ids})
    return render_template("staff/confirm_preview.html", cohort=cohort, preview=preview,
                           form=form)


@bp.post("/cohorts/<slug>/confirm")
@role_required(*FACILITATION)
def confirm(slug: str) -> Response:
    """Confirm the cohort and invoice the registrants the preview showed (or nobody)."""
    cohort = cohort_or_404(slug)
    form = ConfirmCohortForm()
    if not form.validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    invoices = confirm_cohort(db.session, cohort, actor=actor(), now=now(),
                              due_days=current_app.config["INVOICE_DUE_DAYS"],
                              previewed=form.enrollment_ids.data)
    db.session.commit()
    flash(f"{len(invoices)} remainder invoice(s) issued and e-mailed. "
          f"The cohort is now {cohort.state}.", "success")
    return redirect(url_for("staff.dashboard", slug=slug))


@bp.route("/cohorts/<slug>/cancel", methods=["GET", "POST"])
@role_required(*FACILITATION)
def cancel(slug: str) -> Response | str | tuple[str, int]:
    """Cancel the cohort after a page that states the consequences and asks to confirm."""
    cohort = cohort_or_404(slug)
    form = CancelCohortForm()
    summary = queue_summary(db.session, cohort)
    if form.validate_on_submit():
        cancel_cohort(db.session, cohort, gateway=current_app.extensions.get("cohort.stripe"),
                      actor=actor(), reason=form.reason.data.strip(), now=now())
        db.session.commit()
        flash("The cohort is cancelled. Everyone in it has been told.", "success")
        return redirect(url_for("staff.dashboard", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/cancel.html", cohort=cohort, form=form,
                           summary=summary), status


@bp.route("/cohorts/<slug>/settings", methods=["GET", "POST"])
@role_required("admin")
def settings(slug: str) -> Response | str | tuple[str, int]:
    """Admins edit dates, seats, price, deposit, deadlines, policy and rebate."""
    cohort = cohort_or_404(slug)
    form = CohortSettingsForm(zone=cohort.time_zone)
    if form.validate_on_submit():
        update_settings(db.session, cohort, form.to_settings())
        db.session.commit()
        flash("Settings saved.", "success")
        return redirect(url_for("staff.dashboard", slug=slug))
    if not form.is_submitted():
        form.fill(current_settings(cohort))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/settings.html", cohort=cohort, form=form), status


@bp.route("/cohorts/<slug>/copy", methods=["GET", "POST"])
@role_required("admin")
def copy(slug: str) -> Response | str | tuple[str, int]:
    """Create the next cohort by copying this one with its dates shifted by whole weeks."""
    cohort = cohort_or_404(slug)
    form = CopyCohortForm()
    if form.validate_on_submit():
        created = copy_cohort(db.session, cohort, slug=form.slug.data, weeks=form.weeks.data,
                              now=now())
        db.session.commit()
        flash(f"Created {created.slug} as a draft. Check its settings, then publish it.",
              "success")
        return redirect(url_for("staff.dashboard", slug=created.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("staff/copy.html", cohort=cohort, form=form), status


@bp.get("/help")
@role_required(*STAFF)
def help_page() -> str:
    """What each button does: both state machines drawn from their definitions."""
    return render_template("staff/help.html",
                           enrollment_svg=machine_svg(EnrollmentMachine),
                           cohort_svg=machine_svg(CohortMachine), actions=COHORT_ACTIONS)
