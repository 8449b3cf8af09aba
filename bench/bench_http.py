"""HTTP benchmark: the service under gunicorn on PostgreSQL, against a bare Flask + SQLAlchemy app.

    .venv/bin/python bench/bench_http.py            (or: make bench)

What it does, all on this machine and bounded in time:

1. creates a fresh PostgreSQL database (`cohort_bench_<random>`) on the server of
   BENCH_DATABASE_URL (default: the tests' server, postgresql://postgres@127.0.0.1:5432/test),
   migrates it with `flask db upgrade`, seeds the demo with the clock at 2024-01-10 12:00 Pacific
   (so cop-2024 is open) and creates a facilitator with `flask users create`;
2. bulk-inserts 10,000 submitted applications into cop-2024 (SQLAlchemy Core executemany) and
   10,000 rows into the baseline's own table (unique index on `key`), then ANALYZEs;
3. starts the service (`app:create_app()`, COHORT_ENV=production) and the baseline
   (`bench/baseline_app.py`) under gunicorn, each with 2 **sync** workers on 127.0.0.1;
4. from this process (client threads, loopback only) measures
   - submissions: a GET of the application form (for its CSRF token) and the POST, counted as
     one submission; 4 client threads. The baseline is measured with the same shape, a GET
     (`/select`, one indexed select) and a POST (`/insert`, one insert, committed) per
     operation, so both sides pay two HTTP round trips, one read and one write;
   - the review queue (signed in as the facilitator, once per client thread) against the
     baseline's `GET /select`: median and p95 latency; 2 client threads, one per worker, so the
     latencies are service times rather than time queued behind the client's own requests.
     At most 300 loads, and none started after 90 s: the queue is one unpaginated page, so
     with 10,000 applications a load takes seconds and the time budget usually ends the phase
     (the report says how many loads were measured);
   Baseline and service alternate in 5 rounds per measurement, so that noise on the machine
   falls on both alike;
5. prints each figure with its ratio to the baseline measured in the same run, writes them to
   artifacts/bench/http.json, then stops both servers and drops the database, also on errors,
   Ctrl-C, SIGTERM or the overall time limit.

Why sync workers: the service's requests are short and blocking (template rendering and
PostgreSQL round trips, no long polling or streaming), which is what gunicorn's sync worker is
for; it is gunicorn's default and what its documentation recommends behind a buffering proxy.
With one request per worker at a time, both applications run at exactly the same concurrency
(2), so the ratios compare the work per request and not thread scheduling; gthread would add
GIL contention inside each worker, which on 2 cores shared with PostgreSQL and the client would
blur the comparison. (Sync workers close each connection: the client opens one TCP connection
per request on both sides, as a browser behind a proxy would cause.)

Cookies: the service runs with COHORT_ENV=production, so its cookies are marked Secure. The
client keeps and sends them over plain HTTP on loopback, as a TLS-terminating proxy in front of
gunicorn would.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import itertools
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from baseline_app import Base as BaselineBase  # noqa: E402  (bench/ is this script's directory)
from baseline_app import Item  # noqa: E402

from cohort.demo import SEED_SLUG  # noqa: E402
from cohort.models import ApplicationAnswers, Cohort, Enrollment, Person  # noqa: E402
from cohort.services.review_queue import PER_PAGE  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COHORT_NOW = "2024-01-10T12:00:00-08:00"
FACILITATOR = "bench-facilitator@example.org"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
QUEUE_ROW = re.compile(rb'name="enrollment_ids" value="\d+"')
HTTP_TIMEOUT = 60.0
WORKERS = 2
WORKER_CLASS = "sync"

ANSWERS = {
    "organisation": "Analytical Engines Ltd", "role": "ceo", "role_title": "",
    "organisation_size": "10-49", "sector": "for_profit", "sociocracy_stage": "early",
    "prerequisite": "taken", "prerequisite_details": "",
    "hopes_to_bring": "Ten years of leading a company through change.",
    "hopes_to_gain": "Peers who wrestle with the same questions.",
}
COUNTRIES = [("US", "America/New_York"), ("CA", "America/Toronto"),
             ("AU", "Australia/Sydney"), ("NZ", "Pacific/Auckland"), ("GB", "Europe/London"),
             ("DE", "Europe/Berlin"), ("US", "America/Los_Angeles")]


class BenchError(RuntimeError):
    """The benchmark cannot produce a trustworthy figure."""


def log(message: str) -> None:
    """Progress on stderr, so that stdout carries only the figures."""
    print(f"[bench_http {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the database


@contextmanager
def fresh_database(admin_url: URL) -> Iterator[URL]:
    """A new, empty database on the admin URL's server; dropped on the way out, whatever happens."""
    name = f"cohort_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        log(f"created database {name}")
        try:
            yield admin_url.set(database=name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped database {name}")
    finally:
        admin.dispose()


def flask_cli(url: URL, env: dict[str, str], *args: str) -> None:
    """`flask --app app …` against the benchmark database (bounded in time)."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0:
        raise BenchError(f"flask {' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")


def bulk_applications(engine: Engine, how_many: int) -> int:
    """Insert `how_many` submitted applications into the seed cohort; return its id."""
    people, enrollments, answers = (Person.__table__, Enrollment.__table__,
                                    ApplicationAnswers.__table__)
    start = datetime(2023, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        cohort_id = conn.scalar(select(Cohort.__table__.c.id)
                                .where(Cohort.__table__.c.slug == SEED_SLUG))
        if cohort_id is None:
            raise BenchError(f"the demo seed did not create {SEED_SLUG}")
        for first in range(0, how_many, 2_000):
            numbers = range(first, min(first + 2_000, how_many))
            rows = []
            for n in numbers:
                email = f"leader-{n:05d}@bench.example.org"
                when = start + timedelta(minutes=5 * n)
                rows.append({"email": email, "email_normalized": email,
                             "name": f"Leader {n:05d}", "created_at": when})
            person_ids = conn.execute(
                insert(people).returning(people.c.id, sort_by_parameter_order=True),
                rows).scalars().all()
            enrollment_rows = []
            for n, person_id, row in zip(numbers, person_ids, rows, strict=True):
                country, zone = COUNTRIES[n % len(COUNTRIES)]
                enrollment_rows.append({
                    "cohort_id": cohort_id, "person_id": person_id, "state": "submitted",
                    "status_token": secrets.token_urlsafe(32), "time_zone": zone,
                    "country": country, "submitted_at": row["created_at"],
                    "state_changed_at": row["created_at"]})
            enrollment_ids = conn.execute(
                insert(enrollments).returning(enrollments.c.id, sort_by_parameter_order=True),
                enrollment_rows).scalars().all()
            conn.execute(insert(answers), [
                {**ANSWERS, "enrollment_id": enrollment_id, "full_name": row["name"],
                 "organisation": f"Organisation {n % 997}", "country": e["country"],
                 "time_zone": e["time_zone"], "form_version": 1}
                for n, enrollment_id, row, e in zip(numbers, enrollment_ids, rows,
                                                    enrollment_rows, strict=True)])
    return cohort_id


def baseline_rows(engine: Engine, how_many: int) -> list[str]:
    """The baseline's table with `how_many` rows; returns their keys (for the selects)."""
    BaselineBase.metadata.create_all(engine)
    keys = [secrets.token_urlsafe(24) for _ in range(how_many)]
    payload = urlencode(application_form("someone@bench.example.org", "token"))
    with engine.begin() as conn:
        conn.execute(insert(Item.__table__), [{"key": k, "payload": payload} for k in keys])
    return keys


# --------------------------------------------------------------------------- the servers


def free_port() -> int:
    """A port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """One gunicorn master (in its own process group) and where it listens."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL to its group after 15 s."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        # Workers left behind by a killed master would still hold database connections.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        log(f"stopped {self.name} (gunicorn pid {self.process.pid})")


def start_gunicorn(name: str, target: str, env: dict[str, str], out_dir: Path,
                   extra: list[str]) -> Server:
    """`gunicorn target` with the benchmark's settings, on a free loopback port."""
    port = free_port()
    log_path = out_dir / f"gunicorn-{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
               "--worker-class", WORKER_CLASS, "--bind", f"127.0.0.1:{port}",
               "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
               "--error-logfile", str(log_path), *extra, target]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log(f"started {name}: gunicorn pid {process.pid} on 127.0.0.1:{port}")
    return Server(name, port, process, log_path)


def wait_until_serving(server: Server, path: str, within: float = 60.0) -> None:
    """Poll `path` until it answers 200, the server dies, or `within` seconds pass."""
    deadline = time.monotonic() + within
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited ({server.process.returncode}); see "
                             f"{server.log_path}:\n{tail(server.log_path)}")
        try:
            status, _, _ = Browser(server.port).request("GET", path)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not serve {path} within {within:.0f} s ({last}); "
                     f"see {server.log_path}:\n{tail(server.log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    """The end of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- the client


class Browser:
    """One client session: a cookie jar and one HTTP request per connection (as sync gunicorn
    answers with `Connection: close` anyway). Secure cookies are kept: see the module notes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        """Send one request; return status, headers and the whole body."""
        headers = {"User-Agent": "cohort-bench/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            attributes = attributes.lower()
            if not value or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, data

    def form_token(self, path: str) -> str:
        """GET a page with a form and return its CSRF token."""
        status, _, page = self.request("GET", path)
        match = CSRF.search(page.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise BenchError(f"GET {path}: HTTP {status}, no CSRF token")
        return match.group(1)


def application_form(email: str, token: str) -> dict[str, str]:
    """A complete application as the browser posts it."""
    return {"csrf_token": token, "full_name": "Ada Lovelace", "email": email, **ANSWERS,
            "country": "US", "time_zone": "America/New_York"}


def sign_in(browser: Browser, email: str, password: str) -> None:
    """Sign in through /staff/login as a browser would."""
    token = browser.form_token("/staff/login")
    status, _, body = browser.request("POST", "/staff/login", {
        "email": email, "password": password, "csrf_token": token})
    if status != 302:
        raise BenchError(f"sign-in refused: HTTP {status} {body[:300]!r}")


# --------------------------------------------------------------------------- measuring


@dataclass
class Phase:
    """What one measured phase did."""

    name: str
    threads: int
    requested: int
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    stopped_by_time: bool = False
    rounds: int = 0

    @property
    def per_second(self) -> float:
        """Completed operations per second of wall time."""
        return self.completed / self.seconds if self.seconds else 0.0

    def median(self) -> float:
        """The median latency, in ms."""
        return statistics.median(self.latencies_ms) if self.latencies_ms else math.nan

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

    def summary(self) -> dict[str, Any]:
        """The figures for the JSON file."""
        return {"threads": self.threads, "rounds": self.rounds, "requested": self.requested,
                "completed": self.completed, "seconds": round(self.seconds, 3),
                "per_second": round(self.per_second, 2),
                "median_ms": round(self.median(), 2) if self.latencies_ms else None,
                "mean_ms": round(statistics.fmean(self.latencies_ms), 2)
                if self.latencies_ms else None,
                "p95_ms": round(self.percentile(0.95), 2) if self.latencies_ms else None,
                "stopped_by_time_budget": self.stopped_by_time,
                "errors": len(self.errors), "first_errors": self.errors[:5],
                "latencies_ms": [round(ms, 1) for ms in sorted(self.latencies_ms)]}


def run_round(phase: Phase, clients: list[Any], total: int, budget: float,
              operation: Callable[[Any], None]) -> None:
    """`total` more operations for `phase`, one client per thread; none starts after `budget` s.

    Clients are made (and signed in) by the caller, once, and reused round after round.
    """
    tickets = itertools.count()
    lock = threading.Lock()
    ready = threading.Barrier(len(clients) + 1, timeout=60)
    deadline = [math.inf]
    ended: list[float] = []
    errors_before = len(phase.errors)
    completed_before = phase.completed

    def work(client: Any) -> None:
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        while time.monotonic() < deadline[0]:
            with lock:
                if next(tickets) >= total:
                    break
            began = time.perf_counter()
            try:
                operation(client)
            except Exception as error:
                with lock:
                    phase.errors.append(repr(error)[:300])
                    if len(phase.errors) >= 10:
                        deadline[0] = 0.0  # something is wrong: stop, report
                continue
            finished = time.perf_counter()
            with lock:
                phase.completed += 1
                phase.latencies_ms.append((finished - began) * 1000)
                ended.append(finished)

    workers = [threading.Thread(target=work, args=(client,), daemon=True)
               for client in clients]
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    deadline[0] = time.monotonic() + budget
    for worker in workers:
        worker.join(timeout=budget + HTTP_TIMEOUT + 10)
    if any(worker.is_alive() for worker in workers):
        raise BenchError(f"{phase.name}: client threads still busy after the time budget")
    seconds = (max(ended) if ended else time.perf_counter()) - started
    done = phase.completed - completed_before
    failed = len(phase.errors) - errors_before
    phase.seconds += seconds
    phase.rounds += 1
    if done + failed < total:
        phase.stopped_by_time = True
    log(f"{phase.name}: {done}/{total} in {seconds:.1f} s"
        f"{' (time budget reached)' if done + failed < total else ''}"
        f"{f', {failed} errors' if failed else ''}")


def shares(total: int, rounds: int) -> list[int]:
    """`total` split into `rounds` near-equal parts."""
    return [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]


def interleaved(baseline: Phase, service: Phase, baseline_clients: list[Any],
                service_clients: list[Any], rounds: int, baseline_op: Callable[[Any], None],
                service_op: Callable[[Any], None], baseline_budget: float,
                service_budget: float) -> None:
    """Baseline and service in alternating rounds, so that noise on the machine (other
    processes, autovacuum, the page cache) falls on both alike."""
    for base_total, service_total in zip(shares(baseline.requested, rounds),
                                         shares(service.requested, rounds), strict=True):
        run_round(baseline, baseline_clients, base_total, baseline_budget / rounds, baseline_op)
        run_round(service, service_clients, service_total, service_budget / rounds, service_op)


def warm_up(name: str, clients: list[Any], total: int, operation: Callable[[Any], None]) -> Phase:
    """A short phase that is not counted: every worker imports, renders and fills its pool."""
    phase = Phase(name, len(clients), total)
    run_round(phase, clients, total, 60, operation)
    if phase.errors:
        raise BenchError(f"{name} failed: {phase.errors[:3]}")
    return phase


def expect(status: int, wanted: int, what: str, body: bytes = b"") -> None:
    """Raise unless the response had the wanted status."""
    if status != wanted:
        raise BenchError(f"{what}: HTTP {status} (wanted {wanted}) {body[:200]!r}")


# --------------------------------------------------------------------------- the run


def arguments() -> argparse.Namespace:
    """Command-line options; the defaults are what `make bench` runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--applications", type=int, default=10_000,
                        help="applications bulk-inserted before measuring (default 10,000)")
    parser.add_argument("--submissions", type=int, default=300,
                        help="submissions measured, and baseline insert pairs (default 300)")
    parser.add_argument("--queue-loads", type=int, default=300,
                        help="review-queue loads measured, and baseline selects (default 300)")
    parser.add_argument("--threads", type=int, default=4,
                        help="client threads for submissions (default 4)")
    parser.add_argument("--latency-threads", type=int, default=WORKERS,
                        help="client threads for the latency phases (default: one per worker)")
    parser.add_argument("--phase-seconds", type=float, default=60.0,
                        help="no new submission or baseline request starts after this long "
                             "in its phase (default 60)")
    parser.add_argument("--queue-seconds", type=float, default=90.0,
                        help="no new queue load starts after this long (default 90)")
    parser.add_argument("--time-limit", type=int, default=900,
                        help="the whole run is stopped (and cleaned up) after this (default 900)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="baseline and service alternate in this many rounds (default 5)")
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts/bench/http.json")
    return parser.parse_args()


def _stop_on(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def _out_of_time(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the benchmark's overall time limit was reached")


def main() -> int:
    """Run the whole benchmark; the exit status is 0 only when every request succeeded."""
    args = arguments()
    signal.signal(signal.SIGTERM, _stop_on)
    signal.signal(signal.SIGHUP, _stop_on)
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(args.time_limit)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    admin_url = make_url(os.environ.get("BENCH_DATABASE_URL")
                         or os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL)
    if admin_url.drivername in ("postgresql", "postgres"):
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    began = time.monotonic()
    try:
        with fresh_database(admin_url) as url:
            servers: list[Server] = []
            try:
                return measure(args, url, servers, began)
            finally:  # before the database goes: the servers hold connections to it
                for server in servers:
                    server.stop()
    finally:
        signal.alarm(0)


def measure(args: argparse.Namespace, url: URL, servers: list[Server], began: float) -> int:
    """Everything between creating and dropping the database."""
    database_url = url.render_as_string(hide_password=False)
    password = secrets.token_urlsafe(18)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "STRIPE_", "COHORT_", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "COHORT_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32), "COHORT_NOW": COHORT_NOW,
                "COHORT_BASE_URL": "http://127.0.0.1"})
    step = time.monotonic()
    flask_cli(url, env, "db", "upgrade")
    flask_cli(url, env, "cohort", "seed-demo")
    flask_cli(url, env, "users", "create", FACILITATOR, "--name", "Bench Facilitator",
              "--role", "facilitator", "--password", password)
    log(f"migrated, seeded the demo and a facilitator in {time.monotonic() - step:.1f} s")

    step = time.monotonic()
    engine = create_engine(url)
    try:
        bulk_applications(engine, args.applications)
        keys = baseline_rows(engine, args.applications)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
            postgres = conn.scalar(text("SHOW server_version"))
    finally:
        engine.dispose()
    log(f"inserted {args.applications:,} applications and {len(keys):,} baseline rows in "
        f"{time.monotonic() - step:.1f} s")

    load_before = os.getloadavg()
    out_dir = args.output.parent
    service = start_gunicorn("service", "app:create_app()", env, out_dir, ["--chdir", str(ROOT)])
    servers.append(service)
    baseline = start_gunicorn("baseline", "baseline_app:create_app()", env, out_dir,
                              ["--pythonpath", str(BENCH_DIR)])
    servers.append(baseline)
    apply_path = f"/cohorts/{SEED_SLUG}/apply"
    queue_path = f"/staff/cohorts/{SEED_SLUG}/applications"
    wait_until_serving(service, apply_path)
    wait_until_serving(baseline, f"/select?key={keys[0]}")

    # ---- submissions: GET form + POST, against GET /select + POST /insert
    def app_submit(browser: Browser) -> None:
        token = browser.form_token(apply_path)
        email = f"applicant-{uuid.uuid4().hex}@bench.example.org"
        status, _, body = browser.request("POST", apply_path, application_form(email, token))
        expect(status, 302, "POST apply", body)

    baseline_body = application_form("someone@bench.example.org", "x" * 91)

    def baseline_submit(browser: Browser) -> None:
        status, _, body = browser.request("GET", f"/select?key={random.choice(keys)}")
        expect(status, 200, "GET /select", body)
        status, _, body = browser.request("POST", "/insert", {
            **baseline_body, "key": secrets.token_urlsafe(24)})
        expect(status, 201, "POST /insert", body)

    # One browser per client thread, each kept for the whole run (cookies and all).
    base_browsers = [Browser(baseline.port) for _ in range(args.threads)]
    service_browsers = [Browser(service.port) for _ in range(args.threads)]
    # Warm-ups (not counted): every worker imports, renders and opens its pool first.
    warm_up("warm-up baseline", base_browsers, args.threads * 4, baseline_submit)
    warmed = warm_up("warm-up service", service_browsers, args.threads * 4, app_submit)
    base_submit = Phase("baseline GET /select + POST /insert", args.threads, args.submissions)
    submit = Phase("service GET + POST apply", args.threads, args.submissions)
    interleaved(base_submit, submit, base_browsers, service_browsers, args.rounds,
                baseline_submit, app_submit, args.phase_seconds, args.phase_seconds)

    # ---- the review queue, signed in (once per client session), against GET /select
    def load_queue(browser: Browser) -> None:
        status, _, body = browser.request("GET", queue_path)
        expect(status, 200, "GET queue", body)

    def baseline_select(browser: Browser) -> None:
        status, _, body = browser.request("GET", f"/select?key={random.choice(keys)}")
        expect(status, 200, "GET /select", body)

    facilitators = [Browser(service.port) for _ in range(args.latency_threads)]
    for browser in facilitators:
        sign_in(browser, FACILITATOR, password)
    status, _, page = facilitators[0].request("GET", queue_path)
    expect(status, 200, "GET queue (check)", page)
    rows = len(QUEUE_ROW.findall(page))
    expected_total = args.applications + warmed.completed + submit.completed
    # The queue shows one page of PER_PAGE applications and says how many there are in all.
    if rows != min(PER_PAGE, expected_total) or f"{expected_total} applications".encode() \
            not in page:
        raise BenchError(f"the queue lists {rows} of ? applications, expected a page of "
                         f"{min(PER_PAGE, expected_total)} of {expected_total}")
    log(f"the queue's first page lists {rows:,} of {expected_total:,} applications "
        f"({len(page) / 1e6:.2f} MB)")
    select_browsers = [Browser(baseline.port) for _ in range(args.latency_threads)]
    warm_up("warm-up queue", facilitators, args.latency_threads, load_queue)
    base_select = Phase("baseline GET /select", args.latency_threads, args.queue_loads)
    queue = Phase("service GET queue", args.latency_threads, args.queue_loads)
    interleaved(base_select, queue, select_browsers, facilitators, args.rounds,
                baseline_select, load_queue, args.phase_seconds, args.queue_seconds)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "server": f"gunicorn {importlib.metadata.version('gunicorn')}, {WORKERS} "
                      f"{WORKER_CLASS} workers per application, 127.0.0.1",
            "postgresql": postgres, "python": platform.python_version(),
            "cpus": os.cpu_count(), "applications_before": args.applications,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "queue_rows": rows, "queue_page_bytes": len(page),
            "client": "one process, http.client, one connection per request, loopback",
            "submission": "GET /cohorts/cop-2024/apply (CSRF token) + POST it = one submission",
            "baseline_submission": "GET /select (one indexed select) + POST /insert (one insert)",
            "baseline_latency": "GET /select (one indexed select)",
        },
        "submissions": {
            "service": submit.summary(), "baseline": base_submit.summary(),
            "ratio_to_baseline": ratio(submit.per_second, base_submit.per_second),
        },
        "review_queue": {
            "service": queue.summary(), "baseline": base_select.summary(),
            "median_ratio_to_baseline": ratio(queue.median(), base_select.median()),
            "p95_ratio_to_baseline": ratio(queue.percentile(0.95), base_select.percentile(0.95)),
        },
        "errors": sum(len(p.errors) for p in (submit, base_submit, queue, base_select)),
        "seconds": round(time.monotonic() - began, 1),
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"  figures written to {args.output}", flush=True)
    return 1 if report["errors"] else 0


def ratio(value: float, baseline: float) -> float | None:
    """value ÷ baseline, or None when there is nothing to divide by."""
    if not baseline or math.isnan(baseline) or math.isnan(value):
        return None
    return round(value / baseline, 4)


def print_report(report: dict[str, Any]) -> None:
    """The figures, readable."""
    setup, sub, queue = report["setup"], report["submissions"], report["review_queue"]
    print()
    print(f"HTTP benchmark — {setup['server']}; PostgreSQL {setup['postgresql']}; "
          f"{setup['cpus']} CPUs")
    print(f"  {setup['applications_before']:,} applications bulk-inserted; the review queue "
          f"listed {setup['queue_rows']:,} ({setup['queue_page_bytes'] / 1e6:.1f} MB of HTML)")
    print()
    print(f"  {'':38}{'service':>12}{'bare baseline':>16}{'ratio':>10}")
    s, b = sub["service"], sub["baseline"]
    print(f"  {'submissions per second (GET + POST)':38}{s['per_second']:>12.1f}"
          f"{b['per_second']:>16.1f}{_r(sub['ratio_to_baseline'])}")
    s, b = queue["service"], queue["baseline"]
    print(f"  {'review queue median latency, ms':38}{s['median_ms']:>12.1f}"
          f"{b['median_ms']:>16.2f}{_r(queue['median_ratio_to_baseline'])}")
    print(f"  {'review queue p95 latency, ms':38}{s['p95_ms']:>12.1f}"
          f"{b['p95_ms']:>16.2f}{_r(queue['p95_ratio_to_baseline'])}")
    print()
    print(f"  submissions: {s_count(sub['service'])} vs {s_count(sub['baseline'])} baseline "
          f"pairs, {sub['service']['threads']} client threads; queue: "
          f"{s_count(queue['service'])} loads vs {s_count(queue['baseline'])} baseline selects, "
          f"{queue['service']['threads']} client threads")
    print("  ratios: submissions = service ÷ baseline (1.0 = as fast as one bare insert); "
          "latencies = service ÷ baseline (× slower than one bare indexed select)")
    busiest = max(setup["load_average_before"][0], setup["load_average_after"][0])
    if busiest > (setup["cpus"] or 1):
        print(f"  note: the machine was busy (1-minute load average up to {busiest:.1f} on "
              f"{setup['cpus']} CPUs): raw figures suffer, ratios less so")
    if report["errors"]:
        print(f"  ERRORS: {report['errors']} requests failed; the figures are not trustworthy")
    print(f"  whole run: {report['seconds']:.0f} s")


def _r(value: float | None) -> str:
    return f"{value:>10.3f}" if value is not None and value < 10 else (
        f"{value:>10.1f}" if value is not None else f"{'n/a':>10}")


def s_count(summary: dict[str, Any]) -> str:
    """'300' or '212 of 300 (time budget)'."""
    if summary["stopped_by_time_budget"]:
        return f"{summary['completed']} of {summary['requested']} (time budget)"
    return str(summary["completed"])


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as failure:
        log(f"FAILED: {failure}")
        sys.exit(2)
