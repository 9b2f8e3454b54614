"""Alembic environment for the forecast database.

The store runs migrations programmatically: it builds the Alembic ``Config`` in code and hands
over an open connection, already inside the transaction (and lock) it wants the migration to
use, through ``config.attributes["connection"]``. Without one (a developer running Alembic by
hand), the URL comes from the ``sqlalchemy.url`` option or the store's default location.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from forecast.store.schema import metadata


def run(connection: Connection) -> None:
    # transactional_ddl: the store's SQLite connections emit their own BEGIN, so DDL is
    # transactional there too and a failed migration leaves nothing half-built.
    context.configure(connection=connection, target_metadata=metadata, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    from forecast.store import Store

    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    store = Store(config.get_main_option("sqlalchemy.url"))
    if context.is_offline_mode():
        run_offline(store.url)
        return
    try:
        with store.engine.connect() as conn:
            run(conn)
            conn.commit()
    finally:
        store.close()


main()
