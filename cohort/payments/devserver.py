"""localstripe, Stripe's stand-in for development: registering where it sends webhooks."""

from __future__ import annotations

import urllib.parse
import urllib.request


def register_localstripe_webhook(api_base: str, secret_key: str, url: str, secret: str,
                                 webhook_id: str = "cohort") -> None:
    """POST /_config/webhooks/<id> with the url and the signing secret."""
    body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(f"{api_base}/_config/webhooks/{webhook_id}", data=body,
                                     method="POST")
    request.add_header("Authorization", f"Bearer {secret_key}")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
