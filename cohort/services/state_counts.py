"""A cohort's enrollments per state: read from the counts the database keeps, and folded.

Each count is the folded number (`enrollment_state_counts`) plus the changes the trigger wrote
since (`enrollment_state_changes`), both read in the same statement, so one snapshot: exact at any
moment, including the caller's own uncommitted changes, and two index range reads however
many applications a cohort has (see `cohort.models.state_counts`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select, union_all
from sqlalchemy.orm import Session

from cohort.database import dialect_insert
from cohort.models import EnrollmentStateChange, EnrollmentStateCount

COUNTS, CHANGES = EnrollmentStateCount.__table__, EnrollmentStateChange.__table__
#: Changes folded into the counts in one transaction at most.
FOLD_BATCH = 10_000


def _counted(counts_of: ColumnElement[bool], changes_of: ColumnElement[bool]) -> Select[Any]:
    """(cohort, state, count): the folded counts plus the changes since, summed per cohort and
    state; two index range reads, whatever the number of states or applications."""
    both = union_all(
        select(COUNTS.c.cohort_id, COUNTS.c.state, COUNTS.c.n.label("n")).where(counts_of),
        select(CHANGES.c.cohort_id, CHANGES.c.state, CHANGES.c.delta.label("n"))
        .where(changes_of)).subquery()
    return (select(both.c.cohort_id, both.c.state, func.sum(both.c.n))
            .group_by(both.c.cohort_id, both.c.state))


# Built once: only the cohorts change.
_OF_COHORT = _counted(COUNTS.c.cohort_id == bindparam("cohort_id"),
                      CHANGES.c.cohort_id == bindparam("cohort_id"))
_OF_COHORTS = _counted(COUNTS.c.cohort_id.in_(bindparam("cohort_ids", expanding=True)),
                       CHANGES.c.cohort_id.in_(bindparam("cohort_ids", expanding=True)))


def count_by_state(session: Session, cohort_id: int) -> dict[str, int]:
    """How many enrollments of the cohort are in each state (states with none left out)."""
    return {state: int(count) for _, state, count
            in session.execute(_OF_COHORT, {"cohort_id": cohort_id}) if count}


def count_by_state_of(session: Session, cohort_ids: Collection[int]
                      ) -> dict[int, dict[str, int]]:
    """`count_by_state` for many cohorts in one statement (a list of every cohort)."""
    counts: dict[int, dict[str, int]] = {cohort_id: {} for cohort_id in cohort_ids}
    if counts:
        for cohort_id, state, count in session.execute(_OF_COHORTS,
                                                       {"cohort_ids": list(counts)}):
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
        insert = dialect_insert(session)
        for (cohort_id, state), delta in sorted(sums.items()):
            stmt = insert(COUNTS).values(cohort_id=cohort_id, state=state, n=delta)
            session.execute(stmt.on_conflict_do_update(
                index_elements=["cohort_id", "state"], set_={"n": COUNTS.c.n + stmt.excluded.n}))
    return len(folded)


def fold_everything(session: Session, limit: int = FOLD_BATCH) -> int:
    """Fold every waiting change, committing after each batch of `limit`; how many.

    A job, not a service step: `cohort tick` (for cron set-ups) and bulk loads run it. Requests
    never do, and the worker folds one batch a round beside its other work.
    """
    total = 0
    while folded := fold_state_changes(session, limit):
        session.commit()
        total += folded
    session.commit()
    return total
