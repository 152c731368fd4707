"""Create the async engine for a database URL: SQLite (WAL, foreign keys) or PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.db_errors import masked_url

__all__ = [
    "POOL_OVERFLOW",
    "POOL_SIZE",
    "READ_ONLY_OPTION",
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine_for",
    "normalise_url",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 20
"""Connections kept open: the reads of [poll] concurrency (20) polls at once. With SQLAlchemy's
default of 5, every read beyond the fifth opened a connection and closed it after (a new
PostgreSQL backend each time, hundreds a minute at 10,000 feeds)."""
POOL_OVERFLOW = 20
"""Connections opened beyond POOL_SIZE in a burst, closed when returned."""
READ_ONLY_OPTION = "wirewatch_read_only"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_DRIVER_FOR = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_SUPPORTED = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def normalise_url(url: str) -> URL:
    """Parse `url`, adding the async driver when it is missing; explain what is wrong otherwise.

    Messages never show the URL's password (`masked_url`)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        shown = f" {masked_url(url)!r}" if "://" in url else ""
        problem = "its port is not a number" if "int()" in str(exc) else "it cannot be parsed"
        raise ValueError(
            f"invalid database URL{shown}: {problem}; expected sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
        ) from None
    if parsed.drivername in _DRIVER_FOR:
        parsed = parsed.set(drivername=_DRIVER_FOR[parsed.drivername])
    if parsed.drivername not in _SUPPORTED:
        raise ValueError(
            f"unsupported database driver {parsed.drivername!r} in {masked_url(url)!r}: "
            "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
        )
    if parsed.drivername == "sqlite+aiosqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError(
            "an in-memory SQLite database cannot be shared by the bot's connections: "
            "give a file path, e.g. sqlite+aiosqlite:///data/wirewatch.db"
        )
    return parsed


def create_engine_for(url: str, *, schema: str | None = None) -> AsyncEngine:
    """Return an engine for `url`; `schema` (PostgreSQL only) becomes the search_path."""
    parsed = normalise_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        if schema is not None:
            raise ValueError("the schema option is only supported for PostgreSQL")
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"invalid schema name {schema!r}: letters, digits and _ only")
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        parsed,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    """Return a SQLite engine whose transactions take the write lock at BEGIN."""
    assert url.database is not None
    if not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves instead of the driver's implicit, deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # IMMEDIATE: a read-then-write transaction can never fail to upgrade its lock.
        # Read-only work asks for a plain BEGIN so it never waits for writers (WAL).
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
