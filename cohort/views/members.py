"""The members' area: a person's page, calendar feed, questions in advance, recordings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)

from cohort.calendar_ics import person_calendar
from cohort.clock import now
from cohort.extensions import db
from cohort.services.calendar_feed import feed_person, feed_token, new_feed_link
from cohort.services.group_sessions import when_text
from cohort.services.member_page import member_page
from cohort.services.questions import (
    QuestionRefused,
    ask_question,
    open_session,
    own_questions,
    questions_close_at,
)
from cohort.services.recordings import open_recording
from cohort.services.reminders import reminders_on, set_reminders
from cohort.services.session_access import sessions_open_to
from cohort.views.member_session import member_person_id
from cohort.views.private_link import keep_private
from cohort.views.viewer import chosen_zone
from forms.applicant import CalendarLinkForm
from forms.questions import QuestionForm, RemindersForm

bp = Blueprint("members", __name__)
bp.after_request(keep_private)

NO_SESSION = ("Open your page from the link in your e-mails (your status link, or the Customer "
              "Hub): it lets this browser in for two hours.")


@bp.get("/members")
def home() -> str:
    """The person's groups, upcoming sessions (their zone and the group's), recordings, terms."""
    person_id = member_person_id()
    if person_id is None:
        abort(401, description=NO_SESSION)
    page = member_page(db.session, person_id, now())
    if page is None:
        abort(404, description="There is nobody at this address any more.")
    zone, _ = chosen_zone(page.zone)
    switch = RemindersForm(data={"reminders": "on" if reminders_on(db.session, person_id)
                                 else "off"})
    return render_template(
        "members/home.html", page=page, zone=zone, when=when_text, reminders_form=switch,
        calendar_form=CalendarLinkForm(),
        calendar_token=feed_token(db.session, person_id, current_app.config["SECRET_KEY"]))


@bp.get("/recordings/<int:recording_id>")
def recording(recording_id: int) -> Response:
    """Check access now, count the open, and send the browser on to the video."""
    person_id = member_person_id()
    if person_id is None:
        abort(404, description="There is no recording here for you. " + NO_SESSION)
    url = open_recording(db.session, recording_id, person_id, now())
    if url is None:
        abort(404, description="There is no recording here for you.")
    db.session.commit()
    return redirect(url, code=303)


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str) -> Response:
    """Every session the link's owner can enter now, as an iCalendar feed."""
    person_id = feed_person(db.session, token)
    if person_id is None:
        abort(404, description="This calendar link is not valid any more. Get the new one from "
                               "your page.")
    base = current_app.config["BASE_URL"]
    moment = now()
    body = person_calendar(sessions_open_to(db.session, person_id, moment),
                           host=urlsplit(base).hostname or "localhost", stamp=moment,
                           page_url=f"{base}/members")
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    return response


@bp.route("/members/sessions/<int:session_id>/questions", methods=["GET", "POST"])
def questions(session_id: int) -> Response | tuple[str, int]:
    """Send a question in advance for a Q&A session, and see one's own and their state."""
    person_id = member_person_id()
    if person_id is None:
        abort(401, description=NO_SESSION)
    moment = now()
    row = open_session(db.session, person_id, session_id, moment)
    if row is None or row.kind != "qa":
        abort(404, description="There is no Q&A session here for you.")
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            ask_question(db.session, row, person_id, form.body.data or "", moment)
        except QuestionRefused as refused:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(refused)]
        else:
            db.session.commit()
            flash("Thank you: your question is with the facilitators.", "success")
            return redirect(url_for("members.questions", session_id=session_id), code=303)
    zone, _ = chosen_zone(row.zone)
    page = render_template("members/questions.html", row=row, form=form, zone=zone,
                           when=when_text, closes=questions_close_at(row),
                           is_open=moment < questions_close_at(row),
                           mine=own_questions(db.session, person_id, row.id))
    return page, 422 if form.errors else 200


@bp.post("/members/reminders")
def reminders() -> Response:
    """Turn the day-before session reminders on or off."""
    person_id = member_person_id()
    if person_id is None:
        abort(401, description=NO_SESSION)
    form = RemindersForm()
    if not form.validate_on_submit():
        flash(form.error_text() or "This form has expired; please try again.", "error")
        return redirect(url_for("members.home"), code=303)
    on = form.reminders.data == "on"
    set_reminders(db.session, person_id, on=on, now=now())
    db.session.commit()
    flash("Session reminders are on." if on else "Session reminders are off.", "success")
    return redirect(url_for("members.home"), code=303)


@bp.post("/members/calendar")
def calendar_link() -> Response:
    """Make the person's private calendar link, or replace it (the old one stops working)."""
    person_id = member_person_id()
    if person_id is None:
        abort(401, description=NO_SESSION)
    if not CalendarLinkForm().validate_on_submit():
        flash("This form has expired; please try again.", "error")
        return redirect(url_for("members.home"), code=303)
    new_feed_link(db.session, person_id, current_app.config["SECRET_KEY"], now())
    db.session.commit()
    flash("Your calendar link is ready below. Any earlier link no longer works.", "success")
    return redirect(url_for("members.home", _anchor="calendar"), code=303)
