"""Alert channels: the notification URLs alerts may go to, checked when a setting is saved,
and shown everywhere without their secrets.

A channel is an Apprise URL. Alerts go by e-mail (``mailto://`` plain SMTP, ``mailtos://``
SMTP over TLS), to Slack (``slack://``, or Slack's own ``https://hooks.slack.com/...``
address), Microsoft Teams (``workflows://``: a Power Automate workflow's webhook), Matrix
(``matrix://``, ``matrixs://``) or any JSON webhook (``json://``, ``jsons://``). An
e-mail channel on a local relay without TLS or a login reads
``mailto://relay.example.org:25?from=alerts@example.org&to=ana@example.org&mode=insecure``.

A URL may hold a password or a token (in its user part, its path, its query, or, for Slack,
where a host would be). :func:`mask` shows a URL with only the parts known to be harmless:
the scheme, a host name where the scheme puts one there, an e-mail's recipients and the
query's addressing options (``from``, ``to``, ``mode``...). Every other part is ``****``.
:func:`redact` takes a URL's secrets out of any text (a library's error message).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from forecast import terminal
from forecast.errors import ForecastError

# The services alerts are meant for (Apprise knows a hundred more; the settings page offers
# these, and each must be checked by hand before it is added here).
SERVICES = {
    "mailto": "e-mail",
    "mailtos": "e-mail",
    "slack": "Slack",
    "workflow": "Microsoft Teams",
    "workflows": "Microsoft Teams",
    "matrix": "Matrix",
    "matrixs": "Matrix",
    "json": "a JSON webhook",
    "jsons": "a JSON webhook",
}
EXAMPLES = (
    "mailto://, mailtos://, slack://, workflows://, matrix://, matrixs://, json:// or jsons://"
)
# How a refused URL of a common kind should read (the others: Apprise's own message).
SHAPES = {
    "mailto": "e-mail reads mailto://HOST:PORT?from=SENDER&to=RECIPIENT"
    " (add &mode=insecure for a relay without TLS)",
    "mailtos": "e-mail over TLS reads mailtos://USER:PASSWORD@HOST:PORT?from=SENDER&to=RECIPIENT",
    "json": "a JSON webhook reads json://HOST:PORT/PATH",
    "jsons": "a JSON webhook over TLS reads jsons://HOST:PORT/PATH",
}
HIDDEN = "****"
# Schemes whose host part is a host name; Slack's, for one, is a token.
HOST_SCHEMES = frozenset(
    {"mailto", "mailtos", "json", "jsons", "matrix", "matrixs", "http", "https"}
)
# Schemes whose path is the recipients' addresses, not a token.
PATH_SCHEMES = frozenset({"mailto", "mailtos"})
# Query options that only address or tune a message; any other one may be a token or header.
SHOWN_OPTIONS = frozenset({"from", "to", "cc", "bcc", "name", "mode", "method", "format"})
LOG_FORMAT = "%(message)s"  # Apprise's log lines as bare messages: no time, no level
SHORTEST_REDACTED = 4  # a shorter secret is taken out of text only where it stands alone
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]")


# --------------------------------------------------------------------------- masking


def mask(url: str) -> str:
    """``url`` with every part that may be a secret shown as ``****`` (one printable line)."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        return HIDDEN
    scheme = scheme.lower()
    parts = _split(url)
    if parts is None:
        return _one_line(f"{scheme}://{HIDDEN}")
    user, host, port, path, query, fragment = parts
    shown = f"{scheme}://"
    if user:
        shown += f"{HIDDEN}@"
    shown += host if scheme in HOST_SCHEMES else HIDDEN
    shown += f":{port}" if port else ""
    shown += path if scheme in PATH_SCHEMES else _hide_segments(path)
    shown += _query(query)
    shown += f"#{HIDDEN}" if fragment else ""
    return _one_line(shown)


def secrets(url: str) -> set[str]:
    """The parts of ``url`` that :func:`mask` hides, as typed and percent-decoded."""
    parts = _split(url)
    if parts is None:
        # A URL that does not split cleanly: everything after the scheme may be secret.
        return _forms([url.partition("://")[2]])
    scheme = url.partition("://")[0].lower()
    user, host, _, path, query, fragment = parts
    found = [*user.split(":"), fragment]
    if scheme not in HOST_SCHEMES:
        found.append(host)
    if scheme not in PATH_SCHEMES:
        found.extend(path.split("/"))
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() not in SHOWN_OPTIONS:
            found.extend([name, value])
    return _forms(found)


def redact(text: str, url: str) -> str:
    """``text`` with each of ``url``'s secrets replaced by ``****``. A short secret (a
    one-letter login, say) is replaced only where it stands alone, so that the words around
    it stay readable."""
    for secret in sorted(secrets(url), key=len, reverse=True):
        if len(secret) >= SHORTEST_REDACTED:
            text = text.replace(secret, HIDDEN)
        else:
            alone = rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])"
            text = re.sub(alone, HIDDEN, text)
    return text


def _split(url: str) -> tuple[str, str, str, str, str, str] | None:
    """(user info, host, port, path, query, fragment) of a URL whose address part is
    clean; None if it is not (a password holding ``/`` or ``#``, say), so nothing of it is
    shown as a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    user, _, address = parts.netloc.rpartition("@")
    host, colon, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
    if not _HOST.fullmatch(host) or (colon and not port.isdigit()):
        return None
    return user, host, port, parts.path, parts.query, parts.fragment


def _one_line(text: str) -> str:
    """Text typed by someone else, as one line with its control characters escaped."""
    return terminal.printable(terminal.cell(text))


def _hide_segments(path: str) -> str:
    return "/".join(HIDDEN if segment else "" for segment in path.split("/"))


def _query(query: str) -> str:
    """The shown options with their values; the others as one ``****``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = [f"{name}={value}" for name, value in pairs if name.lower() in SHOWN_OPTIONS]
    if len(shown) < len(pairs):
        shown.append(HIDDEN)
    return "?" + "&".join(shown) if shown else ""


def _forms(parts: Iterable[str]) -> set[str]:
    return {form for part in parts if part for form in (part, unquote(part)) if form}


# --------------------------------------------------------------------------- checking


def check_channel(url: str) -> str:
    """Refuse a channel alerts cannot send to, with one line naming it (masked) and why;
    return it masked, as the settings page may show it. Call it when a setting is saved."""
    if not isinstance(url, str) or not url:
        raise ForecastError(f"an alert channel needs a URL: {EXAMPLES}")
    if _UNSAFE.search(url):
        raise ForecastError(
            f"alert channel {mask(url)} is refused: a URL has no spaces or line breaks "
            "(write a space as %20)"
        )
    service, complaint = load(url)
    if service is None or complaint:
        reason = complaint.rstrip(" :.") or "it is not a notification URL alerts can read"
        shape = SHAPES.get(url.partition("://")[0].lower())
        hint = f"; {shape}" if shape else ""
        raise ForecastError(f"alert channel {mask(url)} is refused: {reason}{hint}")
    if not schemes(service) & SERVICES.keys():
        raise ForecastError(f"alert channel {mask(url)} is refused: use {EXAMPLES}")
    return mask(url)


def load(url: str, asset: Any = None) -> tuple[Any, str]:
    """Apprise's service for ``url`` (None if it cannot read it) and its first complaint
    about the URL, redacted ("" if none)."""
    import apprise  # only alerts need it: other commands start without it

    asset = asset if asset is not None else new_asset()
    with apprise.LogCapture(level=logging.WARNING, fmt=LOG_FORMAT) as log:
        service = apprise.Apprise.instantiate(url, asset=asset)
    return service, complaint(log.getvalue(), url, first=True)


def new_asset() -> Any:
    """Apprise's settings for alerts: nothing kept on disk (the store keeps what was sent)
    and no text interpreted (``:name:`` stays as typed)."""
    import apprise

    return apprise.AppriseAsset(storage_mode="memory", interpret_emojis=False)


def complaint(log: str, url: str, *, first: bool = False) -> str:
    """One line from Apprise's log (its first or last message), redacted of ``url``'s
    secrets; "" if it logged nothing. Lines that quote a URL are left out: Apprise
    abbreviates secrets there (first and last letters), which is not enough."""
    lines = [line.strip() for line in log.splitlines() if line.strip() and "://" not in line]
    if not lines:
        return ""
    line = lines[0] if first else lines[-1]
    return _one_line(redact(line, url))


def schemes(service: Any) -> set[str]:
    """The URL schemes of an Apprise service (each plugin names one or several)."""
    found: set[str] = set()
    for attribute in ("protocol", "secure_protocol"):
        value = getattr(service, attribute, None)
        found.update([value] if isinstance(value, str) else value or ())
    return found
