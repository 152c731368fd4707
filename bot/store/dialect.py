"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["insert_ignoring_conflicts", "is_postgres"]


def is_postgres(connection: AsyncConnection) -> bool:
    """Tell whether `connection` talks to PostgreSQL."""
    return connection.dialect.name == "postgresql"


def insert_ignoring_conflicts(connection: AsyncConnection, table: sa.Table) -> sa.Insert:
    """Return INSERT ... ON CONFLICT DO NOTHING for `table` in the connection's dialect."""
    if is_postgres(connection):  # each dialect's module loads only where it is used
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing()
