"""The yardstick for bench/bench_http.py: a bare Flask + SQLAlchemy service, nothing else.

Two endpoints, each one statement on its own indexed table in the same PostgreSQL database as
the service under test: `POST /insert` stores one row (one INSERT, committed) and
`GET /select?key=…` reads one row by its unique, indexed key. No forms, CSRF, sessions,
templates or sign-in: what is left is the cost of Flask, SQLAlchemy, the pool and PostgreSQL,
which every request of the real service pays too. The engine options match the service's
(`pool_pre_ping`), so the comparison is between the two applications, not their pools.

Served by gunicorn as `baseline_app:create_app()` with DATABASE_URL set, under the same
settings as the service.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, Response, abort, request
from sqlalchemy import Engine, String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    """The baseline's own metadata (one table)."""


class Item(Base):
    """One stored form post."""

    __tablename__ = "bench_baseline_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the unique index selected by
    payload: Mapped[str] = mapped_column(Text)


def engine_for(url: str) -> Engine:
    """An engine configured as the service configures its own."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def create_app(database_url: str | None = None) -> Flask:
    """The baseline application on DATABASE_URL (its table must exist: see `Base.metadata`)."""
    engine = engine_for(database_url or os.environ["DATABASE_URL"])
    app = Flask(__name__)

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        """One INSERT of the posted body, committed."""
        payload = request.get_data(as_text=True)  # read (and cached) before the form parse
        key = request.form.get("key") or secrets.token_urlsafe(24)
        with Session(engine) as session, session.begin():
            session.add(Item(key=key, payload=payload))
        return "created\n", 201

    @app.get("/select")
    def select_one() -> Response:
        """One SELECT by the indexed key."""
        with Session(engine) as session:
            item = session.scalars(
                select(Item).where(Item.key == request.args.get("key", ""))).one_or_none()
            if item is None:
                abort(404)
            return Response(item.payload, mimetype="text/plain")

    return app
