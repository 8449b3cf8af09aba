"""A community's PRO applications: the queue, one application, my review, decisions (previewed)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.extensions import db
from cohort.models import Membership
from cohort.schedule import format_instant
from cohort.services.pro_review import (
    PRO_DECISIONS,
    apply_pro_decisions,
    load_pro_batch,
    membership_history,
    preview_pro_decisions,
    pro_decisions_allowed,
    pro_queue,
    pro_queue_counts,
)
from cohort.services.review_queue import SORTS, QueueFilter
from cohort.services.reviews import save_review
from cohort.views.community import community_or_404
from cohort.views.staff import bp
from cohort.views.staff.common import FACILITATION, actor, back_to_referrer
from forms.choices import HELPING_OTHERS, S3_TRAINING
from forms.pro_review import ProDecisionForm, ProReviewForm
from workflows import MembershipMachine

STATE_LABELS = MembershipMachine.labels()
ANSWER_LABELS = {"s3_training": dict(S3_TRAINING), "helping_others": dict(HELPING_OTHERS)}


def _membership_or_404(membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or not membership.application:
        abort(404, description="There is no such application.")
    return membership


def _queue_filter() -> QueueFilter:
    page = request.args.get("page", "1")
    return QueueFilter(
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1,
        state=request.args.get("state", "")[:20], search=request.args.get("q", "")[:100],
        sort=request.args.get("sort", "oldest") if request.args.get("sort") in SORTS else "oldest",
        unreviewed_by=current_user.id if request.args.get("mine") == "unreviewed" else None,
    )


@bp.get("/communities/<slug>/queue")
@role_required(*FACILITATION)
def pro_queue_page(slug: str) -> str:
    """A community's applications (PRO): counts, filters, search, sort, who reviewed what."""
    community = community_or_404(slug)
    wanted = _queue_filter()
    listing = pro_queue(db.session, community, wanted)
    reviewed_by_me = {m.id for m in listing.rows
                      for r in m.reviews if r.reviewer_id == current_user.id}
    return render_template(
        "staff/pro_queue.html", community=community, wanted=wanted, sorts=SORTS,
        labels=STATE_LABELS, counts=pro_queue_counts(db.session, community), listing=listing,
        reviewed_by_me=reviewed_by_me, decisions=PRO_DECISIONS, form=ProDecisionForm())


@bp.get("/pro-applications/<int:membership_id>")
@role_required(*FACILITATION)
def pro_application(membership_id: int) -> str:
    """One PRO application: the answers, the applicant's local time, reviews, history."""
    membership = _membership_or_404(membership_id)
    mine = next((r for r in membership.reviews if r.reviewer_id == current_user.id), None)
    return render_template(
        "staff/pro_application.html", membership=membership, community=membership.community,
        answers=membership.application, labels=ANSWER_LABELS, state_labels=STATE_LABELS,
        local_now=format_instant(now(), membership.time_zone),
        history=membership_history(db.session, membership), review_form=ProReviewForm(obj=mine),
        decision_form=ProDecisionForm(data={"membership_ids": [membership.id]}),
        decisions=pro_decisions_allowed(membership), decision_names=PRO_DECISIONS, mine=mine)


@bp.post("/pro-applications/<int:membership_id>/review")
@role_required(*FACILITATION)
def pro_review(membership_id: int) -> Response:
    """Save my review (one per facilitator per application; saving again edits it)."""
    membership = _membership_or_404(membership_id)
    form = ProReviewForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return redirect(url_for("staff.pro_application", membership_id=membership.id))
    save_review(db.session, membership, current_user.id, form.recommendation.data,
                (form.note.data or "").strip(), now())
    db.session.commit()
    flash("Your review is saved.", "success")
    return redirect(url_for("staff.pro_application", membership_id=membership.id))


@bp.post("/communities/<slug>/decisions/preview")
@role_required(*FACILITATION)
def pro_preview(slug: str) -> Response | str:
    """Show exactly what each selected applicant would receive, before anything is sent."""
    community = community_or_404(slug)
    form = ProDecisionForm()
    if not form.validate_on_submit():
        flash(form.error_text(), "error")
        return back_to_referrer(url_for("staff.pro_queue_page", slug=slug))
    batch = load_pro_batch(db.session, community, form.membership_ids.data)
    previews = preview_pro_decisions(db.session, batch, form.event.data,
                                     (form.message.data or "").strip(), now())
    return render_template("staff/pro_decision_preview.html", community=community, form=form,
                           previews=previews, decision=PRO_DECISIONS[form.event.data],
                           state_labels=STATE_LABELS,
                           blocked=any(not p.allowed for p in previews))


@bp.post("/communities/<slug>/decisions")
@role_required(*FACILITATION)
def pro_decide(slug: str) -> Response | tuple[str, int]:
    """Take the previewed decisions, all or nothing, and queue the e-mails."""
    community = community_or_404(slug)
    form = ProDecisionForm()
    if not form.validate_on_submit():
        return render_template("error.html", title="Not possible", message=form.error_text(),
                               status=422), 422
    batch = load_pro_batch(db.session, community, form.membership_ids.data)
    changed = apply_pro_decisions(db.session, batch, form.event.data, actor=actor(),
                                  message=(form.message.data or "").strip(), now=now())
    db.session.commit()
    names = ", ".join(m.person.name for m in changed)
    flash(f"{PRO_DECISIONS[form.event.data]}: {names}. The e-mails are on their way.", "success")
    if len(changed) == 1:
        return redirect(url_for("staff.pro_application", membership_id=changed[0].id))
    return redirect(url_for("staff.pro_queue_page", slug=slug))
