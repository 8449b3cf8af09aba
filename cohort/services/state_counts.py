"""A cohort's enrollments per state: read from the counts the database keeps, and folded.

Each count is the folded number (`enrollment_state_counts`) plus the changes the trigger wrote
since (`enrollment_state_changes`), both read in the same statement, so one snapshot: exact at any
moment, including the caller's own uncommitted changes, and a handful of index lookups however
many applications a cohort has (see `cohort.models.state_counts`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Label, bindparam, delete, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cohort.models import Cohort, EnrollmentStateChange, EnrollmentStateCount
from workflows import EnrollmentMachine

COUNTS, CHANGES = EnrollmentStateCount.__table__, EnrollmentStateChange.__table__
#: Changes folded into the counts in one transaction at most.
FOLD_BATCH = 10_000


def _state_counts(cohort_id: ColumnElement[int]) -> list[Label[int]]:
    """Per state the machine defines, the folded count plus the changes since, labelled with the
    state (each an index lookup; the states are written in)."""
    columns = []
    for state in EnrollmentMachine.state_ids():
        written = literal(state, literal_execute=True)
        folded = (select(func.coalesce(func.sum(COUNTS.c.n), 0))
                  .where(COUNTS.c.cohort_id == cohort_id, COUNTS.c.state == written)
                  .scalar_subquery())
        since = (select(func.coalesce(func.sum(CHANGES.c.delta), 0))
                 .where(CHANGES.c.cohort_id == cohort_id, CHANGES.c.state == written)
                 .scalar_subquery())
        columns.append((folded + since).label(state))
    return columns


# Built once: only the cohort changes.
_COUNT_BY_STATE = select(*_state_counts(bindparam("cohort_id")))
#: The counts as columns of a statement that reads cohorts (each correlated to its row's cohort).
STATE_COUNTS_OF_COHORT = _state_counts(Cohort.id)


def counts_in(row: Mapping[str, Any]) -> dict[str, int]:
    """The nonzero counts per state among a row's columns (see `STATE_COUNTS_OF_COHORT`)."""
    return {state: int(row[state]) for state in EnrollmentMachine.state_ids() if row[state]}


def count_by_state(session: Session, cohort_id: int) -> dict[str, int]:
    """How many enrollments of the cohort are in each state (states with none left out)."""
    return counts_in(session.execute(_COUNT_BY_STATE, {"cohort_id": cohort_id}).one()._mapping)


def count_by_state_of(session: Session, cohort_ids: Collection[int]
                      ) -> dict[int, dict[str, int]]:
    """`count_by_state` for many cohorts in one statement (a list of every cohort)."""
    counts: dict[int, dict[str, int]] = {cohort_id: {} for cohort_id in cohort_ids}
    if counts:
        both = union_all(
            select(COUNTS.c.cohort_id, COUNTS.c.state, COUNTS.c.n.label("n"))
            .where(COUNTS.c.cohort_id.in_(counts)),
            select(CHANGES.c.cohort_id, CHANGES.c.state, CHANGES.c.delta.label("n"))
            .where(CHANGES.c.cohort_id.in_(counts))).subquery()
        for cohort_id, state, count in session.execute(
                select(both.c.cohort_id, both.c.state, func.sum(both.c.n))
                .group_by(both.c.cohort_id, both.c.state)):
            if count:
                counts[cohort_id][state] = int(count)
    return counts


def changes_to_fold(session: Session) -> bool:
    """Whether any change waits to be folded (one indexed read)."""
    return session.scalar(select(CHANGES.c.id).limit(1)) is not None


def fold_state_changes(session: Session, limit: int = FOLD_BATCH) -> int:
    """Fold up to `limit` changes into the counts, in the caller's transaction; how many.

    The changes are deleted and returned by one statement, so two folders at once never fold
    the same change twice (the second waits for the first's rows, then finds them gone); the
    counts are then updated in (cohort, state) order, so two folders never deadlock.
    """
    folded = session.execute(
        delete(CHANGES)
        .where(CHANGES.c.id.in_(select(CHANGES.c.id).order_by(CHANGES.c.id).limit(limit)
                                .scalar_subquery()))
        .returning(CHANGES.c.cohort_id, CHANGES.c.state, CHANGES.c.delta)).all()
    sums: dict[tuple[int, str], int] = {}
    for cohort_id, state, delta in folded:
        sums[(cohort_id, state)] = sums.get((cohort_id, state), 0) + delta
    if sums:
        insert = {"postgresql": postgresql.insert,
                  "sqlite": sqlite.insert}[session.get_bind().dialect.name]
        for (cohort_id, state), delta in sorted(sums.items()):
            stmt = insert(COUNTS).values(cohort_id=cohort_id, state=state, n=delta)
            session.execute(stmt.on_conflict_do_update(
                index_elements=["cohort_id", "state"], set_={"n": COUNTS.c.n + stmt.excluded.n}))
    return len(folded)
