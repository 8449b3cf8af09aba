"""How large a request body each route accepts; anything larger is a 413 before it is read.

One table says it per endpoint; every other route (every HTML form) gets the form limit. The
check runs before any other request hook (the CSRF check reads the form), looks only at the
`Content-Length` header, and answers 413 at once, so a 1 GiB upload is refused without reading a
byte of it. A body sent without a length (chunked: the server marks it `wsgi.input_terminated`)
is read here up to one byte past the limit: over it, 413; within it, the view reads it as usual.
(Werkzeug alone would silently cut such a body at the limit and parse the rest.)
"""

from __future__ import annotations

import io

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

KIB = 1024
# The longest form (the application: about 11,000 characters, each up to 12 bytes once
# percent-encoded) fits with room to spare.
FORM_LIMIT = 256 * KIB
# Stripe's events are a few KB; a signed event this large would be unusual but legitimate.
WEBHOOK_LIMIT = 256 * KIB
# The card endpoint takes a card token (at most 255 characters) as JSON.
JSON_LIMIT = 16 * KIB

BODY_LIMITS: dict[str, int] = {
    "stripe_webhook.webhook": WEBHOOK_LIMIT,
    "registration.pay_with_card": JSON_LIMIT,
}
JSON_ENDPOINTS = frozenset(BODY_LIMITS)


def body_limit(endpoint: str | None) -> int:
    """The most bytes a request to `endpoint` may carry."""
    return BODY_LIMITS.get(endpoint or "", FORM_LIMIT)


def _in_words(limit: int) -> str:
    return f"{limit // KIB:,} KB"


def _read_unsized_body(limit: int) -> None:
    """Read a body sent without a length, up to one byte past `limit`; 413 if it is larger."""
    environ = request.environ
    stream = environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(64 * KIB, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise RequestEntityTooLarge(
            f"What was sent is larger than this address accepts ({_in_words(limit)}), so "
            "nothing was saved.")
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)


def _refuse_oversized_bodies() -> None:
    """Set the route's limit on the request; refuse at once a body declared larger."""
    limit = body_limit(request.endpoint)
    request.max_content_length = limit
    declared = request.content_length
    if declared is not None and declared > limit:
        raise RequestEntityTooLarge(
            f"What was sent is larger than this address accepts ({_in_words(limit)}), so none "
            "of it was read and nothing was saved.")
    if declared is None and "wsgi.input_terminated" in request.environ:
        _read_unsized_body(limit)


def _too_large(error: RequestEntityTooLarge) -> tuple[Response | str, int]:
    """413 in words: JSON for the JSON endpoints, the error page for everything else."""
    limit = body_limit(request.endpoint)
    message = (f"What was sent is larger than this address accepts ({_in_words(limit)}), so "
               "nothing was saved.")
    if error.description and error.description.startswith("What was sent"):
        message = error.description
    if request.endpoint in JSON_ENDPOINTS:
        return jsonify(error=message, limit_bytes=limit), 413
    message += " If you pasted a long text, shorten it and send the form again."
    return render_template("error.html", title="Too large to accept", message=message,
                           status=413), 413


def init_app(app: Flask) -> None:
    """Check sizes before every other request hook; answer 413 with words."""
    app.config["MAX_CONTENT_LENGTH"] = FORM_LIMIT  # also outside requests' routes (404s)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized_bodies)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
