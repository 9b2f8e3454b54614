"""The one HTTP GET of news intake: bounded in time, size and redirects, http(s) only.

A GET may be conditional: given the ``Validators`` (ETag, Last-Modified) of the last
fetch, the server can answer 304, which comes back as a ``Fetched`` whose
``not_modified`` is true, not as an error. Every failure (a bad address, a refused
connection, a slow server, a 404 or 5xx, a redirect loop, a body over the size limit) is a
``ForecastError`` with one line naming the address; no library message or traceback
reaches the analyst, and no partial body is returned.

httpx is the HTTP library: well kept, typed, with separate connect and read timeouts,
streamed bodies (so the size limit stops reading instead of cutting after the fact),
gzip undone as the body streams in, and one client that pools connections across
threads for fetching many feeds. Redirects are followed here, not by httpx, so that each
hop's scheme is checked and a loop is named as a loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from forecast import __version__
from forecast.errors import ForecastError
from forecast.terminal import cell

if TYPE_CHECKING:
    import httpx

MEGABYTE = 1024 * 1024
MAX_BYTES = 5 * MEGABYTE  # a news page or feed is far smaller; more is a mistake or abuse
CONNECT_TIMEOUT = 10.0  # seconds to open a connection
TOTAL_TIMEOUT = 30.0  # seconds for the whole GET, redirects and body included
MAX_REDIRECTS = 5  # browsers allow 20; news sites need one or two (http->https, www.)
SCHEMES = ("http", "https")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_MODIFIED = 304
USER_AGENT = f"forecast/{__version__} (news intake)"


@dataclass(frozen=True)
class Limits:
    """How long, how much and how far one GET may go."""

    timeout: float = TOTAL_TIMEOUT
    connect_timeout: float = CONNECT_TIMEOUT
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Validators:
    """What the server said identifies the version it sent: sent back on the next GET so an
    unchanged feed costs a 304 and no body."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators make."""
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Fetched:
    """One finished GET: the address that answered (after redirects) and what it sent.

    ``body`` is the bytes as sent (content encoding such as gzip undone); on a 304 it is
    empty and ``etag``/``last_modified`` are the server's new ones or else those sent.
    ``content_type`` is the media type in lower case ("" if none was sent) and ``charset``
    the declared character set, if any.
    """

    url: str
    status: int
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """The server said the copy we have is current (304)."""
        return self.status == NOT_MODIFIED

    @property
    def validators(self) -> Validators:
        """The validators to send on the next GET of this address."""
        return Validators(self.etag, self.last_modified)


class Session:
    """GETs that share one connection pool (and are safe to run from several threads).

    Use as a context manager; :func:`fetch` makes a session for one GET.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        import httpx

        self.limits = limits
        # trust_env: an analyst behind an office proxy reaches the web through it.
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT}, follow_redirects=False, trust_env=True
        )

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def get(self, url: str, validators: Validators | None = None) -> Fetched:
        """GET ``url``, following redirects; conditional if ``validators`` are given."""
        asked = url.strip()
        current = _checked(asked, asked)
        headers = validators.headers() if validators else {}
        deadline = time.monotonic() + self.limits.timeout
        seen = {current}
        for _hop in range(self.limits.max_redirects + 1):
            answer = self._hop(asked, current, headers, deadline)
            if isinstance(answer, Fetched):
                return _keeping(answer, validators)
            current = _checked(asked, answer)
            if current in seen:
                raise ForecastError(
                    f"{_shown(asked)}: the redirects run in a loop (back to {_shown(current)})"
                )
            seen.add(current)
        raise ForecastError(
            f"{_shown(asked)}: more than {self.limits.max_redirects} redirects; "
            "the page was not reached"
        )

    def _hop(
        self, asked: str, url: str, headers: dict[str, str], deadline: float
    ) -> Fetched | str:
        """One request: the finished GET, or the address a redirect points to."""
        import httpx

        timeout = self._timeout(asked, deadline)
        try:
            with self._client.stream("GET", url, headers=headers, timeout=timeout) as response:
                if response.status_code in REDIRECTS:
                    return _location(asked, response)
                _check_status(asked, response)
                if response.status_code == NOT_MODIFIED:
                    return _fetched(response, b"")
                return _fetched(response, self._body(asked, response, deadline))
        except httpx.HTTPError as error:
            raise _transport_error(asked, url, error, self.limits) from None

    def _timeout(self, asked: str, deadline: float) -> httpx.Timeout:
        """The time this request may take: what is left of the whole GET's time.

        httpx bounds each read, not the whole body: :meth:`_body` also checks the deadline
        between reads, so a server that trickles bytes is stopped too (one stalled read can
        still run to the time that was left when the request began)."""
        import httpx

        left = deadline - time.monotonic()
        if left <= 0:
            raise _slow(asked, self.limits.timeout)
        return httpx.Timeout(left, connect=min(self.limits.connect_timeout, left))

    def _body(self, asked: str, response: httpx.Response, deadline: float) -> bytes:
        """The body, read no further than the size limit and the deadline allow."""
        limit = self.limits.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(asked, limit)
        body = bytearray()
        # iter_bytes undoes gzip as it goes, so a small compressed body that inflates past
        # the limit is stopped too.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise _too_large(asked, limit)
            if time.monotonic() > deadline:
                raise _slow(asked, self.limits.timeout)
        return bytes(body)


def fetch(
    url: str, validators: Validators | None = None, limits: Limits = DEFAULT_LIMITS
) -> Fetched:
    """GET one address within ``limits``; conditional if ``validators`` are given."""
    with Session(limits) as session:
        return session.get(url, validators)


def check_address(url: str) -> str:
    """``url`` as it will be requested, if it is an http(s) address; else one clear line."""
    return _checked(url, url)


def _shown(url: str) -> str:
    """An address as an error line quotes it: a newline in it must not break the line."""
    return cell(url)


def _checked(asked: str, url: str) -> str:
    """``url`` if it is an http(s) address httpx can request; else one clear line."""
    import httpx

    scheme, slashes, _rest = url.partition("://")
    if not slashes or not scheme.isascii() or not scheme.isalnum():
        raise ForecastError(
            f"{_shown(url)}: not a web address; give one that starts with http:// or https://"
        )
    if scheme.lower() not in SCHEMES:
        where = "" if url == asked else f" (a redirect from {_shown(asked)})"
        raise ForecastError(
            f"{_shown(url)}{where}: only http and https addresses are fetched, "
            f"not {_shown(scheme.lower())}:"
        )
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
    if parsed is None or not parsed.host:
        raise ForecastError(f"{_shown(url)}: not a valid web address")
    return str(parsed)


def _location(asked: str, response: httpx.Response) -> str:
    """Where a redirect points, resolved against the address that sent it."""
    import httpx

    target = response.headers.get("Location", "").strip()
    if not target:
        raise ForecastError(
            f"{_shown(asked)}: the server redirected without saying where "
            f"({response.status_code})"
        )
    try:
        return str(response.url.join(target))
    except (httpx.InvalidURL, ValueError):
        raise ForecastError(
            f"{_shown(asked)}: the server redirected to an invalid address: {_shown(target)}"
        ) from None


def _check_status(asked: str, response: httpx.Response) -> None:
    """Only a success or "not modified" is an answer; anything else is one clear line."""
    import httpx

    status = response.status_code
    if 200 <= status < 300 or status == NOT_MODIFIED:
        return
    where = _shown(asked)
    if str(response.url) != str(httpx.URL(asked)):
        where += f" (redirected to {_shown(str(response.url))})"
    phrase = response.reason_phrase or ""
    raise ForecastError(f"{where}: the server answered {status} {_shown(phrase)}".rstrip())


def _fetched(response: httpx.Response, body: bytes) -> Fetched:
    media = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    return Fetched(
        url=str(response.url),
        status=response.status_code,
        body=body,
        content_type=media,
        charset=response.charset_encoding,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _keeping(fetched: Fetched, sent: Validators | None) -> Fetched:
    """A 304 need not repeat the validators: then those sent still hold."""
    if not fetched.not_modified or sent is None:
        return fetched
    return Fetched(
        url=fetched.url,
        status=fetched.status,
        body=fetched.body,
        content_type=fetched.content_type,
        charset=fetched.charset,
        etag=fetched.etag or sent.etag,
        last_modified=fetched.last_modified or sent.last_modified,
    )


def _too_large(asked: str, limit: int) -> ForecastError:
    # "nothing was stored": the part read so far is dropped, not kept as a truncated page.
    return ForecastError(
        f"{_shown(asked)}: the server sent more than {size_text(limit)}; nothing was stored"
    )


def _slow(asked: str, seconds: float) -> ForecastError:
    return ForecastError(
        f"{_shown(asked)}: the server did not send its answer within {seconds:g} s"
    )


def size_text(count: int) -> str:
    """A byte count as an error line says it ("5 MB")."""
    if count >= MEGABYTE and count % MEGABYTE == 0:
        return f"{count // MEGABYTE} MB"
    return f"{count:,} bytes"


def _transport_error(asked: str, url: str, error: Exception, limits: Limits) -> ForecastError:
    """One line for what went wrong on the wire (httpx's own message is not shown)."""
    import httpx

    where = _shown(asked)
    host = httpx.URL(url).host
    if isinstance(error, httpx.ConnectTimeout):
        return ForecastError(
            f"{where}: {host} did not accept a connection within {limits.connect_timeout:g} s"
        )
    if isinstance(error, httpx.TimeoutException):
        return _slow(asked, limits.timeout)
    if isinstance(error, httpx.ConnectError):
        return ForecastError(f"{where}: could not connect to {host}")
    if isinstance(error, httpx.DecodingError):
        return ForecastError(f"{where}: the server sent a body that could not be decompressed")
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return ForecastError(f"{where}: not a valid web address")
    return ForecastError(f"{where}: the connection failed before the whole answer was read")
