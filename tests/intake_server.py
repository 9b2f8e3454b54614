"""A real HTTP server on 127.0.0.1 for the intake tests and benchmark: fixtures and mishaps.

It runs in a thread on a free port (``with IntakeServer() as server:``) and answers:

- ``/files/NAME``: a file of ``tests/data/intake`` (``/plain/NAME``: the same file with no
  Content-Type at all);
- ``/status/CODE``: that status, with a short body;
- ``/redirect/NAME``: 301 to ``/files/NAME``; ``/loop/a`` and ``/loop/b``: 302 to each
  other; ``/hops/N``: a chain of N redirects; ``/to-ftp``: a redirect to an ftp address;
- ``/huge``: more than 5 MB, sent without a Content-Length;
- ``/slow``: nothing for ``SLOW_SECONDS``, then a page; ``/trickle``: a byte at a time;
- ``/cached/NAME``: the file with an ETag and a Last-Modified, and 304 when a request
  carries either of them back;
- ``/wrong-type/NAME``: the file served as ``text/html``; ``/pdf``: a PDF's first bytes;
- any path put in ``server.pages``: (content type, body), for the benchmark's feeds.

Every request's path and headers are kept in ``server.requests``.
"""

from __future__ import annotations

import threading
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "intake"
SLOW_SECONDS = 3.0  # far past any test's timeout: the test must give up first
TRICKLE_BYTES, TRICKLE_PAUSE = 60, 0.05  # 3 s in all, each pause well under a read timeout
POLL_SECONDS = 0.05  # how soon the serving loop notices it is asked to stop
HUGE_BYTES = 5 * 1024 * 1024 + 1
CHUNK = 64 * 1024
ETAG = '"intake-v1"'
LAST_MODIFIED = "Wed, 22 Oct 2025 07:00:00 GMT"
TYPES = {
    ".html": "text/html",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
}


class IntakeServer:
    """The server and what it has seen; stopped on leaving the ``with`` block."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._http = _Server(("127.0.0.1", 0), _Handler)
        self._http.owner = self
        self._thread = threading.Thread(
            target=self._http.serve_forever, args=(POLL_SECONDS,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def url(self, path: str) -> str:
        """The full address of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def seen(self, path: str) -> list[dict[str, str]]:
        """The headers of every request made for ``path``, oldest first."""
        with self.lock:
            return [headers for p, headers in self.requests if p == path]

    def __enter__(self) -> IntakeServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stopping.set()  # wakes the slow routes
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: IntakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (as the size limit and the timeouts make ours do) is
        expected here, not an error worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``server.requests`` instead."""

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.requests.append((self.path, dict(self.headers.items())))
        if self.path in owner.pages:
            self._send(200, *owner.pages[self.path])
            return
        route, _, rest = self.path.lstrip("/").partition("/")
        handler = getattr(self, f"_route_{route.replace('-', '_')}", None)
        if handler is None:
            self._send(404, "text/plain", b"no such page\n")
        else:
            handler(rest)

    # --- the routes

    def _route_files(self, name: str) -> None:
        self._file(name, None)

    def _route_plain(self, name: str) -> None:
        self._file(name, "")

    def _route_wrong_type(self, name: str) -> None:
        self._file(name, "text/html")

    def _route_status(self, code: str) -> None:
        self._send(int(code), "text/plain", f"status {code}\n".encode())

    def _route_redirect(self, name: str) -> None:
        self._redirect(301, f"/files/{name}")

    def _route_loop(self, which: str) -> None:
        self._redirect(302, "/loop/b" if which == "a" else "/loop/a")

    def _route_hops(self, count: str) -> None:
        left = int(count)
        if left:
            self._redirect(302, f"/hops/{left - 1}")
        else:
            self._send(200, "text/plain", b"the end of the chain\n")

    def _route_to_ftp(self, _rest: str) -> None:
        self._redirect(302, "ftp://127.0.0.1/feed.xml")

    def _route_huge(self, _rest: str) -> None:
        # No Content-Length: the client cannot refuse early and must count what it reads.
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        sent = 0
        while sent < HUGE_BYTES:
            self.wfile.write(b"x" * CHUNK)
            sent += CHUNK

    def _route_slow(self, _rest: str) -> None:
        self.server.owner.stopping.wait(SLOW_SECONDS)
        self._send(200, "text/html", b"<html><body>late</body></html>")

    def _route_trickle(self, _rest: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        for _ in range(TRICKLE_BYTES):
            if self.server.owner.stopping.wait(TRICKLE_PAUSE):
                return
            self.wfile.write(b".")
            self.wfile.flush()

    def _route_cached(self, name: str) -> None:
        if self._unchanged():
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        self._file(name, None, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})

    def _route_pdf(self, _rest: str) -> None:
        self._send(200, "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    # --- helpers

    def _unchanged(self) -> bool:
        """The request carries back the validators of the current version."""
        if self.headers.get("If-None-Match") == ETAG:
            return True
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return parsedate_to_datetime(since) >= parsedate_to_datetime(LAST_MODIFIED)
            except (TypeError, ValueError):
                return False
        return False

    def _file(
        self, name: str, content_type: str | None, extra: dict[str, str] | None = None
    ) -> None:
        path = DATA / name
        if "/" in name or not path.is_file():
            self._send(404, "text/plain", b"no such file\n")
            return
        kind = TYPES.get(path.suffix, "application/octet-stream")
        self._send(200, kind if content_type is None else content_type, path.read_bytes(), extra)

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
