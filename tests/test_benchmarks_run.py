"""The benchmarks run, end to end, on a tiny scale: `make bench` and `make bench-scale` must not
break unnoticed when the code they drive changes (a renamed service argument once did).

Nothing here times anything: each benchmark runs as `make bench` runs it, with small numbers,
and must exit cleanly having written its figures, ratios included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, output: Path, *args: str) -> dict:
    """Run bench/<script> with `args`; its figures (the JSON it wrote)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "STRIPE_", "COHORT_", "FLASK_"))}
    result = subprocess.run([sys.executable, f"bench/{script}", "--output", str(output), *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return json.loads(output.read_text())


def test_the_pdf_benchmark_compares_an_invoice_with_weasyprint_alone(tmp_path):
    figures = run_bench("bench_pdf.py", tmp_path / "pdf.json", "--rounds", "2", "--no-export")

    assert figures["same_text"] is True
    assert figures["ratio_to_floor"] > 0 and figures["download_median_ms"] > 0


def test_the_http_benchmark_measures_the_service_against_its_floor(tmp_path, postgres_url):
    figures = run_bench("bench_http.py", tmp_path / "http.json", "--applications", "150",
                        "--submissions", "8", "--page-loads", "8", "--queue-loads", "8",
                        "--rounds", "2", "--threads", "2")

    assert figures["errors"] == 0
    assert figures["submissions"]["ratio_to_floor"] > 0
    assert figures["cohort_page"]["ratio_to_floor"] > 0
    assert figures["review_queue"]["p95_ratio_to_floor"] > 0
    # Every application's confirmation went through the worker to the SMTP sink.
    mail = figures["mail"]
    assert mail["worker"] and mail["messages_at_sink"] == mail["applications_submitted"], mail


def test_the_scale_benchmark_prints_each_page_at_each_size(tmp_path, postgres_url):
    figures = run_bench("bench_scale.py", tmp_path / "scale.json", "--sizes", "300,600",
                        "--loads", "2", "--exports", "1")

    assert list(figures["sizes"]) == ["300", "600"]  # the queue has pages from 101 on
    for size in figures["sizes"].values():
        assert size["queue_page_1"]["p95_ms"] > 0 and size["finance_desk_page_1"]["median_ms"] > 0


@pytest.fixture
def postgres_url(postgres_url: str) -> str:
    """PostgreSQL must answer (the benchmarks create their own database on its server)."""
    return postgres_url
