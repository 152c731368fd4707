"""A private PostgreSQL database for a test of several workers (skipped on a laptop, failed in CI).

A database, not a schema: workers are configured by URL only, and advisory locks span a
database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.postgres_url import postgres_url


@dataclass(frozen=True)
class PrivateDatabase:
    """A fresh database on the test server; `url` reaches it."""

    admin_url: str
    name: str

    @property
    def url(self) -> str:
        """The URL of this database (the admin URL with its database replaced)."""
        return make_url(self.admin_url).set(database=self.name).render_as_string(False)

    async def execute(self, sql: str, **params: object) -> list[sa.Row[Any]]:
        """Run one statement in this database and return its rows."""
        engine = create_async_engine(self.url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(sa.text(sql), params)
                return list(result) if result.returns_rows else []
        finally:
            await engine.dispose()


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def private_database(prefix: str = "ww_workers") -> AsyncIterator[PrivateDatabase]:
    """Create a database, yield it, drop it (closing whatever still uses it)."""
    admin = postgres_url()
    db = PrivateDatabase(admin, f"{prefix}_{uuid.uuid4().hex[:12]}")
    await _admin(admin, f'CREATE DATABASE "{db.name}"')
    try:
        yield db
    finally:
        await _admin(admin, f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
