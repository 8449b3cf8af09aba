"""Serving for real: /healthz (database and worker heartbeat), request ids in the response and
in the log, and gunicorn started with the repository's gunicorn.conf.py.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from flask import current_app

from app import create_app
from cohort.worker.heartbeat import beat
from cohort.worker.loop import Worker
from tests.factories import set_clock, utc
from tests.smtp_server import free_port
from tests.worker_helpers import wait_for

START = utc("2024-01-10T20:00:00Z")  # the `app` fixture's frozen clock, in UTC
PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_healthz_is_ok_when_the_database_answers_and_a_worker_was_just_seen(app, client):
    Worker(app, ticks=False).run_once()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"database": "ok", "worker": {
        "status": "ok", "last_heartbeat_age_seconds": 0.0, "max_age_seconds": 180}}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_unavailable_without_a_worker_or_with_a_late_one(app, session, client):
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").json["worker"] == {
        "status": "none", "last_heartbeat_age_seconds": None, "max_age_seconds": 180}

    beat(session, "gone", hostname="elsewhere", pid=1, now=START)
    set_clock(app, (START + timedelta(seconds=180)).isoformat())
    assert client.get("/healthz").status_code == 200
    set_clock(app, (START + timedelta(seconds=181)).isoformat())
    late = client.get("/healthz")

    assert late.status_code == 503
    assert late.json == {"database": "ok", "worker": {
        "status": "late", "last_heartbeat_age_seconds": 181.0, "max_age_seconds": 180}}


def test_healthz_is_unavailable_when_the_database_does_not_answer():
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/cohort"
    app = create_app({"SQLALCHEMY_DATABASE_URI": nowhere, "COHORT_ENV": "test",
                      "TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {}})

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["database"] == "unavailable"
    assert response.json["worker"]["status"] == "unknown"


def test_a_sane_request_id_is_kept_and_any_other_is_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42:lb1"})
    made = client.get("/healthz")
    refused = [client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
               for bad in ("has space", "x" * 129, "<script>", "-leading-dash", "é")]

    assert kept.headers["X-Request-ID"] == "edge-7f3a.42:lb1"
    assert HEX_ID.fullmatch(made.headers["X-Request-ID"])
    assert all(HEX_ID.fullmatch(rid) for rid in refused)
    assert len(set(refused)) == len(refused)


def test_every_log_line_of_a_request_carries_its_id(app, client, caplog):
    def noisy() -> str:
        current_app.logger.warning("first line")
        logging.getLogger("cohort.anything").warning("second line")
        return "ok"

    app.add_url_rule("/noisy-for-the-test", view_func=noisy)
    with caplog.at_level(logging.INFO):
        response = client.get("/noisy-for-the-test", headers={"X-Request-ID": "trace-1"})
        logging.getLogger("cohort.anything").warning("outside any request")

    assert response.headers["X-Request-ID"] == "trace-1"
    lines = {r.getMessage(): r.request_id for r in caplog.records}
    assert lines == {"first line": "trace-1", "second line": "trace-1",
                     "outside any request": "-"}


def test_gunicorn_serves_with_the_repositorys_config_and_logs_request_ids(
        app, session, database_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "COHORT_ENV": "test",
           "COHORT_NOW": START.isoformat(), "PORT": str(port), "WEB_CONCURRENCY": "1"}
    env.pop("GUNICORN_BIND", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=PROJECT_ROOT,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/healthz"

    def status() -> int | None:
        request = urllib.request.Request(url, headers={"X-Request-ID": "probe-1"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    try:
        assert wait_for(status, timeout=120, what="gunicorn to answer") == 503  # no worker yet
        beat(session, "worker-1", hostname="here", pid=1, now=START)
        assert status() == 200
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert server.returncode == 0, err
    access = [line for line in out.splitlines() if "GET /healthz" in line]
    assert len(access) >= 2 and all("request_id=probe-1" in line for line in access)
    assert '"GET /healthz HTTP/1.1" 200' in out
    assert "Booting worker" in err and "Shutting down: Master" in err


def test_a_web_process_hides_what_it_loaded_from_the_garbage_collector():
    import gc
    import runpy

    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    create_app()  # what a gunicorn process loads before serving
    try:
        settings["post_worker_init"](None)
        # Everything loaded so far lives as long as the process: full collections skip it.
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()
