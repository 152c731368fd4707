"""Alembic environment: runs on the connection `bot.store.migrate` hands over (no alembic.ini)."""

from __future__ import annotations

import asyncio
import os

import sqlalchemy as sa
from alembic import context

from bot.store.engine import create_engine_for

# Any constant works; it only has to be the same in every process migrating this database.
_MIGRATION_LOCK_ID = 7_206_342_001


def run_migrations_online() -> None:
    """Apply migrations inside the caller's transaction, one process at a time on PostgreSQL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Run from the `alembic` command line (developers): connect ourselves.
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "WIREWATCH_DATABASE_URL", ""
    )
    if not url:
        raise RuntimeError("set WIREWATCH_DATABASE_URL (or sqlalchemy.url in alembic.ini)")
    asyncio.run(_run_on_own_engine(url))


async def _run_on_own_engine(url: str) -> None:
    """Open an engine for `url` and migrate it in one transaction."""
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


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
