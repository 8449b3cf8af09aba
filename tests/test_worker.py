"""The background worker: requests only write the outbox, the worker sends it (once, however
many workers run), takes the tick's turn one worker at a time, says it is alive, and stops
cleanly on SIGTERM after the message in hand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from cohort.database import read_only
from cohort.extensions import db
from cohort.models import Cohort, OutboxMessage, WorkerHeartbeat
from cohort.worker.loop import Worker
from cohort.worker.turns import job_turn
from tests.factories import csrf_token, form_data, make_cohort, utc
from tests.smtp_server import SmtpTestServer
from tests.worker_helpers import queue_messages, running_worker, wait_for

START = utc("2024-01-10T20:00:00Z")  # the `app` fixture's frozen clock, in UTC
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpTestServer]:
    """A real SMTP server the application's mail goes to."""
    server = SmtpTestServer().start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port)
    yield server
    server.stop()


def outbox_rows(session) -> list[tuple[str, str, int]]:
    """(address, status, attempts) of every message, read without holding SQLite's write lock."""
    with read_only():
        rows = [tuple(r) for r in session.execute(
            select(OutboxMessage.to_address, OutboxMessage.status, OutboxMessage.attempts)
            .order_by(OutboxMessage.id))]
        session.rollback()
    return rows


def heartbeats(session) -> list[str]:
    """The ids of the workers that have a heartbeat row."""
    with read_only():
        ids = list(session.scalars(select(WorkerHeartbeat.worker_id)))
        session.rollback()
    return ids


def test_a_request_that_queues_mail_opens_no_smtp_connection(app, session, client, smtp):
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    data = form_data()
    data["csrf_token"] = csrf_token(client, url)
    before = smtp.connections

    response = client.post(url, data=data)

    assert response.status_code == 302
    assert smtp.connections == before
    assert outbox_rows(session) == [(data["email"], "queued", 0)]
    assert smtp.received == []
    # The worker is what talks to the SMTP server (so the count above could have moved).
    Worker(app, ticks=False).run_once()
    assert smtp.connections == before + 1
    assert [r.rcpt_tos for r in smtp.received] == [(data["email"],)]
    assert outbox_rows(session) == [(data["email"], "sent", 1)]


def test_the_worker_sends_mail_as_it_is_queued_and_says_it_is_alive(app, session, smtp):
    with running_worker(app, worker_id="worker-one") as worker:
        wait_for(lambda: heartbeats(session) == ["worker-one"], what="a heartbeat")
        addresses = queue_messages(session, 3, at=START)
        wait_for(lambda: len(smtp.received) == 3, what="three messages")
        assert not worker.stopping

    assert sorted(r.rcpt_tos[0] for r in smtp.received) == addresses
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses]
    assert heartbeats(session) == []  # a worker that stops takes its heartbeat with it


@pytest.mark.postgres_only
def test_two_workers_never_send_a_message_twice(app, session, smtp):
    addresses = queue_messages(session, 40, at=START)
    smtp.slow_down(0.02)  # both workers are busy at once, each holding a claimed message

    with running_worker(app, worker_id="one"), running_worker(app, worker_id="two"):
        wait_for(lambda: all(status == "sent" for _, status, _ in outbox_rows(session)),
                 timeout=60, what="every message sent")

    received = [r.rcpt_tos for r in smtp.received]
    assert sorted(received) == sorted((a,) for a in addresses)
    assert len({str(r.message["Message-ID"]) for r in smtp.received}) == len(addresses)
    assert outbox_rows(session) == [(a, "sent", 1) for a in addresses]


def test_the_tick_runs_one_worker_at_a_time_and_once_a_minute(app, session):
    every = timedelta(minutes=1)
    results: dict[str, bool] = {}

    def other_worker(name: str, at) -> None:
        with app.app_context():
            with job_turn(db.session, "tick", name, at, every) as mine:
                results[name] = mine
            db.session.remove()

    with job_turn(session, "tick", "first", START, every) as mine:
        assert mine is True
        thread_run(lambda: other_worker("while-first-runs", START + timedelta(minutes=5)))
        cli = app.test_cli_runner().invoke(args=["cohort", "tick"])
    thread_run(lambda: other_worker("same-minute", START + timedelta(seconds=59)))
    thread_run(lambda: other_worker("next-minute", START + timedelta(seconds=61)))

    assert results == {"while-first-runs": False, "same-minute": False, "next-minute": True}
    assert cli.exit_code == 0 and "another tick is running" in cli.output
    assert "closed 0 cohort(s)" in app.test_cli_runner().invoke(args=["cohort", "tick"]).output


def thread_run(work) -> None:
    """Run `work` in another thread (its own session and connection) and wait for it."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and failures == []


def test_the_worker_runs_the_tick(app, session):
    cohort = make_cohort(session, applications_close_at=START - timedelta(hours=1))
    session.commit()
    worker = Worker(app)

    assert worker.tick() is True
    assert worker.tick() is False  # the same minute: the tick already ran

    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"


def test_sigterm_stops_the_worker_after_the_message_in_hand(app, session, smtp, database_url):
    first, second = queue_messages(session, 2, at=START)
    smtp.slow_down(1.5)  # the first message is still in hand when the signal arrives
    env = {**os.environ, "DATABASE_URL": database_url, "COHORT_ENV": "test",
           "COHORT_NOW": START.isoformat(), "MAIL_SERVER": smtp.host,
           "MAIL_PORT": str(smtp.port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "cohort", "worker", "--poll", "0.1",
         "--no-tick"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        def taken() -> bool:
            assert process.poll() is None, process.communicate()[0]  # it died: say why
            return outbox_rows(session)[0][1] == "sending"

        wait_for(taken, timeout=120, what="the worker to start and take the first message")
        assert heartbeats(session)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output
    assert "SIGTERM: stopping after the work in hand" in output
    assert [r.rcpt_tos for r in smtp.received] == [(first,)]
    assert outbox_rows(session) == [(first, "sent", 1), (second, "queued", 0)]
    assert heartbeats(session) == []
