"""Real local servers for the alert tests, on 127.0.0.1 only, each keeping what it got.

- :func:`smtp_server`: an SMTP server (aiosmtpd) without TLS or a login, as a plain relay
  is; it keeps each message it accepts, parsed.
- :func:`json_receiver`: an HTTP server (the standard library's) that keeps each POST's
  path and JSON body, as a webhook would receive it.
- :func:`closed_port`: a port nothing listens on, for a channel that is down.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
POLL = 0.05  # seconds between the HTTP server's checks for shutdown (its default: 0.5)
PORT_TRIES = 5  # a free port can be taken by another process between choosing and binding


def closed_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message the SMTP server accepted: the envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    port: int
    messages: list[Received] = field(default_factory=list)


class _Collect:
    """aiosmtpd's handler: keep each message, accept it."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mailbox.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A running SMTP server on 127.0.0.1; stopped on leaving."""
    from aiosmtpd.controller import Controller

    # aiosmtpd checks its server by connecting to the port it was given, so it needs a
    # real port rather than 0: take a free one, and another if it was taken meanwhile.
    for attempt in range(PORT_TRIES):
        mailbox = Mailbox(closed_port())
        controller = Controller(_Collect(mailbox), hostname=HOST, port=mailbox.port)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            if attempt == PORT_TRIES - 1:
                raise
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class Post:
    path: str
    content_type: str
    headers: dict[str, str]
    body: Any  # the JSON, parsed


@dataclass
class Hook:
    port: int
    posts: list[Post] = field(default_factory=list)


@contextlib.contextmanager
def json_receiver() -> Iterator[Hook]:
    """A running HTTP server on 127.0.0.1 that answers 200 to each POST and keeps it."""
    posts: list[Post] = []

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            headers = dict(self.headers.items())
            posts.append(Post(self.path, self.headers.get("Content-Type", ""), headers, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``posts``, not the server's log."""

    server = ThreadingHTTPServer((HOST, 0), Receive)
    thread = threading.Thread(target=server.serve_forever, args=(POLL,), daemon=True)
    thread.start()
    try:
        yield Hook(int(server.server_address[1]), posts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
