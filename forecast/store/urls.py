"""Where the database lives: turning ``--db`` values and ``$FORECAST_DB`` into URLs."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from forecast import settings
from forecast.domain import ForecastError

# Only these backends get the append-only triggers in the migrations, so only these are allowed.
_BACKENDS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}  # the ones installed with it
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+._-]*://")


def default_url() -> str:
    """``$FORECAST_DB`` if set, else the SQLite file ``forecast.db`` in the data home."""
    configured = settings.env(settings.DB_ENV)
    if configured:
        return to_url(configured)
    path = settings.default_db_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return _sqlite_url(path)


def to_url(target: str) -> str:
    """An SQLAlchemy URL for ``target``: a database URL, or a path to an SQLite file."""
    text = str(target).strip()
    if not text:
        raise ForecastError("the database location is empty: give a file path or a URL")
    if not _SCHEME.match(text):
        return _sqlite_url(Path(text).expanduser().absolute())
    url = _parse(text)
    backend = url.get_backend_name()
    if backend not in _BACKENDS:
        raise ForecastError(
            f"database URL {mask(text)} uses {backend!r}: only sqlite and postgresql are supported"
        )
    if url.drivername in _BACKENDS:  # no driver named: pick the one we ship with
        url = url.set(drivername=_BACKENDS[url.drivername])
    if url.drivername not in _DRIVERS:
        raise ForecastError(
            f"database URL {mask(text)} names the driver {url.get_driver_name()!r}: forecast "
            "works with postgresql:// (psycopg) and SQLite files"
        )
    return url.render_as_string(hide_password=False)


def mask(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unreadable database URL>"


def _parse(text: str) -> URL:
    try:
        return make_url(text)
    except (ArgumentError, ValueError) as exc:
        # Never echo the text back: it may hold a password.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ForecastError(f"invalid database URL: {reason}") from None


def _sqlite_url(path: Path) -> str:
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)
