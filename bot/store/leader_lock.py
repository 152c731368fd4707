"""Who among the `wirewatch run` workers on one database is the leader, and only one run on SQLite.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection of its
own, kept out of the pool for as long as it is held. The server lets it go the moment that
session ends (the process died, its machine or network went away), so another worker's next
try takes it; nothing is written and nothing has to expire. `check()` asks the session whether
it still holds the lock (a lost connection means it does not).

SQLite: one worker only. The first `wirewatch run` holds an exclusive `flock` on
`<database>.run.lock` for its whole life, so it is always the leader; a second run on the same
file is refused with `DatabaseProblem("busy", ...)`. The kernel drops the lock when the process
dies, however it dies (kill -9 included). The CLI's other commands never take it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import zlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.db_errors import DatabaseProblem

__all__ = ["LEADER_KEY", "LeaderLock", "PostgresLeaderLock", "SqliteRunLock", "leader_lock_for"]

log = logging.getLogger(__name__)

LEADER_KEY = 0x7769_7265 << 32
"""The advisory lock's key (bigint): "wire" in hex in the high half, so other applications
sharing the server are unlikely to pick it; the low half is a CRC-32 of the schema in use, as
advisory locks span a whole database and two deployments (or tests) may share one."""


_KEEPALIVE = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 3}


class LeaderLock(ABC):
    """The leader lock of one worker: `try_acquire`, `check`, `release`."""

    @abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this worker holds it afterwards."""

    @abstractmethod
    async def check(self) -> bool:
        """True if this worker still holds the lock."""

    @abstractmethod
    async def release(self) -> None:
        """Let go of the lock (safe to call when not held)."""


class PostgresLeaderLock(LeaderLock):
    """`pg_try_advisory_lock(LEADER_KEY)` on a dedicated connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._key: int | None = None
        self._conn: AsyncConnection | None = None

    @property
    def key(self) -> int | None:
        """The advisory lock's key, known once connected."""
        return self._key

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self._engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                # The server notices a vanished machine within about a minute, not two hours.
                for setting, value in _KEEPALIVE.items():
                    await conn.execute(sa.text(f"SET {setting} = {value}"))
                schema = (await conn.execute(sa.text("SELECT current_schema()"))).scalar()
            except Exception:
                await conn.invalidate()
                raise
            self._key = LEADER_KEY | zlib.crc32(str(schema).encode())
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        """Close the lock's connection for good (never back to the pool with a lock on it)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()

    async def _ask(self, sql: str) -> Any:
        conn = await self._connection()
        try:
            return (await conn.execute(sa.text(sql), {"key": self._key})).scalar()
        except Exception:
            await self._drop()  # its session (and any lock it held) is gone or unusable
            raise

    async def try_acquire(self) -> bool:
        if await self.check():
            return True
        held = bool(await self._ask("SELECT pg_try_advisory_lock(:key)"))
        if not held:  # keep no idle connection per follower
            await self._drop()
        return held

    async def check(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = await self._ask(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"
            )
        except Exception:
            return False
        return bool(held)

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._ask("SELECT pg_advisory_unlock(:key)")
        await self._drop()


class SqliteRunLock(LeaderLock):
    """An exclusive `flock` on `<database>.run.lock`, held by the one `wirewatch run`."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.path = Path(f"{database}.run.lock")
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # no flock (Windows): nothing to enforce with
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f" (pid {holder})" if holder else ""
            raise DatabaseProblem(
                "busy",
                f"another `wirewatch run`{by} is already using {self.database}: SQLite takes "
                "one worker; stop that one first, or move [database] url to PostgreSQL to run "
                "several",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def check(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode().strip() or "0") or None
    return None


def leader_lock_for(engine: AsyncEngine) -> LeaderLock:
    """The leader lock for this engine's database."""
    if engine.dialect.name == "postgresql":
        return PostgresLeaderLock(engine)
    database = engine.url.database or ""
    return SqliteRunLock(database.removeprefix("file:").split("?", 1)[0])
