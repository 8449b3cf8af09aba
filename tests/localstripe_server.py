"""A fake Stripe for tests: localstripe (PyPI) in a subprocess on 127.0.0.1 and a free port.

It serves the Stripe API under /v1/…, a fake Stripe.js at /js.stripe.com/v3/, and delivers signed
webhooks to the URLs registered with `register_webhook`. What it does and does not do is pinned
down by tests/test_harness.py. Each instance starts empty (`--from-scratch`); note that localstripe
also writes its store to /tmp/localstripe.pickle after every change (hard-coded, not read back
with --from-scratch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import stripe

from tests.live_server import HOST, free_port

LOCALSTRIPE = Path(sys.executable).parent / "localstripe"
API_KEY = "sk_test_cohort"
PUBLISHABLE_KEY = "pk_test_cohort"
PORT_TAKEN = "Address already in use"

# Never send requests to 127.0.0.1 through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def localstripe_available(executable: Path = LOCALSTRIPE) -> str | None:
    """Why localstripe cannot run here, or None when it can."""
    if not executable.is_file():
        return (f"localstripe is not installed: {executable} does not exist "
                "(install the project with `pip install -e .`)")
    if not os.access(executable, os.X_OK):
        return f"localstripe is not executable: {executable}"
    return None


def _request(method: str, url: str, *, data: bytes | None = None,
             headers: dict[str, str] | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send one HTTP request; answer (status, body) for any HTTP status, raise on no answer."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


class LocalStripe:
    """localstripe in a subprocess; `start()` before use, `stop()` after."""

    api_key = API_KEY
    publishable_key = PUBLISHABLE_KEY

    def __init__(self, executable: Path = LOCALSTRIPE, startup_timeout: float = 15.0) -> None:
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash, e.g. http://127.0.0.1:54321."""
        if self.port is None:
            raise RuntimeError("LocalStripe has no URL before start()")
        return f"http://{HOST}:{self.port}"

    @property
    def js_url(self) -> str:
        """The fake Stripe.js, to load in a page instead of https://js.stripe.com/v3/."""
        return f"{self.url}/js.stripe.com/v3/"

    def client(self) -> stripe.StripeClient:
        """An official Stripe client talking to this server, without retries."""
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.url},
                                   max_network_retries=0)

    def start(self, attempts: int = 3) -> LocalStripe:
        """Start the subprocess and return once it answers HTTP.

        A port taken between choosing and binding it is retried with another one; any other
        early exit, or no answer within `startup_timeout`, raises with localstripe's stderr.
        """
        if self._process is not None:
            raise RuntimeError("LocalStripe is already started")
        reason = localstripe_available(self.executable)
        if reason:
            raise RuntimeError(reason)
        for attempt in range(1, attempts + 1):
            self._spawn(free_port())
            try:
                self._wait_until_ready()
                return self
            except RuntimeError as error:
                port_taken = PORT_TAKEN in self.log()
                self.stop()
                if not port_taken or attempt == attempts:
                    raise error
        raise AssertionError("unreachable")

    def _spawn(self, port: int) -> None:
        self.port = port
        fd, name = tempfile.mkstemp(prefix=f"localstripe-{port}-", suffix=".log")
        self._log_path = Path(name)
        with os.fdopen(fd, "wb") as stderr:
            self._process = subprocess.Popen(
                [str(self.executable), "--port", str(port), "--from-scratch"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            )

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self._process.poll()
            if code is not None:
                raise RuntimeError(f"localstripe exited with code {code} before answering on "
                                   f"{self.url}; its stderr:\n{self.log()}")
            try:
                status, _ = _request("GET", self.js_url, timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(f"localstripe did not answer on {self.url} within "
                                   f"{self.startup_timeout} s; its stderr:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        """What localstripe wrote to stderr so far: access log, webhook deliveries, tracebacks."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")

    def register_webhook(self, url: str, secret: str, webhook_id: str = "cohort") -> None:
        """Deliver every event to `url`, signed with `secret`; the same id replaces the URL."""
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        status, answer = _request(
            "POST", f"{self.url}/_config/webhooks/{urllib.parse.quote(webhook_id, safe='')}",
            data=body, headers={"Authorization": f"Bearer {self.api_key}",
                                "Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 200:
            raise RuntimeError(f"localstripe refused webhook {url!r}: {status} {answer!r}")

    def authenticate(self, payment_intent_id: str, client_secret: str, *, success: bool = True,
                     key: str | None = None) -> tuple[int, dict[str, Any]]:
        """Pass or fail 3-D Secure as the fake Stripe.js `confirmCardPayment` does.

        The same request as the browser's `fetch`: no Authorization header, a JSON body (sent as
        text/plain) with the publishable key (or `key`) and the client secret. Answers
        (HTTP status, JSON body).
        """
        query = urllib.parse.urlencode({"success": "true" if success else "false"})
        body = json.dumps({"key": key or self.publishable_key, "client_secret": client_secret})
        status, answer = _request(
            "POST", f"{self.url}/v1/payment_intents/{payment_intent_id}/_authenticate?{query}",
            data=body.encode(), headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        return status, json.loads(answer or b"{}")

    def stop(self) -> None:
        """Terminate the subprocess (kill it if it lingers) and remove its log. Safe twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
