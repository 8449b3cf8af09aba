"""Staff sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from cohort.auth.services import authenticate, end_sessions
from cohort.clock import now
from cohort.extensions import db
from cohort.services import ServiceError
from forms.staff import LoginForm

bp = Blueprint("staff_auth", __name__, url_prefix="/staff")

STAFF_HOME = "/staff/"


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the staff home page (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return STAFF_HOME
    if "\\" in target or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return STAFF_HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return STAFF_HOME
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; on success, go to the page asked for (on this site) or the staff home."""
    target = safe_next(request.args.get("next"))
    form = LoginForm()
    problem = ""
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.email.data or "", form.password.data or "",
                                remote_addr=request.remote_addr or "", now=now())
        except ServiceError as refused:
            db.session.commit()  # keep the record of the failed attempt: it feeds the throttle
            problem, status = refused.message, refused.status_code
        else:
            db.session.commit()
            session.clear()  # a new session, and with it a new CSRF token, for the signed-in user
            g.pop("csrf_token", None)  # Flask-WTF's copy of the old token for this request
            login_user(user)
            return redirect(target)
    elif form.is_submitted():
        status = 422
    return render_template("staff/login.html", form=form, problem=problem), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out everywhere: every session of this account ends, not only this browser's.

    A POST with the CSRF token; never a GET that any page could trigger.
    """
    if current_user.is_authenticated:
        end_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash("You have signed out.", "success")
    return redirect(url_for("staff_auth.login"))
