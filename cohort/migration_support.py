"""Alembic autogenerate hooks: migrations use plain SQLAlchemy types, never app classes."""

from __future__ import annotations

from typing import Any

from cohort.models.base import UTCInstant


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our UTC instant column as `sa.DateTime(timezone=True)`."""
    if type_ == "type" and isinstance(obj, UTCInstant):
        return "sa.DateTime(timezone=True)"
    return False
