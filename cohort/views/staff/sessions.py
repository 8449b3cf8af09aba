"""Sessions in the console: a cohort's or group's schedule, recordings, questions in advance."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for

from cohort.auth.roles import role_required
from cohort.clock import now
from cohort.extensions import db
from cohort.models import Cohort, Group, GroupSession
from cohort.schedule import local
from cohort.services.group_sessions import (
    SessionPlan,
    SessionProblem,
    cohort_sessions,
    group_by_slugs,
    group_sessions,
    schedule_session,
    session_by_id,
    when_text,
)
from cohort.services.questions import change_question, session_questions
from cohort.services.recordings import (
    RecordingLink,
    RecordingProblem,
    attach_recording,
    open_counts,
    set_recordings_until,
)
from cohort.views.staff import bp
from cohort.views.staff.common import FACILITATION, actor, cohort_or_404
from cohort.views.viewer import chosen_zone
from forms.group_sessions import SessionForm
from forms.questions import QuestionActionForm
from forms.recordings import RecordingForm, RecordingsUntilForm
from workflows import QuestionMachine, Refused


def _group_or_404(community: str, group: str) -> Group:
    found = group_by_slugs(db.session, community, group)
    if found is None:
        abort(404, description="There is no such group.")
    return found


def _schedule(form: SessionForm, *, cohort: Cohort | None, group: Group | None) -> bool:
    """Validate and add; False (with the problem beside its field) when it cannot be added."""
    if not form.validate_on_submit():
        return False
    plan = SessionPlan(kind=form.kind.data, title=form.title.data or "",
                       starts_at=form.instant(form.starts_at.data),
                       duration_minutes=form.duration_minutes.data, join_url=form.join_url.data,
                       questions_close_at=form.instant(form.questions_close_at.data))
    try:
        schedule_session(db.session, plan, cohort=cohort, group=group)
    except SessionProblem as problem:
        db.session.rollback()
        form.starts_at.errors = [*form.starts_at.errors, str(problem)]
        return False
    db.session.commit()
    flash("The session is scheduled.", "success")
    return True


def _page(form: SessionForm, *, title: str, rows: list[GroupSession], zone: str, back: str,
          cohort: Cohort | None = None) -> tuple[str, int]:
    viewer, _ = chosen_zone(zone)
    shown = [(row, when_text(row, zone), when_text(row, viewer)) for row in rows]
    until = RecordingsUntilForm()
    if cohort is not None and cohort.recordings_until is not None and not until.is_submitted():
        until.recordings_until.data = local(cohort.recordings_until, zone).replace(tzinfo=None)
    status = 422 if form.is_submitted() else 200
    return render_template("staff/sessions.html", form=form, title=title, rows=shown, zone=zone,
                           viewer_zone=viewer, back=back, cohort=cohort, until_form=until,
                           opens=open_counts(db.session, [r.id for r in rows]),
                           moment=now()), status


@bp.route("/cohorts/<slug>/sessions", methods=["GET", "POST"])
@role_required(*FACILITATION)
def cohort_session_list(slug: str) -> Response | tuple[str, int]:
    """The cohort's sessions and a form to add one (times in the cohort's zone)."""
    cohort = cohort_or_404(slug)
    form = SessionForm(zone=cohort.time_zone)
    if _schedule(form, cohort=cohort, group=None):
        return redirect(url_for("staff.cohort_session_list", slug=slug), code=303)
    return _page(form, title=cohort.name,
                 rows=cohort_sessions(db.session, cohort.id), zone=cohort.time_zone,
                 back=url_for("staff.dashboard", slug=slug), cohort=cohort)


@bp.route("/communities/<community>/groups/<group>/sessions", methods=["GET", "POST"])
@role_required(*FACILITATION)
def group_session_list(community: str, group: str) -> Response | tuple[str, int]:
    """The group's sessions and a form to add one (times in the community's zone)."""
    found = _group_or_404(community, group)
    zone = found.community.time_zone
    form = SessionForm(zone=zone)
    if _schedule(form, cohort=None, group=found):
        return redirect(url_for("staff.group_session_list", community=community, group=group),
                        code=303)
    return _page(form, title=f"{found.community.name} — {found.name}",
                 rows=group_sessions(db.session, found.id), zone=zone,
                 back=url_for("staff.group", slug=community, group_slug=group))


@bp.route("/sessions/<int:session_id>/recording", methods=["GET", "POST"])
@role_required(*FACILITATION)
def session_recording(session_id: int) -> Response | tuple[str, int]:
    """Attach or replace the recording of a session that has taken place."""
    row = session_by_id(db.session, session_id)
    if row is None:
        abort(404, description="There is no such session.")
    form = RecordingForm(obj=row.recording) if not request.form else RecordingForm()
    if form.validate_on_submit():
        try:
            attach_recording(db.session, row, RecordingLink(form.url.data, form.passcode.data or "",
                                                            form.notes.data or ""),
                             actor=actor(), now=now())
        except RecordingProblem as problem:
            db.session.rollback()
            form.url.errors = [*form.url.errors, str(problem)]
        else:
            db.session.commit()
            flash("The recording is attached. Members of the group can watch it now.", "success")
            return redirect(_owner_page(row), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("staff/recording.html", row=row, form=form,
                           when=when_text(row, row.zone), back=_owner_page(row)), status


@bp.post("/cohorts/<slug>/recordings-until")
@role_required(*FACILITATION)
def recordings_until(slug: str) -> Response:
    """Set (or clear) the last moment the cohort's participants see its recordings."""
    cohort = cohort_or_404(slug)
    form = RecordingsUntilForm()
    if not form.validate_on_submit():
        flash(form.error_text() or "This form has expired; please try again.", "error")
    else:
        value = form.recordings_until.data
        set_recordings_until(db.session, cohort,
                             value.replace(tzinfo=ZoneInfo(cohort.time_zone)) if value else None)
        db.session.commit()
        flash("Saved: how long participants see the recordings.", "success")
    return redirect(url_for("staff.cohort_session_list", slug=slug), code=303)


def _owner_page(row: GroupSession) -> str:
    if row.cohort is not None:
        return url_for("staff.cohort_session_list", slug=row.cohort.slug)
    assert row.group is not None
    return url_for("staff.group_session_list", community=row.group.community.slug,
                   group=row.group.slug)


@bp.get("/sessions/<int:session_id>/questions")
@role_required(*FACILITATION)
def session_question_list(session_id: int) -> str:
    """A Q&A's questions in the order they came, with buttons to answer, hide or show."""
    row = session_by_id(db.session, session_id)
    if row is None:
        abort(404, description="There is no such session.")
    return render_template("staff/questions.html", row=row, when=when_text(row, row.zone),
                           questions=session_questions(db.session, row.id),
                           labels=QuestionMachine.labels(),
                           events=QuestionMachine.event_labels(),
                           events_from=QuestionMachine.events_from,
                           form=QuestionActionForm(), back=_owner_page(row))


@bp.post("/questions/<int:question_id>/<event>")
@role_required(*FACILITATION)
def question_action(question_id: int, event: str) -> Response:
    """Mark a question answered, hide it, or show it again."""
    if event not in QuestionMachine.event_ids():
        abort(404)
    if not QuestionActionForm().validate_on_submit():
        abort(400, description="This form has expired; reload the page and try again.")
    try:
        question = change_question(db.session, question_id, event, now())
    except LookupError:
        abort(404, description="There is no such question.")
    except Refused as refused:
        abort(409, description=str(refused))
    db.session.commit()
    return redirect(url_for("staff.session_question_list", session_id=question.session_id),
                    code=303)
