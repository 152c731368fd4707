"""Watch rows: add, read, list, pause, remove and count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.dialect import is_postgres
from bot.store.records import NewWatch, WatchKey, WatchRecord
from bot.store.rows import watch_record
from bot.store.schema import deliveries, watches

__all__ = [
    "add_watch",
    "add_watches",
    "count_watches",
    "get_watch",
    "list_watches",
    "pause_if_active",
    "remove_watch",
    "resume_due_watches",
    "set_watch_paused",
    "set_watch_rule",
    "watch_keys",
]


def _watch_row(new: NewWatch, now: datetime) -> dict[str, Any]:
    """Return the row of a new watch, or explain what is wrong with it."""
    if not new.query.strip():
        raise ValueError("a watch needs a non-empty query")
    if not new.destination.strip():
        raise ValueError("a watch needs a destination, e.g. console or slack:#news")
    return {
        "query": new.query,
        "destination": new.destination,
        "owner": new.owner,
        "platform": new.platform,
        "mode": new.mode,
        "tz": new.tz,
        "paused": bool(new.paused_reason),
        "paused_reason": new.paused_reason,
        "paused_until": new.paused_until if new.paused_reason else None,
        "label": new.label,
        "created_at": now,
    }


async def add_watch(
    conn: AsyncConnection,
    query: str,
    destination: str,
    *,
    owner: str,
    platform: str,
    mode: str,
    tz: str,
    label: str,
    now: datetime,
) -> WatchRecord:
    """Insert a watch rule and where its alerts go."""
    values = _watch_row(NewWatch(query, destination, owner, platform, mode, tz, label), now)
    row = (await conn.execute(sa.insert(watches).values(values).returning(*watches.c))).one()
    return watch_record(row)


async def add_watches(
    conn: AsyncConnection, new: Sequence[NewWatch], *, now: datetime
) -> list[WatchRecord]:
    """Insert many watches with one statement, ids in the order given; return them."""
    rows = [_watch_row(w, now) for w in new]
    if not rows:
        return []
    if is_postgres(conn):
        stmt = sa.insert(watches).returning(watches, sort_by_parameter_order=True)
        return [watch_record(row) for row in await conn.execute(stmt, rows)]
    # SQLite: an ordered RETURNING makes SQLAlchemy insert row by row (10,000 statements for
    # a config of 10,000 watches). One executemany instead; from its first row the transaction
    # holds SQLite's only write lock and AUTOINCREMENT ids only grow, so the newest len(rows)
    # ids are these rows, in the order given.
    await conn.execute(sa.insert(watches), rows)
    newest = sa.select(watches).order_by(watches.c.id.desc()).limit(len(rows))
    return [watch_record(row) for row in reversed((await conn.execute(newest)).all())]


async def get_watch(conn: AsyncConnection, watch_id: int) -> WatchRecord | None:
    """Return the watch with this id, if any."""
    row = (await conn.execute(sa.select(watches).where(watches.c.id == watch_id))).first()
    return watch_record(row) if row else None


def _filters(destination: str | None, owner: str | None) -> list[sa.ColumnElement[bool]]:
    """Return the WHERE conditions for the optional destination and owner filters."""
    conditions: list[sa.ColumnElement[bool]] = []
    if destination is not None:
        conditions.append(watches.c.destination == destination)
    if owner is not None:
        conditions.append(watches.c.owner == owner)
    return conditions


async def list_watches(
    conn: AsyncConnection,
    *,
    destination: str | None,
    owner: str | None,
    include_paused: bool,
    after_id: int = 0,
    limit: int | None = None,
) -> list[WatchRecord]:
    """Return watches, oldest first, optionally for one destination or owner; with `limit`,
    at most that many, those with an id above `after_id` (a page)."""
    stmt = sa.select(watches).where(*_filters(destination, owner)).order_by(watches.c.id)
    if not include_paused:
        stmt = stmt.where(watches.c.paused.is_(False))
    if after_id:
        stmt = stmt.where(watches.c.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [watch_record(row) for row in await conn.execute(stmt)]


async def watch_keys(conn: AsyncConnection, platform: str) -> list[WatchKey]:
    """Return the id, rule, destination, mode and zone of every watch of `platform`, oldest
    first (paused ones too)."""
    c = watches.c
    stmt = (
        sa.select(c.id, c.query, c.destination, c.mode, c.tz)
        .where(c.platform == platform)
        .order_by(c.id)
    )
    return [WatchKey(*row) for row in await conn.execute(stmt)]


async def remove_watch(conn: AsyncConnection, watch_id: int) -> bool:
    """Delete a watch and its deliveries; tell whether it existed."""
    await conn.execute(sa.delete(deliveries).where(deliveries.c.watch_id == watch_id))
    result = await conn.execute(sa.delete(watches).where(watches.c.id == watch_id))
    return result.rowcount > 0


async def set_watch_paused(
    conn: AsyncConnection,
    watch_id: int,
    paused: bool,
    reason: str,
    until: datetime | None = None,
) -> WatchRecord | None:
    """Pause (with a reason, until a time or until resumed) or resume a watch."""
    values: dict[str, Any] = {
        "paused": paused,
        "paused_reason": reason if paused else "",
        "paused_until": until if paused else None,
    }
    stmt = sa.update(watches).where(watches.c.id == watch_id).values(values)
    row = (await conn.execute(stmt.returning(*watches.c))).first()
    return watch_record(row) if row else None


async def set_watch_rule(
    conn: AsyncConnection, watch_id: int, query: str, mode: str, tz: str
) -> WatchRecord | None:
    """Change a watch's rule and delivery mode (same id, same deliveries); None if it is gone."""
    if not query.strip():
        raise ValueError("a watch needs a non-empty query")
    stmt = sa.update(watches).where(watches.c.id == watch_id).values(query=query, mode=mode, tz=tz)
    row = (await conn.execute(stmt.returning(*watches.c))).first()
    return watch_record(row) if row else None


async def resume_due_watches(conn: AsyncConnection, now: datetime) -> list[WatchRecord]:
    """Resume the watches paused until `now` or earlier; return them."""
    stmt = (
        sa.update(watches)
        .where(
            watches.c.paused.is_(True),
            watches.c.paused_until.is_not(None),
            watches.c.paused_until <= now,
        )
        .values(paused=False, paused_reason="", paused_until=None)
        .returning(*watches.c)
    )
    return sorted((watch_record(row) for row in await conn.execute(stmt)), key=lambda w: w.id)


async def pause_if_active(conn: AsyncConnection, watch_id: int, reason: str) -> bool:
    """Pause an active watch with a reason; False when it was already paused (or is gone)."""
    stmt = (
        sa.update(watches)
        .where(watches.c.id == watch_id, watches.c.paused.is_(False))
        .values(paused=True, paused_reason=reason, paused_until=None)
    )
    return bool((await conn.execute(stmt.returning(watches.c.id))).first())


async def count_watches(
    conn: AsyncConnection, *, owner: str | None, destination: str | None
) -> int:
    """Count watches, optionally of one owner or for one destination."""
    stmt = sa.select(sa.func.count()).select_from(watches).where(*_filters(destination, owner))
    return int((await conn.execute(stmt)).scalar_one())
