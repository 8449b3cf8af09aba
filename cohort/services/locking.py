"""Row locks that work on PostgreSQL (SELECT … FOR UPDATE) and SQLite (the database write lock)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import BillingAccount, Cohort, Enrollment, Membership

T = TypeVar("T", Cohort, Enrollment, BillingAccount, Membership)


def lock_row(session: Session, model: type[T], row_id: int) -> T:
    """Lock one row for the rest of the transaction and return it freshly loaded.

    PostgreSQL locks the row itself. SQLite has no row locks, but every SQLite transaction
    here begins IMMEDIATE (see `cohort.database`), so it already holds the database's write lock.
    """
    stmt = select(model).where(model.id == row_id)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    row = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise LookupError(f"{model.__name__} {row_id} does not exist")
    return row
