"""Declarative base, naming convention, the UTC instant column type and two row rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# The largest id an id column holds (PostgreSQL's `integer`). A larger number in an address or a
# form names no row; it is refused before a query, since SQLite cannot even bind it (a 500).
MAX_ROW_ID = 2**31 - 1


class UTCInstant(TypeDecorator[datetime]):
    """A point in time, stored as UTC; refuses naive datetimes, returns aware UTC ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC before storing it."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; store aware UTC instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return stored instants as aware UTC datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: Sequence[str], name: str) -> CheckConstraint:
    """A CHECK that `column` holds one of `values` (e.g. the states a machine defines)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class RowImmutable(RuntimeError):
    """A row that is written once and never changed or removed (documents, ledger, audit)."""


def append_only(model: type[Base], error: type[RowImmutable],
                describe: Callable[[Any], str]) -> None:
    """Make the ORM refuse, with `error`, to update or delete rows of `model`."""

    def refuse_edit(mapper: Any, connection: Any, target: Any) -> None:
        raise error(f"{describe(target)} cannot change")

    def refuse_delete(mapper: Any, connection: Any, target: Any) -> None:
        raise error(f"{describe(target)} cannot be removed")

    event.listen(model, "before_update", refuse_edit)
    event.listen(model, "before_delete", refuse_delete)
