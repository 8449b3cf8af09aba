"""HTTP benchmark: the service under gunicorn on PostgreSQL against its fair floor, mail on.

    .venv/bin/python bench/bench_http.py            (or: make bench)

The floor (bench/baseline_app.py) is a bare Flask-WTF service doing the same exchange as the
service: a CSRF-protected form of 9 fields drawn by Jinja in a layout, a POST that validates it,
inserts one row and one audit row and redirects; and, for the review queue, a bare count and a
100-row page query on the service's own enrollments. What it does, all on this machine, on
loopback and bounded in time:

1. creates a fresh PostgreSQL database (`cohort_bench_<random>`) on the server of
   BENCH_DATABASE_URL (default: the tests' server, postgresql://postgres@127.0.0.1:5432/test),
   migrates it with `flask db upgrade`, seeds the demo with the clock at 2024-01-10 12:00 Pacific
   (so cop-2024 is open), creates a facilitator, bulk-inserts 10,000 submitted applications
   into cop-2024 and the floor's two tables, then ANALYZEs;
2. starts an SMTP sink (bench/smtp_sink.py, aiosmtpd) and points the service's MAIL_SERVER at
   it, so every mail the service sends is really delivered over SMTP and its cost shows; when
   the service has a mail worker (`flask cohort worker`), it runs beside the servers, as in
   production;
3. starts the service (`app:create_app()`, COHORT_ENV=production) and the floor under gunicorn,
   each with 2 **sync** workers on 127.0.0.1;
4. measures, floor and service alternating in 5 rounds so that noise falls on both alike:
   - submissions per second: GET the form (for its CSRF token) + POST it, 4 client threads;
   - the cohort page (`/cohorts/cop-2024`) against the floor's form page: loads per second,
     median and p95, 2 client threads (one per worker, so latencies are service times);
   - the review queue's first page, signed in as the facilitator, against the floor's count +
     page query: median and p95, 2 client threads;
5. waits (at most 60 s) until the sink has every application's confirmation, prints each figure
   with its ratio to the floor, writes them to artifacts/bench/http.json, then stops the servers,
   the worker and the sink and drops the database, also on errors, Ctrl-C, SIGTERM or the
   overall time limit.

Why sync workers: the service's requests are short and blocking (templates and PostgreSQL round
trips), which is what gunicorn's sync worker is for; with one request per worker at a time both
applications run at exactly the same concurrency (2), so the ratios compare the work per request.
Sync workers close each connection: the client opens one TCP connection per request on both
sides, as a browser behind a proxy would cause. The service runs with COHORT_ENV=production, so
its cookies are marked Secure; the client sends them over plain HTTP on loopback, as a
TLS-terminating proxy in front of gunicorn would.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import secrets
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_app import Base as FloorBase
from harness import (
    ANSWERS,
    BENCH_DIR,
    DEFAULT_ADMIN_URL,
    ROOT,
    WORKER_CLASS,
    WORKERS,
    BenchError,
    Browser,
    Phase,
    Server,
    analyze,
    bulk_applications,
    cohort_id_of,
    expect,
    flask_cli,
    fold_counts,
    fresh_database,
    has_mail_worker,
    interleaved,
    log,
    ratio,
    sink_counts,
    start_gunicorn,
    start_mail_worker,
    start_smtp_sink,
    wait_until_serving,
    warm_up,
)

from cohort.demo import SEED_SLUG
from cohort.services.review_queue import PER_PAGE

COHORT_NOW = "2024-01-10T12:00:00-08:00"
FACILITATOR = "bench-facilitator@example.org"
QUEUE_ROW = re.compile(rb'name="enrollment_ids" value="\d+"')
FLOOR_FIELDS = ("full_name", "email", "organisation", "role", "organisation_size", "sector",
                "hopes_to_bring", "hopes_to_gain", "country")


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


def arguments() -> argparse.Namespace:
    """Command-line options; the defaults are what `make bench` runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--applications", type=int, default=10_000,
                        help="applications bulk-inserted before measuring (default 10,000)")
    parser.add_argument("--submissions", type=int, default=300,
                        help="submissions measured on each side (default 300)")
    parser.add_argument("--page-loads", type=int, default=300,
                        help="cohort page loads measured on each side (default 300)")
    parser.add_argument("--queue-loads", type=int, default=300,
                        help="review-queue loads measured on each side (default 300)")
    parser.add_argument("--threads", type=int, default=4,
                        help="client threads for submissions (default 4)")
    parser.add_argument("--latency-threads", type=int, default=WORKERS,
                        help="client threads for the latency phases (default: one per worker)")
    parser.add_argument("--phase-seconds", type=float, default=60.0,
                        help="no new request of a phase starts after this long (default 60)")
    parser.add_argument("--time-limit", type=int, default=900,
                        help="the whole run is stopped (and cleaned up) after this (default 900)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="floor and service alternate in this many rounds (default 5)")
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
                for server in reversed(servers):
                    server.stop()
    finally:
        signal.alarm(0)


def prepare(args: argparse.Namespace, url: URL, env: dict[str, str], password: str
            ) -> tuple[int, str]:
    """Migrate, seed, add the facilitator and the applications; (cop-2024's id, PG version)."""
    step = time.monotonic()
    flask_cli(url, env, "db", "upgrade")
    flask_cli(url, env, "cohort", "seed-demo")
    flask_cli(url, env, "users", "create", FACILITATOR, "--name", "Bench Facilitator",
              "--role", "facilitator", "--password", password)
    log(f"migrated, seeded the demo and a facilitator in {time.monotonic() - step:.1f} s")
    step = time.monotonic()
    engine = create_engine(url)
    try:
        cohort_id = cohort_id_of(engine, SEED_SLUG)
        bulk_applications(engine, args.applications, lambda n: cohort_id)
        FloorBase.metadata.create_all(engine)
        fold_counts(engine)  # as the worker would within a second
        postgres = analyze(engine)
    finally:
        engine.dispose()
    log(f"inserted {args.applications:,} applications in {time.monotonic() - step:.1f} s")
    return cohort_id, postgres


def measure(args: argparse.Namespace, url: URL, servers: list[Server], began: float) -> int:
    """Everything between creating and dropping the database."""
    password = secrets.token_urlsafe(18)
    out_dir = args.output.parent
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "STRIPE_", "COHORT_", "FLASK_"))}
    env.update({"DATABASE_URL": url.render_as_string(hide_password=False),
                "COHORT_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                "COHORT_NOW": COHORT_NOW, "COHORT_BASE_URL": "http://127.0.0.1"})
    cohort_id, postgres = prepare(args, url, env, password)

    sink, sink_file = start_smtp_sink(out_dir)
    servers.append(sink)
    env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port),
                "MAIL_FROM": "Cohort bench <bench@example.org>"})
    worker = has_mail_worker(env)
    if worker:
        servers.append(start_mail_worker(env, out_dir))
    load_before = os.getloadavg()
    service = start_gunicorn("service", "app:create_app()", env, out_dir, ["--chdir", str(ROOT)])
    servers.append(service)
    floor = start_gunicorn("floor", "baseline_app:create_app()", env, out_dir,
                           ["--pythonpath", str(BENCH_DIR)])
    servers.append(floor)
    apply_path = f"/cohorts/{SEED_SLUG}/apply"
    page_path = f"/cohorts/{SEED_SLUG}"
    queue_path = f"/staff/cohorts/{SEED_SLUG}/applications"
    floor_queue_path = f"/queue?cohort_id={cohort_id}"
    wait_until_serving(service, apply_path)
    wait_until_serving(floor, "/form")

    # ---- submissions: GET the form + POST it, on both sides
    def app_submit(browser: Browser) -> None:
        token = browser.form_token(apply_path)
        email = f"applicant-{uuid.uuid4().hex}@bench.example.org"
        status, _, body = browser.request("POST", apply_path, application_form(email, token))
        expect(status, 302, "POST apply", body)

    def floor_submit(browser: Browser) -> None:
        token = browser.form_token("/form")
        form = application_form(f"applicant-{uuid.uuid4().hex}@bench.example.org", token)
        status, _, body = browser.request("POST", "/form", {
            name: form[name] for name in ("csrf_token", *FLOOR_FIELDS)})
        expect(status, 302, "POST /form", body)

    floor_browsers = [Browser(floor.port) for _ in range(args.threads)]
    service_browsers = [Browser(service.port) for _ in range(args.threads)]
    warm_up("warm-up floor", floor_browsers, args.threads * 4, floor_submit)
    warmed = warm_up("warm-up service", service_browsers, args.threads * 4, app_submit)
    floor_sub = Phase("floor GET + POST /form", args.threads, args.submissions)
    submit = Phase("service GET + POST apply", args.threads, args.submissions)
    interleaved(floor_sub, submit, floor_browsers, service_browsers, args.rounds,
                floor_submit, app_submit, args.phase_seconds, args.phase_seconds)
    submitted = warmed.completed + submit.completed

    # ---- the cohort page against the floor's form page
    def load(path: str, what: str) -> Any:
        def operation(browser: Browser) -> None:
            status, _, body = browser.request("GET", path)
            expect(status, 200, what, body)
        return operation

    floor_readers = [Browser(floor.port) for _ in range(args.latency_threads)]
    readers = [Browser(service.port) for _ in range(args.latency_threads)]
    warm_up("warm-up cohort page", readers, args.latency_threads * 2, load(page_path, "page"))
    floor_page = Phase("floor GET /form", args.latency_threads, args.page_loads)
    page = Phase("service GET cohort page", args.latency_threads, args.page_loads)
    interleaved(floor_page, page, floor_readers, readers, args.rounds,
                load("/form", "GET /form"), load(page_path, "GET cohort page"),
                args.phase_seconds, args.phase_seconds)

    # ---- the review queue's first page against a bare count + page query
    facilitators = [Browser(service.port) for _ in range(args.latency_threads)]
    for browser in facilitators:
        sign_in(browser, FACILITATOR, password)
    status, _, queue_page = facilitators[0].request("GET", queue_path)
    expect(status, 200, "GET queue (check)", queue_page)
    rows = len(QUEUE_ROW.findall(queue_page))
    expected_total = args.applications + submitted
    if rows != min(PER_PAGE, expected_total) or f"{expected_total} applications".encode() \
            not in queue_page:
        raise BenchError(f"the queue lists {rows} of ? applications, expected a page of "
                         f"{min(PER_PAGE, expected_total)} of {expected_total}")
    status, _, floor_page_body = floor_readers[0].request("GET", floor_queue_path)
    expect(status, 200, "GET /queue (check)", floor_page_body)
    if not floor_page_body.startswith(f"{expected_total} applications".encode()):
        raise BenchError(f"the floor's queue counts {floor_page_body[:40]!r}")
    warm_up("warm-up queue", facilitators, args.latency_threads, load(queue_path, "queue"))
    floor_queue = Phase("floor GET /queue (count + page)", args.latency_threads,
                        args.queue_loads)
    queue = Phase("service GET queue page 1", args.latency_threads, args.queue_loads)
    interleaved(floor_queue, queue, floor_readers, facilitators, args.rounds,
                load(floor_queue_path, "GET /queue"), load(queue_path, "GET queue"),
                args.phase_seconds, args.phase_seconds)

    # ---- every confirmation delivered?
    waited = time.monotonic()
    while sink_counts(sink_file)[0] < submitted and time.monotonic() - waited < 60:
        time.sleep(0.5)
    messages, connections = sink_counts(sink_file)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "server": f"gunicorn {importlib.metadata.version('gunicorn')}, {WORKERS} "
                      f"{WORKER_CLASS} workers per application, 127.0.0.1",
            "postgresql": postgres, "python": platform.python_version(),
            "cpus": os.cpu_count(), "applications_before": args.applications,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "queue_rows": rows, "queue_page_bytes": len(queue_page),
            "client": "one process, http.client, one connection per request, loopback",
            "mail": f"MAIL_SERVER = SMTP sink (aiosmtpd) on 127.0.0.1:{sink.port}; "
                    + ("mail worker running" if worker else "no mail worker (sent in requests)"),
            "floor": "bench/baseline_app.py: Flask-WTF form (9 fields, Jinja layout, CSRF); "
                     "POST inserts one row + one audit row and redirects; /queue = count + "
                     "100-row page query on the same enrollments",
        },
        "submissions": {
            "service": submit.summary(), "floor": floor_sub.summary(),
            "ratio_to_floor": ratio(submit.per_second, floor_sub.per_second),
            "goal": ">= 0.6",
        },
        "cohort_page": {
            "service": page.summary(), "floor": floor_page.summary(),
            "ratio_to_floor": ratio(page.per_second, floor_page.per_second),
            "median_ratio": ratio(floor_page.median(), page.median()),
            "goal": ">= 0.5",
        },
        "review_queue": {
            "service": queue.summary(), "floor": floor_queue.summary(),
            "median_ratio_to_floor": ratio(queue.median(), floor_queue.median()),
            "p95_ratio_to_floor": ratio(queue.percentile(0.95), floor_queue.percentile(0.95)),
            "goal": "p95 <= 2x",
        },
        "mail": {"applications_submitted": submitted, "messages_at_sink": messages,
                 "smtp_connections": connections, "worker": worker,
                 "seconds_waited_after_last_request": round(time.monotonic() - waited, 1)},
        "errors": sum(len(p.errors) for p in (submit, floor_sub, page, floor_page, queue,
                                              floor_queue)),
        "seconds": round(time.monotonic() - began, 1),
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"  figures written to {args.output}", flush=True)
    return 1 if report["errors"] else 0


def print_report(report: dict[str, Any]) -> None:
    """The figures, readable."""
    setup, sub, page, queue = (report["setup"], report["submissions"], report["cohort_page"],
                               report["review_queue"])
    print()
    print(f"HTTP benchmark — {setup['server']}; PostgreSQL {setup['postgresql']}; "
          f"{setup['cpus']} CPUs; {setup['mail']}")
    print(f"  {setup['applications_before']:,} applications bulk-inserted; queue page 1 lists "
          f"{setup['queue_rows']} ({setup['queue_page_bytes'] / 1e3:.0f} kB of HTML)")
    print()
    print(f"  {'':40}{'service':>10}{'floor':>10}{'ratio':>9}  goal")
    s, f = sub["service"], sub["floor"]
    print(f"  {'submissions per second (GET + POST)':40}{s['per_second']:>10.1f}"
          f"{f['per_second']:>10.1f}{_r(sub['ratio_to_floor'])}  ≥ 0.6×")
    s, f = page["service"], page["floor"]
    print(f"  {'cohort page loads per second':40}{s['per_second']:>10.1f}"
          f"{f['per_second']:>10.1f}{_r(page['ratio_to_floor'])}  ≥ 0.5×")
    print(f"  {'cohort page median / p95, ms':40}{s['median_ms']:>5.1f}/{s['p95_ms']:<4.0f}"
          f"{f['median_ms']:>5.1f}/{f['p95_ms']:<4.0f}")
    s, f = queue["service"], queue["floor"]
    print(f"  {'queue page 1 median latency, ms':40}{s['median_ms']:>10.1f}"
          f"{f['median_ms']:>10.2f}{_r(queue['median_ratio_to_floor'])}")
    print(f"  {'queue page 1 p95 latency, ms':40}{s['p95_ms']:>10.1f}"
          f"{f['p95_ms']:>10.2f}{_r(queue['p95_ratio_to_floor'])}  ≤ 2×")
    mail = report["mail"]
    print()
    print(f"  mail: {mail['messages_at_sink']} of {mail['applications_submitted']} "
          f"confirmations at the SMTP sink over {mail['smtp_connections']} connections "
          f"({'by the worker' if mail['worker'] else 'sent inside the requests'})")
    print("  ratios: throughput = service ÷ floor (1.0 = as fast as the floor); "
          "latency = service ÷ floor (× slower)")
    busiest = max(setup["load_average_before"][0], setup["load_average_after"][0])
    print(f"  1-minute load average {setup['load_average_before'][0]:.1f} before, "
          f"{setup['load_average_after'][0]:.1f} after, on {setup['cpus']} CPUs"
          + (": the machine was busy; raw figures suffer, ratios less so"
             if busiest > (setup["cpus"] or 1) else ""))
    if report["errors"]:
        print(f"  ERRORS: {report['errors']} requests failed; the figures are not trustworthy")
    print(f"  whole run: {report['seconds']:.0f} s")


def _r(value: float | None) -> str:
    return f"{value:>9.3f}" if value is not None and value < 10 else (
        f"{value:>9.1f}" if value is not None else f"{'n/a':>9}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as failure:
        log(f"FAILED: {failure}")
        sys.exit(2)
