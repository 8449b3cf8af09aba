"""Gap-free document numbers per series, safe under concurrent issuing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import DocumentSeries


def next_number(session: Session, series: str) -> int:
    """Take the next number of `series`; the series row stays locked until commit.

    A rolled-back transaction gives its number back, so numbers have no gaps.
    """
    stmt = select(DocumentSeries).where(DocumentSeries.key == series)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    row = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(DocumentSeries(key=series, last_number=0))
        except IntegrityError:
            pass  # another transaction created it first; lock theirs
        row = session.scalars(stmt.execution_options(populate_existing=True)).one()
    row.last_number += 1
    session.flush()
    return row.last_number
