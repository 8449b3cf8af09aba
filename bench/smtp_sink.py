"""An SMTP sink for the benchmarks: aiosmtpd on 127.0.0.1, accepting and counting every message.

    python bench/smtp_sink.py PORT COUNT_FILE

Runs in its own process (so it takes no time from the benchmark's client threads) until SIGTERM
or SIGINT; every message it accepts rewrites COUNT_FILE with "<messages> <connections>".
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class CountingHandler:
    """Accepts every message and counts messages and connections."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.messages = 0
        self.connections = 0
        self.lock = threading.Lock()

    def write(self) -> None:
        """Record the counts."""
        self.out.write_text(f"{self.messages} {self.connections}\n")

    async def handle_EHLO(self, server: SMTP, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        """Count a connection at its greeting (every client says EHLO once)."""
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        """Accept the message."""
        with self.lock:
            self.messages += 1
            self.write()
        return "250 OK"


def main() -> None:
    """Serve until told to stop."""
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    handler = CountingHandler(out)
    handler.write()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stop.wait(0.5):
            time.sleep(0)
    finally:
        controller.stop()
        handler.write()


if __name__ == "__main__":
    main()
