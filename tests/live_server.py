"""A real HTTP server for tests: a Flask (WSGI) app on 127.0.0.1, served from a background thread.

Other processes can reach it, e.g. localstripe delivering webhooks, or a browser.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port on `host` that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_until_accepting(host: str, port: int, timeout: float = 5.0) -> None:
    """Return once `host:port` accepts a TCP connection; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"nothing answers on {host}:{port} after {timeout} s") from exc
            time.sleep(0.02)


class LiveServer:
    """Serves `app` over HTTP on 127.0.0.1; `start()` before use, `stop()` after.

    The port is chosen by the operating system when the server starts (port 0), so two servers
    never race for the same one; pass `port` to ask for a given one.
    """

    def __init__(self, app: Flask, host: str = HOST, port: int = 0) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash, e.g. http://127.0.0.1:54321."""
        if self.port is None:
            raise RuntimeError("LiveServer has no URL before start()")
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        """Bind, serve in a daemon thread, and return once the port answers."""
        if self._server is not None:
            raise RuntimeError("LiveServer is already started")
        server = make_server(self.host, self._requested_port, self.app, threaded=True)
        self._server = server
        self.port = server.server_port
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.port}", daemon=True,
        )
        self._thread.start()
        wait_until_accepting(self.host, self.port)
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
