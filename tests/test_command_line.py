"""The `flask` command as a newcomer meets it: help without settings, one-line errors, `make flask`.

Each test runs the real command in a subprocess with a clean environment (no SECRET_KEY, no
COHORT_ENV), from the repository's root, the way the README shows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    env.update(extra)
    return env


def _flask(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=_clean_env(tmp_path, **extra), capture_output=True, text=True,
                          timeout=120, check=False)


def _make_flask(tmp_path: Path, args: str) -> subprocess.CompletedProcess[str]:
    venv = Path(sys.prefix)
    return subprocess.run(
        ["make", "-s", f"VENV={venv}", "-o", f"{venv}/.installed", "flask", f"ARGS={args}"],
        cwd=ROOT, env=_clean_env(tmp_path), capture_output=True, text=True, timeout=180,
        check=False)


def test_help_lists_the_commands_without_any_configuration(tmp_path):
    top = _flask(tmp_path, "--help")
    assert top.returncode == 0, top.stderr
    assert "Traceback" not in top.stderr
    for command in ("users", "cohort", "finance", "db", "run"):
        assert f"  {command} " in top.stdout

    users = _flask(tmp_path, "users", "--help")
    assert users.returncode == 0, users.stderr
    assert "Traceback" not in users.stderr
    for command in ("create", "list", "set-password", "deactivate"):
        assert f"  {command} " in users.stdout


@pytest.mark.parametrize("args", [("users", "list"), ("run",)], ids=["users-list", "run"])
def test_a_command_without_secret_key_says_what_to_set_in_one_line(tmp_path, args):
    result = _flask(tmp_path, *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: SECRET_KEY is not set")
    assert "COHORT_ENV=development" in lines[0]
    assert result.stdout == ""


def test_a_malformed_setting_is_one_line_naming_it(tmp_path):
    result = _flask(tmp_path, "cohort", "tick", COHORT_ENV="development", COHORT_NOW="yesterday")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: COHORT_NOW: not an ISO-8601 instant: 'yesterday'"]


def test_make_flask_runs_the_readme_commands_in_development(tmp_path):
    unmigrated = _make_flask(tmp_path, "users list")
    assert unmigrated.returncode != 0
    errors = [line for line in unmigrated.stderr.splitlines() if not line.startswith("make")]
    assert errors == [line for line in errors if line.startswith("Error: the database has no")]
    assert len(errors) == 1, unmigrated.stderr

    assert _make_flask(tmp_path, "db upgrade").returncode == 0
    created = _make_flask(
        tmp_path, 'users create evan@example.org --name "Evan Miller" --role facilitator '
                  "--password correct-horse-battery")
    assert created.returncode == 0, created.stderr
    assert "Created facilitator account evan@example.org (Evan Miller)." in created.stdout

    listed = _make_flask(tmp_path, "users list")
    assert listed.returncode == 0, listed.stderr
    assert "evan@example.org\tEvan Miller\tfacilitator\tactive" in listed.stdout
