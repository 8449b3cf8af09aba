"""The facilitators' console at /staff/: cohorts, the review queue, reviews and decisions."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from cohort.views.staff import (  # noqa: E402, F401  (routes register on bp)
    cohorts,
    communities,
    pro_review,
    review,
    sessions,
)
