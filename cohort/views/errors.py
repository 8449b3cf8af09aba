"""Error pages: every refusal is a clear 4xx with words, never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cohort.extensions import db
from cohort.services import ServiceError
from cohort.views import pro
from cohort.views.public import apply_form_again


def _http_error(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", title=error.name, message=error.description,
                           status=error.code), error.code or 500


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    if request.endpoint == "public.apply" and request.view_args:
        return apply_form_again(str(request.view_args.get("slug", "")))
    if request.endpoint == "pro.apply" and request.view_args:
        again = pro.apply_form_again(str(request.view_args.get("slug", "")))
        if again is not None:
            return again
    message = ("This form has expired or was not sent from this site, so nothing was saved. "
               "Go back, reload the page and submit it again.")
    return render_template("error.html", title="Form expired", message=message,
                           status=400), 400


def _service_error(error: ServiceError) -> tuple[str, int]:
    db.session.rollback()
    return render_template("error.html", title="Not possible", message=error.message,
                           status=error.status_code), error.status_code


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ServiceError, _service_error)
