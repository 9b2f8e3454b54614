"""Persistence: the append-only forecast database (SQLite by default, PostgreSQL for teams).

``Store.open()`` connects and checks the schema; ``store.write()`` and ``store.read()`` give a
:class:`Session` that inserts and reads the domain records of :mod:`forecast.domain`;
``copy_database`` moves every row of one database into an empty one.
"""

from forecast.store.copy import copy_database
from forecast.store.database import (
    MIGRATIONS,
    SCHEMA_HEAD,
    Store,
    check_revision,
    migration_config,
)
from forecast.store.schema import APPEND_ONLY, metadata
from forecast.store.session import Conflict, RecordKind, Session
from forecast.store.urls import default_url, mask, to_url

__all__ = [
    "APPEND_ONLY",
    "MIGRATIONS",
    "SCHEMA_HEAD",
    "Conflict",
    "RecordKind",
    "Session",
    "Store",
    "check_revision",
    "copy_database",
    "default_url",
    "mask",
    "metadata",
    "migration_config",
    "to_url",
]
