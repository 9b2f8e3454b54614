"""Configuration in one place: the environment variables forecast reads, and where its files are.

The data home holds the default database and the saved fits:

- ``$FORECAST_HOME`` if set;
- else, when forecast runs from a source checkout (the folder above the package holds this
  project's ``pyproject.toml``, as with ``make run`` or an editable install), that
  checkout's ``data/``;
- else the per-user data folder: ``$XDG_DATA_HOME/forecast``, or ``~/.local/share/forecast``.

``$FORECAST_DB`` and ``$FORECAST_FITS`` still name the database and the fits folder outright.
The cache of linked groups' results is ``cache/`` in the data home, or ``$FORECAST_CACHE``
(``off``: none).
Every value is read when asked for, so a changed environment is seen at once.
"""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path

# --------------------------------------------------------------------------- variables

HOME_ENV = "FORECAST_HOME"  # the data home (default database and fits)
DB_ENV = "FORECAST_DB"  # the database: an SQLAlchemy URL or an SQLite file
FITS_ENV = "FORECAST_FITS"  # the folder of the saved fit
CACHE_ENV = "FORECAST_CACHE"  # the folder of the linked groups' cache; "off": no cache
USER_ENV = "FORECAST_USER"  # who is writing, when --analyst or sign-in does not say
DASHBOARD_ADDRESS_ENV = "FORECAST_DASHBOARD_ADDRESS"  # where `forecast dashboard` listens
DASHBOARD_MODE_ENV = "FORECAST_DASHBOARD_MODE"  # "viewer": the dashboard is read-only
EDITORS_ENV = "FORECAST_EDITORS"  # who may write in the dashboard, comma-separated
XDG_DATA_ENV = "XDG_DATA_HOME"

# --------------------------------------------------------------------------- names

PROJECT = "forecast"  # the distribution name in pyproject.toml, and the data folder's name
PACKAGE_DIR = Path(__file__).resolve().parent
DB_FILE = "forecast.db"
FITS_DIR = "fits"
CACHE_DIR = "cache"
CACHE_OFF = "off"
DEMO_SCENARIO = "putin-trump-2025.yaml"
LOCAL_ADDRESS = "127.0.0.1"  # the dashboard serves this machine only unless told otherwise


def env(name: str) -> str:
    """The value of an environment variable, stripped; empty when unset."""
    return os.environ.get(name, "").strip()


# --------------------------------------------------------------------------- places


@functools.cache
def source_checkout() -> Path | None:
    """The source checkout forecast runs from, or None for an installed package (a wheel)."""
    root = PACKAGE_DIR.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("project", {}).get("name") == PROJECT else None


def data_home() -> Path:
    """Where the default database and fits live (see the module's docstring)."""
    configured = env(HOME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    checkout = source_checkout()
    if checkout is not None:
        return checkout / "data"
    xdg = env(XDG_DATA_ENV)
    # The XDG specification: a relative path in $XDG_DATA_HOME is invalid and is ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / PROJECT


def default_db_file() -> Path:
    """The SQLite file used when neither ``--db`` nor ``$FORECAST_DB`` names a database."""
    return data_home() / DB_FILE


def fits_dir() -> Path:
    """The folder of the saved fit: ``$FORECAST_FITS``, else ``fits/`` in the data home."""
    configured = env(FITS_ENV)
    return Path(configured).expanduser().absolute() if configured else data_home() / FITS_DIR


def cache_dir() -> Path | None:
    """The folder of the linked groups' cache: ``$FORECAST_CACHE``, else ``cache/`` in the
    data home; None when ``$FORECAST_CACHE`` is ``off``."""
    configured = env(CACHE_ENV)
    if configured.lower() == CACHE_OFF:
        return None
    return Path(configured).expanduser().absolute() if configured else data_home() / CACHE_DIR


def demo_file() -> Path:
    """The demo scenario: ``seeds/`` of the checkout, or its copy installed with the package."""
    checkout = source_checkout()
    seeds = checkout / "seeds" if checkout is not None else PACKAGE_DIR / "seeds"
    return seeds / DEMO_SCENARIO


def dashboard_app() -> Path:
    """The Streamlit script: ``dashboards/app.py`` beside the package, checked out or installed."""
    return PACKAGE_DIR.parent / "dashboards" / "app.py"


def dashboard_address(given: str | None = None) -> str:
    """Where the dashboard listens: ``given``, else ``$FORECAST_DASHBOARD_ADDRESS``, else local.

    Local unless the operator says otherwise: a writable dashboard without sign-in must not
    be offered to the whole network by default.
    """
    chosen = given if given else os.environ.get(DASHBOARD_ADDRESS_ENV, "")
    return chosen.strip() or LOCAL_ADDRESS
