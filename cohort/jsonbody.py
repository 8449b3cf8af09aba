"""JSON request bodies read with bounds: size and nesting depth are checked before parsing.

`json.loads` recurses once per nesting level, so a body of 100,000 "[" is a RecursionError (a
500), and a large body costs memory before any check. Both are refused here as a 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request

from cohort.errors import ServiceError

# Strings may contain brackets; they are removed before the brackets are counted.
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


class MalformedBody(ServiceError):
    """The request body is not the JSON this endpoint accepts."""

    status_code = 400


def nesting_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in the JSON text `data` (0 for a scalar)."""
    brackets = NOT_BRACKETS.sub(b"", JSON_STRING.sub(b"", data))
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(data: bytes, *, max_bytes: int, max_depth: int) -> Any:
    """`data` as JSON, or `MalformedBody` when too large, too deep or not JSON at all."""
    if len(data) > max_bytes:
        raise MalformedBody(f"The body is larger than {max_bytes} bytes.")
    if nesting_depth(data) > max_depth:
        raise MalformedBody(f"The JSON nests deeper than {max_depth} levels.")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise MalformedBody("The body is not valid JSON.") from None


def request_json(request: Request, *, max_bytes: int, max_depth: int) -> Any:
    """The request's JSON body within the bounds (a declared larger body is not read)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise MalformedBody(f"The body is larger than {max_bytes} bytes.")
    return parse_json(request.get_data(cache=True), max_bytes=max_bytes, max_depth=max_depth)
