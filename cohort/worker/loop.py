"""`flask --app app cohort worker`: the loop that delivers mail and runs the tick.

Each round it says it is alive (every HEARTBEAT_SECONDS), renders and stores the PDFs of newly
issued documents (`cohort.invoices.stored`), sends the due outbox messages, and
every TICK_CHECK_SECONDS asks for the tick's turn (one worker at a time, once a minute across
all of them: `cohort.worker.turns`). When a round found nothing to do it sleeps `poll` seconds,
so mail written by a request leaves within about that long. `stop()` (SIGTERM, SIGINT) ends
the loop after the message in hand; the worker then removes its heartbeat.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from flask import Flask, current_app

from cohort.clock import now
from cohort.database import read_only
from cohort.extensions import db
from cohort.invoices.stored import Backlog, store_missing
from cohort.mail.delivery import deliver_due
from cohort.mail.settings import smtp_settings
from cohort.services.state_counts import changes_to_fold, fold_state_changes
from cohort.timekeeping import TickReport, tick
from cohort.worker.heartbeat import beat, forget
from cohort.worker.turns import job_turn

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
TICK_EVERY = timedelta(minutes=1)
TICK_CHECK_SECONDS = 5.0
MAIL_BATCH = 20
DOCUMENT_BATCH = 5
PAUSE_AFTER_ERROR = 5.0


class Worker:
    """One worker process (or thread, in tests); `run()` until `stop()`."""

    def __init__(self, app: Flask, *, poll: float = 1.0, ticks: bool = True,
                 worker_id: str | None = None) -> None:
        self.app = app
        self.poll = poll
        self.ticks = ticks
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = worker_id or f"{self.hostname}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._next_beat = 0.0
        self._next_tick_check = 0.0
        self._documents = Backlog()  # how far issued documents' PDFs are known to be stored

    def stop(self) -> None:
        """Ask the loop to end after what it is doing (safe from a signal handler)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopping.is_set()

    def run(self) -> None:
        """Loop until stopped; errors (e.g. the database away) are logged and retried."""
        with self.app.app_context():
            logger.info("worker %s started", self.worker_id)
            try:
                while not self.stopping:
                    try:
                        busy = self.run_once()
                    except Exception:
                        logger.exception("worker round failed; trying again shortly")
                        db.session.rollback()
                        self._stopping.wait(PAUSE_AFTER_ERROR)
                        continue
                    if not busy:
                        self._stopping.wait(self.poll)
            finally:
                try:
                    forget(db.session, self.worker_id)
                except Exception:
                    logger.exception("could not remove the heartbeat of %s", self.worker_id)
                db.session.remove()
                logger.info("worker %s stopped", self.worker_id)

    def run_once(self) -> bool:
        """One round (inside an app context). True when it stored PDFs, sent or tried mail, or
        folded enrollment counts."""
        session = db.session
        if time.monotonic() >= self._next_beat:
            beat(session, self.worker_id, hostname=self.hostname, pid=self.pid, now=now())
            self._next_beat = time.monotonic() + HEARTBEAT_SECONDS
        # Issued documents' PDFs first: mail that attaches them then reads stored bytes.
        busy = store_missing(session, limit=DOCUMENT_BATCH, backlog=self._documents,
                             should_stop=lambda: self.stopping) > 0
        settings = smtp_settings()
        if settings is not None and not self.stopping:
            sent, failed = deliver_due(session, settings, now(), limit=MAIL_BATCH,
                                       should_stop=lambda: self.stopping)
            busy = busy or sent + failed > 0
        if not self.stopping:
            busy = self.fold_counts() or busy
        if self.ticks and not self.stopping and time.monotonic() >= self._next_tick_check:
            self._next_tick_check = time.monotonic() + TICK_CHECK_SECONDS
            self.tick()
        return busy

    def fold_counts(self) -> bool:
        """Fold the enrollments' state changes into their counts; True if there were any."""
        session = db.session
        with read_only():  # looking takes no write lock on SQLite
            pending = changes_to_fold(session)
            session.rollback()
        if not pending:
            return False
        folded = fold_state_changes(session)
        session.commit()
        return folded > 0

    def tick(self) -> bool:
        """Run the tick if it is this worker's turn; True if it ran."""
        session = db.session
        moment = now()
        with job_turn(session, "tick", self.worker_id, moment, TICK_EVERY) as mine:
            if not mine:
                return False
            report = tick(session, moment, None, current_app.extensions.get("cohort.stripe"))
            did_something = report.summary() != TickReport().summary()
            logger.log(logging.INFO if did_something else logging.DEBUG, "tick: %s",
                       report.summary())
            return True
