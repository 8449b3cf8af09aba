"""What every page behind an applicant's private status link shares."""

from __future__ import annotations

from flask import Response, abort

from cohort.extensions import db
from cohort.models import Enrollment
from cohort.services.status import enrollment_by_token


def keep_private(response: Response) -> Response:
    """The token is the key to these pages: never leak it in a Referer header.

    (Nor in a cache: `cohort/security.py` sends no-store for these blueprints.)
    """
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def enrollment_or_404(token: str) -> Enrollment:
    """The enrollment behind the link, or a 404 that says the link is not valid."""
    enrollment = enrollment_by_token(db.session, token)
    if enrollment is None:
        abort(404, description="This status link is not valid. Check the link in your e-mail.")
    return enrollment
