"""Engine settings per dialect.

SQLite gets WAL, foreign keys, a busy timeout and real transactions: pysqlite's own transaction
handling is switched off and every transaction that may write starts with BEGIN IMMEDIATE, so
it holds the database's write lock from its first statement (GET requests read in a deferred
transaction). That makes SAVEPOINTs part of the
enclosing transaction and lets `lock_row` count seats without a lost update, at the price of
serialising SQLite writers — the embedded default serves one small program; PostgreSQL is
production.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from flask import Flask, has_request_context, request
from sqlalchemy import Insert, Row, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from cohort.extensions import db


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, decides when to BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


_READ_ONLY: ContextVar[bool] = ContextVar("cohort_read_only", default=False)
_WRITING: ContextVar[bool] = ContextVar("cohort_writing", default=False)
_HOLDS_WRITE_LOCK = "cohort.holds_write_lock"


@contextmanager
def read_only() -> Iterator[None]:
    """Transactions begun inside only read (e.g. rendering exports): they take no write lock."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside write, even in a GET (storing a PDF rendered on first download)."""
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def _sqlite_begin(connection: Connection) -> None:
    # Safe requests (GET, HEAD) never write: a deferred read transaction blocks no writer.
    safe = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
    deferred = (safe or _READ_ONLY.get()) and not _WRITING.get()
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
    connection.info[_HOLDS_WRITE_LOCK] = not deferred


P = ParamSpec("P")
R = TypeVar("R")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def reads_without_transaction(view: Callable[P, R]) -> Callable[P, R]:
    """A view that only reads: on PostgreSQL, a GET or HEAD of it sends no BEGIN and no ROLLBACK.

    Under READ COMMITTED (PostgreSQL's default, and ours) every statement sees its own snapshot
    whether or not it runs inside a transaction, so each statement committing on its own changes
    nothing the view sees; it saves two round trips a request. The transaction ends with the view
    (without a statement: there is nothing to undo), so nothing after it inherits the mode. Other
    methods, a session already in a transaction, `writing()`, and SQLite (whose transactions
    `_sqlite_begin` manages) are left as they are.
    """
    @functools.wraps(view)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = db.session()
        if (request.method not in SAFE_METHODS or _WRITING.get() or session.in_transaction()
                or db.engine.dialect.name != "postgresql"):
            return view(*args, **kwargs)
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            return view(*args, **kwargs)
        finally:
            session.rollback()

    return run


def holds_write_lock(session: Session) -> bool:
    """Whether `session` is in a SQLite transaction holding the write lock (BEGIN IMMEDIATE).

    Another connection of this process that wants to write would wait for it in vain; such a
    caller writes through `session` instead. Always False on PostgreSQL (row locks).
    """
    if session.get_bind().dialect.name != "sqlite":
        return False
    return bool(session.connection().info.get(_HOLDS_WRITE_LOCK))  # begins one if none is open


def configure_sqlite(engine: Engine) -> None:
    """Apply the SQLite settings above to an engine."""
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def init_app(app: Flask) -> None:
    """Attach per-dialect connection settings to the app's engine."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)


@functools.cache
def _insert_returning_id(table: Table) -> Insert:
    return table.insert().returning(table.c.id)


def insert_row(session: Session, model: type[Any], values: dict[str, Any]) -> int:
    """INSERT one row of `model`'s table with Core on the session's connection (in its
    transaction) and return its id: for rows nothing in the request reads back, where the ORM's
    unit of work would only add bookkeeping to the same INSERT. The statement is built once per
    table; column defaults apply as with the ORM. (Like any Core statement on the connection, it
    does not flush pending ORM objects first.)"""
    return session.connection().execute(_insert_returning_id(model.__table__), values
                                        ).scalar_one()


def dialect_insert(session: Session) -> Callable[[Table], Any]:
    """The INSERT construct of the session's database, the one that knows ON CONFLICT
    (PostgreSQL's or SQLite's)."""
    return {"postgresql": postgresql.insert,
            "sqlite": sqlite.insert}[session.get_bind().dialect.name]


@functools.cache
def _insert_unless_taken(insert: Callable[[Table], Any], table: Table,
                         key_columns: tuple[str, ...], returning: tuple[str, ...]) -> Insert:
    """`INSERT … ON CONFLICT (key) DO NOTHING RETURNING <columns>`; values given at execution."""
    return (insert(table).on_conflict_do_nothing(index_elements=list(key_columns))
            .returning(*(table.c[name] for name in returning)))


def insert_new(session: Session, model: type[Any], key_columns: list[str],
               values: dict[str, Any], returning: tuple[str, ...] = ("id",)) -> Row[Any] | None:
    """INSERT one row unless its key is taken (ON CONFLICT DO NOTHING): the new row's
    `returning` columns, or None.

    One Core statement in the session's transaction, built once per table and shape, and
    nothing to undo when another request got there first: no savepoint. (Like `insert_row`,
    nothing is added to the session.)
    """
    stmt = _insert_unless_taken(dialect_insert(session), model.__table__, tuple(key_columns),
                                returning)
    return session.connection().execute(stmt, values).one_or_none()
