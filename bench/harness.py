"""What the HTTP and scale benchmarks share: a throw-away database, bulk applications, gunicorn
servers, an SMTP sink and the mail worker, a cookie-keeping client, and interleaved timed phases.

Everything runs on this machine, on loopback, and is stopped (databases dropped) on the way out.
"""

from __future__ import annotations

import http.client
import itertools
import math
import os
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
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cohort.models import (  # noqa: E402
    ApplicationAnswers,
    BillingAccount,
    Cohort,
    Enrollment,
    Person,
)

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
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
LOG_NAME = [Path(sys.argv[0]).stem or "bench"]


class BenchError(RuntimeError):
    """The benchmark cannot produce a trustworthy figure."""


def log(message: str) -> None:
    """Progress on stderr, so that stdout carries only the figures."""
    print(f"[{LOG_NAME[0]} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


def cohort_id_of(engine: Engine, slug: str) -> int:
    """The id of the cohort with this slug (the demo seed made it)."""
    with engine.connect() as conn:
        found = conn.scalar(select(Cohort.__table__.c.id).where(Cohort.__table__.c.slug == slug))
    if found is None:
        raise BenchError(f"there is no cohort {slug}: did the demo seed run?")
    return found


def bulk_applications(engine: Engine, how_many: int, cohort_for: Callable[[int], int], *,
                      first: int = 0, state_for: Callable[[int], str] = lambda n: "submitted",
                      ) -> list[tuple[int, int, str]]:
    """Insert applications number `first` … `first + how_many - 1` (SQLAlchemy Core executemany).

    `cohort_for(n)` and `state_for(n)` say where each goes and in which state; returns
    (enrollment id, cohort id, state) for each, in order.
    """
    people, enrollments, answers = (Person.__table__, Enrollment.__table__,
                                    ApplicationAnswers.__table__)
    accounts, cohorts = BillingAccount.__table__, Cohort.__table__
    start = datetime(2023, 12, 1, tzinfo=UTC)
    made: list[tuple[int, int, str]] = []
    with engine.begin() as conn:
        currency = dict(conn.execute(select(cohorts.c.id, cohorts.c.currency)).all())
        for chunk in range(first, first + how_many, 2_000):
            numbers = range(chunk, min(chunk + 2_000, first + how_many))
            rows = []
            for n in numbers:
                email = f"leader-{n:06d}@bench.example.org"
                rows.append({"email": email, "email_normalized": email,
                             "name": f"Leader {n:06d}",
                             "created_at": start + timedelta(seconds=30 * n)})
            person_ids = conn.execute(
                insert(people).returning(people.c.id, sort_by_parameter_order=True),
                rows).scalars().all()
            # Each enrollment bills to its own account, in its cohort's currency.
            account_ids = conn.execute(
                insert(accounts).returning(accounts.c.id, sort_by_parameter_order=True),
                [{"owner": "enrollment", "person_id": person_id,
                  "currency": currency[cohort_for(n)], "created_at": row["created_at"]}
                 for n, person_id, row in zip(numbers, person_ids, rows, strict=True)]
            ).scalars().all()
            enrollment_rows = []
            for n, person_id, account_id, row in zip(numbers, person_ids, account_ids, rows,
                                                     strict=True):
                country, zone = COUNTRIES[n % len(COUNTRIES)]
                enrollment_rows.append({
                    "cohort_id": cohort_for(n), "person_id": person_id,
                    "account_id": account_id, "state": state_for(n),
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
            made.extend((enrollment_id, e["cohort_id"], e["state"])
                        for enrollment_id, e in zip(enrollment_ids, enrollment_rows, strict=True))
    return made


def fold_counts(engine: Engine) -> int:
    """Fold the enrollments' state changes the bulk inserts left into their counts, as the
    worker does each round in production; how many changes were folded."""
    from sqlalchemy.orm import Session

    from cohort.services.state_counts import fold_everything

    with Session(engine) as session:
        return fold_everything(session)


def analyze(engine: Engine) -> str:
    """VACUUM ANALYZE after bulk inserts (statistics and the visibility map, as autovacuum
    leaves a database that has been running a while); return the server version."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        return str(conn.scalar(text("SHOW server_version")))


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
        log(f"stopped {self.name} (pid {self.process.pid})")


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


def start_smtp_sink(out_dir: Path) -> tuple[Server, Path]:
    """bench/smtp_sink.py on a free loopback port; returns it and the file it counts into."""
    port = free_port()
    counts = out_dir / "smtp-sink.counts"
    counts.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, str(BENCH_DIR / "smtp_sink.py"), str(port),
                                str(counts)], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sink = Server("SMTP sink", port, process, counts)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError("the SMTP sink (aiosmtpd) did not start")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            log(f"started the SMTP sink (pid {process.pid}) on 127.0.0.1:{port}")
            return sink, counts
        time.sleep(0.1)
    sink.stop()
    raise BenchError("the SMTP sink did not listen within 30 s")


def sink_counts(counts: Path) -> tuple[int, int]:
    """(messages, connections) the SMTP sink has accepted so far."""
    try:
        messages, connections = counts.read_text().split()
        return int(messages), int(connections)
    except (OSError, ValueError):
        return 0, 0


def has_mail_worker(env: dict[str, str]) -> bool:
    """True when the service has `flask cohort worker` (mail delivered off the request)."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "cohort", "worker",
                             "--help"], cwd=ROOT, env=env, capture_output=True, timeout=60,
                            check=False)
    return result.returncode == 0


def start_mail_worker(env: dict[str, str], out_dir: Path) -> Server:
    """`flask --app app cohort worker` in its own process group (stopped by SIGTERM)."""
    log_path = out_dir / "worker.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "cohort",
                                    "worker"], cwd=ROOT, env=env, start_new_session=True,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    log(f"started the mail worker (pid {process.pid})")
    return Server("mail worker", 0, process, log_path)


def tail(path: Path, lines: int = 30) -> str:
    """The end of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

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


def ratio(value: float, baseline: float) -> float | None:
    """value ÷ baseline, or None when there is nothing to divide by."""
    if not baseline or math.isnan(baseline) or math.isnan(value):
        return None
    return round(value / baseline, 4)
