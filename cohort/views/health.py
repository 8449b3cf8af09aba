"""`/healthz` for load balancers and monitoring: the database answers and a worker is alive."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify

from cohort.clock import now
from cohort.extensions import db
from cohort.worker.heartbeat import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 with JSON when the database answers and a worker was seen lately, else 503."""
    max_age = timedelta(seconds=current_app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"])
    report = health(db.session, now(), max_age)
    response = jsonify(report.as_json())
    response.status_code = 200 if report.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
