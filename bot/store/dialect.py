"""The few statements that differ between SQLite and PostgreSQL.

On PostgreSQL, asyncpg prepares each distinct statement text once per connection (a round trip
and a parse) and keeps the last hundred. A statement whose text grows with its data (`IN` with
one placeholder per value, a multi-row `VALUES`) is a new text nearly every time, which costs a
prepare each time and pushes the hot statements out of that cache. The helpers here give such
statements one text whatever the number of values: arrays (`= ANY`, `unnest`) on PostgreSQL.
SQLite prepares statements in-process, cheaply, so it keeps the plain forms.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["in_values", "insert_ignoring_conflicts", "insert_rows", "is_postgres"]


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


def in_values(
    connection: AsyncConnection, column: sa.ColumnElement[Any], values: Collection[Any]
) -> sa.ColumnElement[bool]:
    """`column IN values`, as `column = ANY(array)` on PostgreSQL (one text for any count)."""
    if is_postgres(connection):
        from sqlalchemy.dialects.postgresql import ARRAY

        array = sa.bindparam(None, list(values), type_=ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(list(values))


async def insert_rows(
    connection: AsyncConnection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[sa.Column[Any]] = (),
    ignore_conflicts: bool = False,
) -> CursorResult[Any]:
    """Insert `rows` (all with the same keys) in one statement; RETURNING `returning`.

    PostgreSQL: INSERT ... SELECT FROM unnest(one array per column), one statement text for
    any number of rows. SQLite: an executemany, which SQLAlchemy turns into multi-row VALUES.
    """
    if not rows:
        raise ValueError("insert_rows needs at least one row")
    if not is_postgres(connection):
        stmt = insert_ignoring_conflicts(connection, table) if ignore_conflicts else table.insert()
        return await connection.execute(
            stmt.returning(*returning) if returning else stmt, list(rows)
        )
    from sqlalchemy.dialects import postgresql

    names = list(rows[0])
    # A JSON value that is a list would read as a dimension of the array: JSON goes as text.
    as_json = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    arrays = [
        sa.bindparam(
            f"rows_{name}",
            [json.dumps(row[name]) for row in rows]
            if name in as_json
            else [row[name] for row in rows],
            type_=postgresql.ARRAY(sa.Text() if name in as_json else table.c[name].type),
        )
        for name in names
    ]
    unnested = sa.func.unnest(*arrays).table_valued(*names).render_derived()
    columns = [
        sa.cast(unnested.c[name], table.c[name].type) if name in as_json else unnested.c[name]
        for name in names
    ]
    insert = postgresql.insert(table).from_select(names, sa.select(*columns))
    if ignore_conflicts:
        insert = insert.on_conflict_do_nothing()
    return await connection.execute(insert.returning(*returning) if returning else insert)
