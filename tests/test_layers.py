"""The layers import downwards only: machines below models, models and forms below services,
the Stripe gateway and the documents' PDF path below the services that use them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute imports; this code base uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(*patterns: str) -> list[Path]:
    return sorted(p for pattern in patterns for p in ROOT.glob(pattern))


def _offending(files: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """file -> the imports of it that start with a forbidden prefix."""
    found = {}
    for path in files:
        bad = sorted(name for name in _imports(path)
                     if any(name == f or name.startswith(f + ".") for f in forbidden))
        if bad:
            found[path.as_posix()] = bad
    return found


RULES = [
    ("the machines", ("workflows/*.py",), ("cohort", "forms", "flask", "sqlalchemy", "app")),
    ("the models", ("cohort/models/*.py",),
     ("cohort.services", "cohort.views", "forms", "cohort.invoices", "cohort.payments", "app")),
    ("the forms", ("forms/*.py",), ("cohort.services", "cohort.views", "app")),
    ("the Stripe gateway", ("cohort/payments/*.py",), ("cohort.services", "cohort.views", "app")),
    ("the documents", ("cohort/invoices/*.py",),
     ("cohort.services", "cohort.views", "forms", "app")),
    ("the shared vocabularies", ("cohort/cohort_terms.py", "cohort/errors.py",
                                 "cohort/jsonbody.py", "cohort/addresses.py"),
     ("cohort.services", "cohort.views", "forms", "app")),
    ("the proration rule", ("cohort/proration.py",),
     ("cohort", "forms", "flask", "sqlalchemy", "app")),
]


@pytest.mark.parametrize(("layer", "patterns", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_a_lower_layer_imports_nothing_above_it(layer, patterns, forbidden):
    files = _files(*patterns)
    assert files, f"no files for {layer}"
    assert _offending(files, forbidden) == {}


def test_the_rule_finds_an_upward_import(tmp_path):
    """The check itself: a form that imports a service is reported, with what it imports."""
    sample = tmp_path / "sample.py"
    sample.write_text("import flask\nfrom cohort.services.decisions import DECISIONS\n")
    assert _offending([sample], ("cohort.services",)) == {
        sample.as_posix(): ["cohort.services.decisions"]}
