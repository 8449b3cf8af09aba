"""A request id on every request: taken from a sane `X-Request-ID` (e.g. set by the proxy in
front) or made up, answered in the `X-Request-ID` response header, and on every log record
made while the request runs (`%(request_id)s`; "-" outside a request), so the access log line
(gunicorn.conf.py) and the application's own lines of one request can be found together.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, has_request_context, request

HEADER = "X-Request-ID"
ENVIRON_KEY = "cohort.request_id"
#: What a request id from outside may look like; anything else is replaced by our own.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

_installed: list[Any] = []


def request_id() -> str:
    """The current request's id (taken or made on first use), or "-" outside a request."""
    if not has_request_context():
        return "-"
    environ = request.environ  # per request (an app context, `g`, may outlive one)
    if ENVIRON_KEY not in environ:
        offered = request.headers.get(HEADER, "")
        environ[ENVIRON_KEY] = offered if SANE.fullmatch(offered) else uuid.uuid4().hex
    return str(environ[ENVIRON_KEY])


def _take_request_id() -> None:
    request_id()


def _answer_request_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def install_log_record_factory() -> None:
    """Give every log record of this process a `request_id` attribute (once per process)."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    logging.setLogRecordFactory(factory)
    _installed.append(factory)


def init_app(app: Flask) -> None:
    """Take and answer request ids, and put them on the log records of each request."""
    install_log_record_factory()
    from flask.logging import default_handler

    default_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    app.before_request(_take_request_id)
    app.after_request(_answer_request_id)
