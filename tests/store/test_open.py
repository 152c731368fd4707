"""Opening a store: URL checks and failures a person can act on (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store import DatabaseProblem, Store
from bot.store.engine import normalise_url


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_get_the_async_driver(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://u@h/db", "unsupported database driver"),
        ("postgresql+psycopg2://u@h/db", "unsupported database driver"),
        ("sqlite+aiosqlite://", "in-memory"),
        ("sqlite+aiosqlite:///:memory:", "in-memory"),
    ],
)
async def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(DatabaseProblem, match=message) as caught:
        await Store.open(url)
    assert caught.value.kind == "unsupported"


async def test_schema_option_is_postgres_only_and_checked(tmp_path: Path) -> None:
    with pytest.raises(DatabaseProblem, match="only supported for PostgreSQL"):
        await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", schema="s")
    with pytest.raises(DatabaseProblem, match="invalid schema name"):
        await Store.open("postgresql+asyncpg://u@127.0.0.1:1/db", schema='x"; DROP', migrate=False)


async def test_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.db"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    try:
        await store.ping()
        assert store.dialect == "sqlite"
        async with store._engine.connect() as conn:
            mode = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar_one()
            keys = (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar_one()
        assert (mode, keys) == ("wal", 1)
    finally:
        await store.close()
    assert path.exists()


async def test_ping_raises_when_the_database_is_unreachable() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    store = await Store.open("postgresql+asyncpg://postgres@127.0.0.1:1/none", migrate=False)
    try:
        with pytest.raises(OSError):
            await store.ping()
    finally:
        await store.close()
