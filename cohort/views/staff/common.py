"""What the console's views share: loading rows or 404, the acting staff member."""

from __future__ import annotations

from flask import Response, abort, redirect, request
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from cohort.extensions import db
from cohort.models import Cohort, Enrollment
from cohort.services.review_queue import QueueSummary, cohort_with_summary

FACILITATION = ("facilitator",)  # admins pass every role check
NO_COHORT = "There is no cohort at this address."


# With its program: pages name it (program — cohort). Built once: only the slug changes.
_COHORT_BY_SLUG = (select(Cohort).where(Cohort.slug == bindparam("slug"))
                   .options(joinedload(Cohort.program)))


def cohort_or_404(slug: str) -> Cohort:
    """Any cohort (drafts included) by slug."""
    cohort = db.session.scalars(_COHORT_BY_SLUG, {"slug": slug}).one_or_none()
    if cohort is None:
        abort(404, description=NO_COHORT)
    return cohort


def cohort_and_summary_or_404(slug: str) -> tuple[Cohort, QueueSummary]:
    """Any cohort by slug with its summary (counts per state), read in one statement."""
    found = cohort_with_summary(db.session, slug)
    if found is None:
        abort(404, description=NO_COHORT)
    return found


def enrollment_or_404(enrollment_id: int) -> Enrollment:
    """An application by id."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404, description="There is no such application.")
    return enrollment


def actor() -> str:
    """How the audit trail names the signed-in staff member."""
    return f"staff:{current_user.email}"


def back_to_referrer(fallback: str) -> Response:
    """Redirect to the page the request came from if it is one of ours, else to `fallback`
    (e.g. a queue, kept as the facilitator left it, after a form sent with nothing ticked)."""
    referrer = request.referrer
    return redirect(referrer if referrer and referrer.startswith(request.host_url) else fallback)
