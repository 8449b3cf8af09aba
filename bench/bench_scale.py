"""Scale curves: staff pages and exports at 1,000, 10,000 and 100,000 applications.

    make bench-scale        # or: .venv/bin/python bench/bench_scale.py [--sizes 1000,10000]

On a fresh PostgreSQL database of its own (BENCH_DATABASE_URL, as bench_http.py), migrated and
seeded with the demo, with 20 cohorts (the demo's and copies of cop-2024), the benchmark fills
applications in bulk up to each size in turn: half go to cop-2024 (the cohort whose pages are
timed, so its queue is long), the rest spread over the other 19; every fifth is invoiced, with
a deposit receipt, a remainder invoice and three ledger entries, so the finance desk has 0.4
documents per application. After each fill (VACUUM ANALYZE) it times, in this process through
Flask's test client (server time, no network), signed in as a facilitator and as finance:

- the review queue's first page of cop-2024, interleaved with its floor: the bare count + 100-row
  page query bench/baseline_app.py runs, on the same data and the same server;
- cop-2024's dashboard; the finance desk's first page;
- the applicants CSV export of cop-2024 (linear in its rows by nature: it is the output).

It prints median and p95 at each size and the growth from the smallest to the largest size:
a paginated page should stay flat, and only the export should grow with the data. Figures go to
artifacts/bench/scale.json; the database is dropped at the end, also on errors or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import signal
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_app import QUEUE_COUNT, QUEUE_PAGE
from harness import (
    DEFAULT_ADMIN_URL,
    ROOT,
    BenchError,
    analyze,
    bulk_applications,
    cohort_id_of,
    flask_cli,
    fold_counts,
    fresh_database,
    log,
)

from cohort.demo import SEED_SLUG
from cohort.models import Cohort, Document, Enrollment, LedgerEntry

COHORT_NOW = "2024-01-10T12:00:00-08:00"
COHORTS = 20
PASSWORD = secrets.token_urlsafe(18)
STAFF = {"facilitator": "scale-facilitator@example.org", "finance": "scale-finance@example.org"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ISSUED = datetime(2024, 1, 5, 18, tzinfo=UTC)


def extra_cohorts(engine: Engine, how_many: int) -> list[int]:
    """`how_many` copies of cop-2024 (new slugs), so the data spreads over 20 cohorts."""
    table = Cohort.__table__
    with engine.begin() as conn:
        source = dict(conn.execute(select(table).where(table.c.slug == SEED_SLUG)).one()._mapping)
        source.pop("id")
        return list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                 [{**source, "slug": f"scale-{i:02d}",
                                   "title": f"Scale copy {i}"} for i in range(how_many)])
                    .scalars())


def bill(engine: Engine, invoiced: list[tuple[int, int, str]], currency: str) -> None:
    """A deposit receipt, a remainder invoice and their ledger entries for each enrollment."""
    documents, ledger, enrollments = (Document.__table__, LedgerEntry.__table__,
                                      Enrollment.__table__)
    with engine.begin() as conn:
        for first in range(0, len(invoiced), 2_000):
            chunk = invoiced[first:first + 2_000]
            account_of = dict(conn.execute(
                select(enrollments.c.id, enrollments.c.account_id)
                .where(enrollments.c.id.in_([enrollment_id for enrollment_id, _, _ in chunk]))
            ).all())
            rows = []
            for enrollment_id, _, _ in chunk:
                for kind, series, cents, due in (("receipt", "BR", 50_000, None),
                                                 ("invoice", "BI", 150_000,
                                                  ISSUED + timedelta(days=14))):
                    rows.append({
                        "kind": kind, "series": series, "number": enrollment_id,
                        "display_number": f"{series}-{enrollment_id:07d}",
                        "account_id": account_of[enrollment_id], "issued_at": ISSUED,
                        "due_at": due,
                        "currency": currency, "total_cents": cents,
                        "lines": [{"description": "Seat", "amount_cents": cents}],
                        "seller": {"name": "Bench seller"},
                        "buyer": {"name": f"Buyer {enrollment_id}", "country": "US"},
                        "reason": "", "note": ""})
            conn.execute(insert(documents), rows)
            conn.execute(insert(ledger), [
                {"account_id": account_of[enrollment_id], "occurred_at": ISSUED, "kind": kind,
                 "amount_cents": cents, "currency": currency, "description": kind}
                for enrollment_id, _, _ in chunk
                for kind, cents in (("fee", 50_000), ("payment", -50_000), ("fee", 150_000))])


def signed_in(app: Any, role: str) -> Any:
    """A test client signed in through /staff/login (CSRF and all), over https."""
    client = app.test_client()
    page = client.get("/staff/login", base_url="https://localhost").get_data(as_text=True)
    match = CSRF.search(page)
    if match is None:
        raise BenchError("no CSRF token on /staff/login")
    response = client.post("/staff/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/staff/login"}, data={
        "email": STAFF[role], "password": PASSWORD, "csrf_token": match.group(1)})
    if response.status_code != 302:
        raise BenchError(f"sign-in as {role} refused: HTTP {response.status_code} "
                         f"{response.get_data(as_text=True)[:3000]}")
    return client


def timings(operation: Callable[[], None], loads: int) -> list[float]:
    """Milliseconds each of `loads` runs took."""
    out = []
    for _ in range(loads):
        began = time.perf_counter()
        operation()
        out.append((time.perf_counter() - began) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, Any]:
    """Median, p95 (nearest rank) and count."""
    ordered = sorted(ms)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "loads": len(ordered)}


def measure_size(app: Any, floor_engine: Engine, cohort_id: int, loads: int,
                 exports: int) -> dict[str, Any]:
    """Every figure at the current size."""
    facilitator, finance = signed_in(app, "facilitator"), signed_in(app, "finance")

    def get(client: Any, path: str, must_contain: str = "") -> Callable[[], None]:
        def run() -> None:
            response = client.get(path, base_url="https://localhost")
            if response.status_code != 200 or must_contain.encode() not in response.data:
                raise BenchError(f"GET {path}: HTTP {response.status_code}")
        return run

    def floor() -> None:
        with floor_engine.connect() as conn:
            conn.scalar(QUEUE_COUNT, {"cohort_id": cohort_id})
            conn.execute(QUEUE_PAGE, {"cohort_id": cohort_id}).all()

    queue = get(facilitator, f"/staff/cohorts/{SEED_SLUG}/applications", "page 1 of")
    for warm in (queue, floor, get(facilitator, f"/staff/cohorts/{SEED_SLUG}"),
                 get(finance, "/finance/")):
        warm()
    queue_ms: list[float] = []
    floor_ms: list[float] = []
    for _ in range(loads):  # interleaved, so that noise falls on both alike
        queue_ms += timings(queue, 1)
        floor_ms += timings(floor, 1)
    figures = {
        "queue_page_1": summary(queue_ms),
        "queue_floor_count_and_page": summary(floor_ms),
        "dashboard": summary(timings(get(facilitator, f"/staff/cohorts/{SEED_SLUG}"), loads)),
        "finance_desk_page_1": summary(timings(get(finance, "/finance/"), loads)),
        "applicants_csv": summary(timings(
            get(facilitator, f"/staff/cohorts/{SEED_SLUG}/applications.csv"), exports)),
    }
    figures["queue_p95_ratio_to_floor"] = round(
        figures["queue_page_1"]["p95_ms"] / figures["queue_floor_count_and_page"]["p95_ms"], 2)
    return figures


def _stop_on(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def arguments() -> argparse.Namespace:
    """Command-line options; the defaults are what `make bench-scale` runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="application counts to measure at, ascending (default 1k,10k,100k)")
    parser.add_argument("--loads", type=int, default=20, help="timed loads per page and size")
    parser.add_argument("--exports", type=int, default=2, help="timed CSV exports per size")
    parser.add_argument("--output", type=Path, default=ROOT / "artifacts/bench/scale.json")
    return parser.parse_args()


def main() -> int:
    """Fill, measure, repeat; print and write the curves."""
    args = arguments()
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes):
        raise BenchError("--sizes must be ascending")
    signal.signal(signal.SIGTERM, _stop_on)
    admin_url = make_url(os.environ.get("BENCH_DATABASE_URL")
                         or os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL)
    if admin_url.drivername in ("postgresql", "postgres"):
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    began = time.monotonic()
    with fresh_database(admin_url) as url:
        report = run(args, sizes, url)
    report["seconds"] = round(time.monotonic() - began, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"  figures written to {args.output}", flush=True)
    return 0


def run(args: argparse.Namespace, sizes: list[int], url: URL) -> dict[str, Any]:
    """Everything between creating and dropping the database."""
    database_url = url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "STRIPE_", "COHORT_", "FLASK_"))}
    env.update({"DATABASE_URL": database_url, "COHORT_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32), "COHORT_NOW": COHORT_NOW,
                "COHORT_BASE_URL": "https://localhost"})
    flask_cli(url, env, "db", "upgrade")
    flask_cli(url, env, "cohort", "seed-demo")
    for role, email in STAFF.items():
        flask_cli(url, env, "users", "create", email, "--name", f"Scale {role}", "--role", role,
                  "--password", PASSWORD)
    engine = create_engine(url)
    os.environ.update(env)  # the app below reads its settings as in production
    from app import create_app
    from cohort.extensions import db

    app = create_app()
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                              "cpus": os.cpu_count(), "python": platform.python_version(),
                              "load_average_before": [round(x, 2) for x in os.getloadavg()],
                              "sizes": {}}
    try:
        cohort_id = cohort_id_of(engine, SEED_SLUG)
        with engine.connect() as conn:
            others = [i for i in conn.scalars(select(Cohort.__table__.c.id)) if i != cohort_id]
            currency = conn.scalar(select(Cohort.__table__.c.currency)
                                   .where(Cohort.__table__.c.id == cohort_id))
        others += extra_cohorts(engine, COHORTS - 1 - len(others))

        def cohort_for(n: int) -> int:
            return cohort_id if n % 2 == 0 else others[(n // 2) % len(others)]

        def state_for(n: int) -> str:
            return "invoiced" if n % 5 == 4 else "submitted"

        filled = 0
        for size in sizes:
            step = time.monotonic()
            made = bulk_applications(engine, size - filled, cohort_for, first=filled,
                                     state_for=state_for)
            bill(engine, [m for m in made if m[2] == "invoiced"], currency or "USD")
            fold_counts(engine)  # as the worker would within a second
            report["postgresql"] = analyze(engine)
            log(f"filled to {size:,} applications in {time.monotonic() - step:.1f} s")
            filled = size
            with engine.connect() as conn:
                in_cohort = conn.scalar(QUEUE_COUNT, {"cohort_id": cohort_id})
                documents = conn.scalar(select(func.count()).select_from(Document.__table__))
            # No app context around the requests: each pushes its own, as in production (a
            # shared one would share `g`, and with it the signed-in user and the CSRF token).
            figures = measure_size(app, engine, cohort_id, args.loads, args.exports)
            figures.update({"applications_in_cop_2024": in_cohort,
                            "documents": documents})
            report["sizes"][str(size)] = figures
            log(f"measured at {size:,}: queue p95 {figures['queue_page_1']['p95_ms']} ms, "
                f"desk median {figures['finance_desk_page_1']['median_ms']} ms")
    finally:
        with app.app_context():
            db.engine.dispose()
        engine.dispose()
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


PAGES = [("queue_page_1", "review queue, page 1"),
         ("queue_floor_count_and_page", "  floor: count + 100-row page"),
         ("dashboard", "cohort dashboard"), ("finance_desk_page_1", "finance desk, page 1"),
         ("applicants_csv", "applicants CSV (all of cop-2024)")]


def print_report(report: dict[str, Any]) -> None:
    """The curves, readable."""
    sizes = list(report["sizes"])
    print()
    print(f"Scale curves — in-process (Flask test client), PostgreSQL "
          f"{report.get('postgresql', '?')}, {report['cpus']} CPUs; median / p95 ms")
    print(f"  {'applications':36}" + "".join(f"{int(s):>18,}" for s in sizes)
          + f"{'growth':>9}")
    print(f"  {'  of which in cop-2024':36}" + "".join(
        f"{report['sizes'][s]['applications_in_cop_2024']:>18,}" for s in sizes))
    for key, label in PAGES:
        cells = [report["sizes"][s][key] for s in sizes]
        growth = cells[-1]["median_ms"] / cells[0]["median_ms"] if cells[0]["median_ms"] else 0
        print(f"  {label:36}" + "".join(
            f"{c['median_ms']:>10.1f} /{c['p95_ms']:>6.1f}" for c in cells) + f"{growth:>8.1f}×")
    print(f"  {'queue p95 ÷ floor p95':36}" + "".join(
        f"{report['sizes'][s]['queue_p95_ratio_to_floor']:>17.2f}×" for s in sizes))
    print(f"  1-minute load average {report['load_average_before'][0]:.1f} before, "
          f"{report['load_average_after'][0]:.1f} after; whole run {report['seconds']:.0f} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as failure:
        log(f"FAILED: {failure}")
        sys.exit(2)
