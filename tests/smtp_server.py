"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it receives and counting
the connections made to it.

It can be told to refuse messages with a temporary failure (451), as a busy or broken relay
would, to refuse a recipient (550), to hang up in the middle of a message, and to answer slowly,
so concurrent senders overlap.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

HOST = "127.0.0.1"
TEMPORARY_FAILURE = "451 4.3.0 Temporarily unable to accept messages, try again later"
NO_SUCH_USER = "550 5.1.1 No such user here"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, closing transmission channel"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One accepted message: the SMTP envelope and the parsed RFC 5322 message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class RecordingHandler:
    """aiosmtpd handler: accepts and stores messages, or refuses them with a 451."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._refused = 0
        self.refusing = False
        self.delay = 0.0
        self.on_message: Callable[[EmailMessage], None] | None = None
        self.unknown_recipients: set[str] = set()
        self.hang_up_on: dict[str, bool] = {}  # address: whether to say 421 first

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.unknown_recipients:
            return NO_SUCH_USER
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        hang_up = [self.hang_up_on[a] for a in envelope.rcpt_tos if a in self.hang_up_on]
        if hang_up:  # the message is not accepted, and the connection ends
            if hang_up[0]:
                return SHUTTING_DOWN  # the client closes the connection on a 421
            server.transport.abort()
            return SHUTTING_DOWN  # never arrives
        if self.refusing:
            with self._lock:
                self._refused += 1
            return TEMPORARY_FAILURE
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if self.on_message is not None:
            self.on_message(message)
        with self._lock:
            self._received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), message)
            )
        return "250 OK"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def refused(self) -> int:
        with self._lock:
            return self._refused


class CountingController(Controller):
    """aiosmtpd's controller, counting every connection its server accepts."""

    def __init__(self, handler: RecordingHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._lock = threading.Lock()
        self.connections = 0

    def factory(self) -> SMTP:
        """A server protocol for one connection (aiosmtpd makes one per connection)."""
        with self._lock:
            self.connections += 1
        return super().factory()


class SmtpTestServer:
    """An SMTP server on 127.0.0.1 and a free port; `start()` before use, `stop()` after."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller = CountingController(self.handler, hostname=self.host, port=self.port)

    def start(self) -> SmtpTestServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        """Every accepted message with its envelope, oldest first."""
        return self.handler.received

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed, oldest first."""
        return [item.message for item in self.handler.received]

    @property
    def connections(self) -> int:
        """How many connections the server has accepted (its own start-up probe included)."""
        return self._controller.connections

    @property
    def refused(self) -> int:
        """How many messages were refused with a temporary failure."""
        return self.handler.refused

    def refuse(self) -> None:
        """Answer every message with a 451 temporary failure from now on."""
        self.handler.refusing = True

    def accept(self) -> None:
        """Accept messages again."""
        self.handler.refusing = False

    def refuse_recipient(self, address: str) -> None:
        """Answer RCPT TO `address` with a 550 (no such user) from now on."""
        self.handler.unknown_recipients.add(address)

    def hang_up_on(self, address: str, *, saying_421: bool = False) -> None:
        """End the connection when a message to `address` has been transmitted: drop it
        unanswered, or answer 421 (service shutting down), after which the client closes it."""
        self.handler.hang_up_on[address] = saying_421

    def slow_down(self, seconds: float) -> None:
        """Wait this long before answering each message."""
        self.handler.delay = seconds

    def on_message(self, callback: Callable[[EmailMessage], None] | None) -> None:
        """Call `callback` with each message as it arrives, before answering the sender."""
        self.handler.on_message = callback
