"""A real Chromium driven by Playwright: launching it, watching pages for errors, screenshots, mail.

Debian's Chromium at /usr/bin/chromium is used (never a browser downloaded by Playwright); tests
skip with the reason when it or Playwright is missing (and CI turns that skip into a failure).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.smtp_server import SmtpTestServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
RESOURCE_STATUS = re.compile(r"^Failed to load resource: the server responded with a status "
                             r"of (\d{3})\b")
STATUS_LINK = re.compile(r"https?://[^\s/]+(/a/[A-Za-z0-9_\-]+)\b")


def browser_unavailable() -> str | None:
    """Why no browser test can run here, or None when Playwright and Chromium are there."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@dataclass
class Problem:
    """Something that went wrong in a page: a console error, an exception or a failed request."""

    who: str
    what: str

    def __str__(self) -> str:
        return f"[{self.who}] {self.what}"


@dataclass
class PageWatch:
    """Collects console errors, uncaught exceptions, failed requests and HTTP >= 400 answers."""

    problems: list[Problem] = field(default_factory=list)
    _allowed: list[tuple[int | str, str]] = field(default_factory=list)

    def watch(self, page: Any, who: str) -> Any:
        """Attach the listeners to `page` (named `who` in reports); return the page."""
        page.on("console", lambda message: self._console(who, message))
        page.on("pageerror", lambda error: self.problems.append(
            Problem(who, f"uncaught exception: {error}")))
        page.on("requestfailed", lambda request: self._failed(who, request))
        page.on("response", lambda response: self._response(who, response))
        return page

    def _console(self, who: str, message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            # Chromium also logs every HTTP error answer; an expected one is no problem.
            logged = RESOURCE_STATUS.search(message.text)
            if logged and self._is_allowed(int(logged.group(1)), location.get("url", "")):
                return
            self.problems.append(Problem(who, f"console error: {message.text} "
                                              f"({location.get('url', '')})"))

    def _is_allowed(self, status: int | str, url: str) -> bool:
        path = urlsplit(url).path
        return any(status == want and path.endswith(suffix) for want, suffix in self._allowed)

    def _failed(self, who: str, request: Any) -> None:
        error = request.failure or "failed"
        if error == "net::ERR_ABORTED" and request.resource_type != "document":
            # Chromium aborts a page's pending subresources (the favicon, typically) when the
            # next navigation starts: the page moved on; nothing failed. A refused, blocked or
            # broken request reports its own error, and an HTTP error is caught as a response.
            return
        if not self._is_allowed(error, request.url):
            self.problems.append(Problem(who, f"request failed: {request.method} "
                                              f"{request.url}: {error}"))

    def _response(self, who: str, response: Any) -> None:
        if response.status >= 400 and not self._is_allowed(response.status, response.url):
            self.problems.append(Problem(
                who, f"HTTP {response.status} for {response.request.method} {response.url}"))

    @contextmanager
    def expecting(self, status: int | str, path_suffix: str) -> Iterator[None]:
        """Inside the block, an answer `status` (or a request failure text) on a path ending
        with `path_suffix` is expected (e.g. 422 for a form sent with mistakes on purpose)."""
        entry = (status, path_suffix)
        self._allowed.append(entry)
        try:
            yield
        finally:
            self._allowed.remove(entry)

    def assert_clean(self, step: str) -> None:
        """Fail with every problem seen since the last check; then start afresh."""
        problems, self.problems = self.problems, []
        assert not problems, f"step {step!r}:\n" + "\n".join(str(p) for p in problems)


class Screenshots:
    """Numbered full-page screenshots under artifacts/browser/<backend>/ (old ones removed)."""

    def __init__(self, backend: str, prefix: str = "") -> None:
        self.directory = ARTIFACTS / backend
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        pattern = f"{prefix}[0-9][0-9]-*.png"
        for old in self.directory.glob(pattern):
            old.unlink()
        self.count = 0
        self.taken: list[Path] = []

    def take(self, page: Any, name: str) -> Path:
        """Save `page` as NN-name.png."""
        self.count += 1
        path = self.directory / f"{self.prefix}{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


def body_text(message: EmailMessage) -> str:
    """The plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no text body in {message['Subject']!r}"
    return part.get_content()


def wait_for_mail(server: SmtpTestServer, to: str, subject: str, *, timeout: float = 10.0,
                  nudge: Callable[[], object] | None = None) -> EmailMessage:
    """The first message to `to` whose subject contains `subject`, waiting up to `timeout` s.

    `nudge` (e.g. running `cohort tick`, which retries queued mail) is called once when half
    the time has passed without the message.
    """
    start = time.monotonic()
    nudged = False
    while True:
        for item in server.received:
            if to in item.rcpt_tos and subject in str(item.message["Subject"]):
                return item.message
        waited = time.monotonic() - start
        if nudge is not None and not nudged and waited > timeout / 2:
            nudge()
            nudged = True
        if waited > timeout:
            seen = [(r.rcpt_tos, str(r.message["Subject"])) for r in server.received]
            raise AssertionError(f"no mail to {to} about {subject!r} within {timeout} s; "
                                 f"received: {seen}")
        time.sleep(0.1)


def status_path(message: EmailMessage) -> str:
    """The /a/<token> path of the status link in a message."""
    found = STATUS_LINK.search(body_text(message))
    assert found, f"no status link in {message['Subject']!r}:\n{body_text(message)}"
    return found.group(1)


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits).

    Beyond `scrollWidth <= innerWidth`: a mobile browser widens its layout viewport (and zooms
    out) to fit content wider than the screen, so `innerWidth` itself must stay the screen's.
    """
    screen = page.viewport_size["width"]
    scroll, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    return max(0, scroll - inner, inner - screen)


def reload_until(page: Any, check: Callable[[], bool], *, timeout: float = 10.0,
                 what: str = "the page to change") -> None:
    """Reload `page` until `check()` holds (e.g. a webhook's effect), for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} "
                                 f"on {page.url}")
        page.wait_for_timeout(250)
        page.reload()


def cents_in(text: str) -> int:
    """'$3,794.00 USD' → 379400; '-499.25' → -49925."""
    found = re.search(r"(-?)\D*?([\d,]+)\.(\d\d)", text)
    assert found, f"no amount in {text!r}"
    sign = -1 if found.group(1) else 1
    return sign * (int(found.group(2).replace(",", "")) * 100 + int(found.group(3)))
