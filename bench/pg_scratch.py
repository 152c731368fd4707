"""A scratch PostgreSQL database for a benchmark: created empty, dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["create_database", "drop_database", "scratch_database"]


def _plain(url: str) -> str:
    """asyncpg wants `postgresql://`, SQLAlchemy's URL says `postgresql+asyncpg://`."""
    return url.replace("postgresql+asyncpg", "postgresql")


def database_url(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url`."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


async def create_database(admin_url: str, name: str) -> None:
    """Create database `name` empty (dropping an earlier one of that name)."""
    import asyncpg

    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name`, closing its sessions."""
    import asyncpg

    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(admin_url: str, name: str) -> AsyncIterator[str]:
    """Yield the URL of a new empty database `name`; drop it on the way out."""
    await create_database(admin_url, name)
    try:
        yield database_url(admin_url, name)
    finally:
        await drop_database(admin_url, name)
