"""Alembic environment: runs on the connection `bot.store.migrate` hands over (no alembic.ini)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

# Any constant works; it only has to be the same in every process migrating this database.
_MIGRATION_LOCK_ID = 7_206_342_001


def run_migrations_online() -> None:
    """Apply migrations inside the caller's transaction, one process at a time on PostgreSQL."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("set sqlalchemy.url in alembic.ini or run `wirewatch db upgrade`")
        engine = sa.create_engine(url)
        with engine.begin() as own_connection:
            _run(own_connection)
        engine.dispose()
        return
    _run(connection)


def _run(connection: sa.Connection) -> None:
    """Configure the context on `connection` and run every pending migration."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
