"""Row locks that work on PostgreSQL (SELECT … FOR UPDATE) and SQLite (the database write lock)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cohort.models import Cohort, Enrollment

T = TypeVar("T", Cohort, Enrollment)


def lock_row(session: Session, model: type[T], row_id: int) -> T:
    """Lock one row for the rest of the transaction and return it freshly loaded.

    PostgreSQL locks the row itself. SQLite has no row locks: a no-op UPDATE takes the
    database's write lock first (waiting on `busy_timeout`), so every later read in the
    transaction sees committed data no other writer can change until we commit.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(model.id == row_id).values(id=model.id))
        stmt = select(model).where(model.id == row_id)
    else:
        stmt = select(model).where(model.id == row_id).with_for_update()
    row = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise LookupError(f"{model.__name__} {row_id} does not exist")
    return row
