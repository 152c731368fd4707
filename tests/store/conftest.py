"""Fixtures running every store test against SQLite (a temp file) and PostgreSQL (own schema)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store
from tests.postgres_url import postgres_url

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move time forward and return the new time."""
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Database:
    """Where a test's store lives: a URL and, on PostgreSQL, a private schema."""

    url: str
    schema: str | None = None

    async def open(self, clock: Clock | None = None, *, migrate: bool = True) -> Store:
        """Open a store on this database."""
        return await Store.open(self.url, schema=self.schema, clock=clock, migrate=migrate)


@asynccontextmanager
async def postgres_schema(prefix: str) -> AsyncIterator[Database]:
    """An empty PostgreSQL database: a random schema, dropped after."""
    url = postgres_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield Database(url, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Yield an empty database of each backend; PostgreSQL gets a random schema, dropped after."""
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        return
    async with postgres_schema("test_store") as database:
        yield database


@pytest.fixture
def clock() -> Clock:
    """Return a fake clock starting at START."""
    return Clock()


@pytest.fixture
async def store(database: Database, clock: Clock) -> AsyncIterator[Store]:
    """Yield a migrated store on each backend."""
    opened = await database.open(clock)
    try:
        yield opened
    finally:
        await opened.close()


class Statements:
    """Counts the statements a store sends to its database (an executemany counts once), but
    not the BEGIN of a transaction."""

    def __init__(self, store: Store) -> None:
        self.sent: list[str] = []
        self._engine = store._engine.sync_engine

    def __enter__(self) -> Statements:
        sa.event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self._engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: object, cursor: object, statement: str, *rest: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (asyncpg's is not seen)
            self.sent.append(statement)

    def __len__(self) -> int:
        return len(self.sent)
