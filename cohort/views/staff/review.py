"""The review queue, one application, my review, and decisions (previewed before sending)."""

from __future__ import annotations

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.database import reads_without_transaction
from cohort.extensions import db
from cohort.schedule import format_instant
from cohort.services.applicant_export import applicants_csv
from cohort.services.as_of import shown_states
from cohort.services.decisions import (
    DECISIONS,
    apply_decisions,
    decisions_allowed,
    load_batch,
    preview_decisions,
)
from cohort.services.review_queue import (
    SORTS,
    QueueFilter,
    all_applications,
    review_queue,
)
from cohort.services.reviews import save_review
from cohort.services.status import STATE_LABELS, history
from cohort.views.staff import bp
from cohort.views.staff.common import (
    FACILITATION,
    actor,
    back_to_referrer,
    cohort_and_summary_or_404,
    cohort_or_404,
    enrollment_or_404,
)
from forms.choices import (
    ORGANISATION_SIZES,
    PREREQUISITES,
    ROLES,
    SECTORS,
    SOCIOCRACY_STAGES,
)
from forms.console import DecisionForm, ReviewForm

ANSWER_LABELS = {"role": ROLES, "organisation_size": ORGANISATION_SIZES, "sector": SECTORS,
                 "sociocracy_stage": SOCIOCRACY_STAGES, "prerequisite": PREREQUISITES}


def _queue_filter() -> QueueFilter:
    page = request.args.get("page", "1")
    return QueueFilter(
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1,
        state=request.args.get("state", "")[:20], search=request.args.get("q", "")[:100],
        sort=request.args.get("sort", "oldest") if request.args.get("sort") in SORTS else "oldest",
        unreviewed_by=current_user.id if request.args.get("mine") == "unreviewed" else None,
    )


@bp.get("/cohorts/<slug>/applications")
@reads_without_transaction
@role_required(*FACILITATION)
def queue(slug: str) -> str:
    """Applications of a cohort: counts, filters, search, sort, who reviewed what."""
    cohort, summary = cohort_and_summary_or_404(slug)
    wanted = _queue_filter()
    listing = review_queue(db.session, cohort, wanted, summary)
    me = current_user.id  # once: each use of the proxy looks the user up again
    reviewed_by_me = {e.id for e in listing.rows for r in e.reviews if r.reviewer_id == me}
    return render_template(
        "staff/queue.html", cohort=cohort, wanted=wanted, sorts=SORTS, labels=STATE_LABELS,
        summary=summary, listing=listing, shown=shown_states(listing.rows, now()),
        enrollments=listing.rows, reviewed_by_me=reviewed_by_me, decisions=DECISIONS,
        form=DecisionForm())


@bp.get("/cohorts/<slug>/applications.csv")
@role_required(*FACILITATION)
def export_csv(slug: str) -> Response:
    """Every application of the cohort as CSV."""
    cohort = cohort_or_404(slug)
    response = make_response(applicants_csv(cohort, all_applications(db.session, cohort)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-applicants.csv"'
    return response


@bp.get("/applications/<int:enrollment_id>")
@role_required(*FACILITATION)
def application(enrollment_id: int) -> str:
    """One application: all answers, the applicant's local time, reviews, history, decisions."""
    enrollment = enrollment_or_404(enrollment_id)
    mine = next((r for r in enrollment.reviews if r.reviewer_id == current_user.id), None)
    review_form = ReviewForm(obj=mine)
    decision_form = DecisionForm(data={"enrollment_ids": [enrollment.id]})
    return render_template(
        "staff/application.html", enrollment=enrollment, cohort=enrollment.cohort,
        answers=enrollment.answers, labels=ANSWER_LABELS, state_label=STATE_LABELS,
        local_now=format_instant(now(), enrollment.time_zone), history=history(
            db.session, enrollment), review_form=review_form, decision_form=decision_form,
        decisions=decisions_allowed(enrollment), decision_names=DECISIONS, mine=mine)


@bp.post("/applications/<int:enrollment_id>/review")
@role_required(*FACILITATION)
def review(enrollment_id: int) -> Response | tuple[str, int]:
    """Save my review (one per facilitator per application; saving again edits it)."""
    enrollment = enrollment_or_404(enrollment_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for("staff.application", enrollment_id=enrollment.id))
    save_review(db.session, enrollment, current_user.id, form.recommendation.data,
                (form.note.data or "").strip(), now())
    db.session.commit()
    flash("Your review is saved.", "success")
    return redirect(url_for("staff.application", enrollment_id=enrollment.id))


@bp.post("/cohorts/<slug>/decisions/preview")
@role_required(*FACILITATION)
def preview(slug: str) -> Response | str:
    """Show exactly what each selected applicant would receive, before anything is sent."""
    cohort = cohort_or_404(slug)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")  # e.g. nothing ticked: back to the queue, kept as it was
        return back_to_referrer(url_for("staff.queue", slug=slug))
    batch = load_batch(db.session, cohort, form.enrollment_ids.data)
    previews = preview_decisions(db.session, cohort, batch, form.event.data,
                                 (form.message.data or "").strip(), now())
    return render_template("staff/decision_preview.html", cohort=cohort, form=form,
                           previews=previews, decision=DECISIONS[form.event.data],
                           state_labels=STATE_LABELS,
                           blocked=any(not p.allowed for p in previews))


@bp.post("/cohorts/<slug>/decisions")
@role_required(*FACILITATION)
def decide(slug: str) -> Response | tuple[str, int]:
    """Take the previewed decisions, all or nothing, and queue the e-mails."""
    cohort = cohort_or_404(slug)
    form = DecisionForm()
    if not form.validate_on_submit():
        problems = form.error_text()
        return render_template("error.html", title="Not possible", message=problems,
                               status=422), 422
    batch = load_batch(db.session, cohort, form.enrollment_ids.data)
    changed = apply_decisions(db.session, cohort, batch, form.event.data, actor=actor(),
                              message=(form.message.data or "").strip(), now=now())
    db.session.commit()
    names = ", ".join(e.person.name for e in changed)
    flash(f"{DECISIONS[form.event.data]}: {names}. The e-mails are on their way.", "success")
    if len(changed) == 1:
        return redirect(url_for("staff.application", enrollment_id=changed[0].id))
    return redirect(url_for("staff.queue", slug=slug))
