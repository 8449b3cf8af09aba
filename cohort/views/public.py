"""Public pages: the cohort list, a cohort's page and calendar, and the application form."""

from __future__ import annotations

from dataclasses import fields
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)

from cohort.calendar_ics import cohort_calendar
from cohort.clock import now
from cohort.database import reads_without_transaction
from cohort.extensions import db
from cohort.models import Cohort
from cohort.schedule import region_block, viewer_schedule
from cohort.services.applications import (
    ApplicationData,
    ApplicationsClosed,
    applications_open,
    closed_message,
    registration_ahead,
    submit_application,
)
from cohort.services.cohorts import cohort_by_slug, listed_cohorts, meeting_spans, seat_count
from cohort.services.memberships import listed_communities
from cohort.views.viewer import chosen_zone, remember_zone
from forms.application import ApplicationForm
from forms.timezone import ZoneChoiceForm

bp = Blueprint("public", __name__)


def _cohort_or_404(slug: str, *, with_meetings: bool = False) -> Cohort:
    cohort = cohort_by_slug(db.session, slug, with_meetings=with_meetings)
    if cohort is None:
        abort(404, description="There is no cohort at this address.")
    return cohort


@bp.get("/")
@reads_without_transaction
def index() -> str:
    """Every cohort, those open for applications first."""
    moment = now()
    cohorts = listed_cohorts(db.session, moment)
    return render_template("public/index.html", cohorts=cohorts, now=moment,
                           is_open={c.id: applications_open(c, moment) for c in cohorts},
                           communities=listed_communities(db.session))


@bp.get("/cohorts/<slug>")
@reads_without_transaction
def cohort_page(slug: str) -> Response:
    """Everything an applicant needs to decide: times in the cohort's regions and their own zone."""
    cohort = _cohort_or_404(slug, with_meetings=True)
    moment = now()
    zone, zone_chosen = chosen_zone(cohort.time_zone)
    spans = meeting_spans(cohort)
    page = render_template(
        "public/cohort.html", cohort=cohort, program=cohort.program, now=moment,
        zone=zone, zone_chosen=zone_chosen, zone_form=ZoneChoiceForm(data={"tz": zone}),
        blocks=[region_block(region, spans) for region in cohort.regions],
        own_meetings=viewer_schedule(spans, zone), seats=seat_count(db.session, cohort),
        open_for_applications=applications_open(cohort, moment),
        registration_ahead=registration_ahead(cohort, moment),
        closed_reason=closed_message(cohort, moment),
    )
    return remember_zone(make_response(page))


@bp.get("/cohorts/<slug>/calendar.ics")
@reads_without_transaction
def cohort_calendar_file(slug: str) -> Response:
    """The meetings as an iCalendar file."""
    cohort = _cohort_or_404(slug, with_meetings=True)
    base = current_app.config["BASE_URL"]
    body = cohort_calendar(cohort, host=urlsplit(base).hostname or "localhost", stamp=now(),
                           page_url=f"{base}{url_for('public.cohort_page', slug=slug)}")
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}.ics"'
    return response


@bp.route("/cohorts/<slug>/apply", methods=["GET", "POST"])
@reads_without_transaction
def apply(slug: str) -> Response | tuple[str, int] | str:
    """The application form; closed after the application deadline."""
    cohort = _cohort_or_404(slug)
    moment = now()
    if not applications_open(cohort, moment):
        return render_template("public/apply_closed.html", cohort=cohort,
                               message=closed_message(cohort, moment)), 403
    form = ApplicationForm()
    if not form.is_submitted():
        form.time_zone.data = chosen_zone(cohort.time_zone)[0]
    if form.validate_on_submit():
        data = ApplicationData(**{
            f.name: (getattr(form, f.name).data or "").strip() for f in fields(ApplicationData)
        })
        try:
            submission = submit_application(db.session, cohort, data, moment)
        except ApplicationsClosed as closed:
            db.session.rollback()
            return render_template("public/apply_closed.html", cohort=cohort,
                                   message=closed.message), 403
        db.session.commit()
        # The same answer whether or not the address had applied: its owner is told by e-mail.
        session["applied"] = {"cohort": slug, "email": submission.address}
        return redirect(url_for("public.applied", slug=slug))
    status = 422 if form.is_submitted() else 200
    return render_template("public/apply.html", cohort=cohort, form=form), status


def apply_form_again(slug: str) -> tuple[str, int]:
    """An application whose form token had expired (or was missing): refused, answers kept.

    Nothing is saved; the form comes back filled in as it was sent, with a fresh token, so a
    long application left open too long is not lost. (Called by the CSRF error handler.)
    """
    cohort = _cohort_or_404(slug)
    moment = now()
    if not applications_open(cohort, moment):
        return render_template("public/apply_closed.html", cohort=cohort,
                               message=closed_message(cohort, moment)), 403
    return render_template("public/apply.html", cohort=cohort, form=ApplicationForm(),
                           expired=True), 400


@bp.get("/cohorts/<slug>/applied")
@reads_without_transaction
def applied(slug: str) -> str:
    """The confirmation after a successful application."""
    cohort = _cohort_or_404(slug)
    applied_to = session.get("applied") or {}
    if applied_to.get("cohort") != slug:
        return redirect(url_for("public.cohort_page", slug=slug))
    return render_template("public/applied.html", cohort=cohort, email=applied_to["email"])
