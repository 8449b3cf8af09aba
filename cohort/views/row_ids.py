"""Row ids in addresses: `<int:…>` matches only what an id column can hold, so larger is a 404."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from cohort.models.base import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """Werkzeug's `int` converter, bounded by default to ids a row can have."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ROW_ID, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Make every `<int:…>` in the routes a bounded row id (call before blueprints register)."""
    app.url_map.converters["int"] = RowIdConverter
