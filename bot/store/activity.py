"""What happened, aggregated in SQL for the web console: polls, matches per day, recent alerts.

Every function reads one page of rows (a page of watches or sources, a window of days) with
one or two statements, so a page costs the same with 10 watches or 10,000.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.records import ArchivedItem, DeliveryRecord, SourceRecord, WatchRecord
from bot.store.rows import archived_item, delivery_record, source_record, watch_record
from bot.store.schema import deliveries, items, source_polls, sources, watches

__all__ = [
    "AlertRecord",
    "PollRecord",
    "WatchScope",
    "day_window",
    "matches_per_day",
    "poll_counts",
    "poll_history",
    "polls_per_day",
    "recent_alerts",
    "source_page",
    "watch_matches",
    "watch_page",
]


@dataclass(frozen=True, slots=True)
class WatchScope:
    """The watches a person may see: their own and those delivered to them (None: all)."""

    owner: str
    destination: str

    def condition(self) -> sa.ColumnElement[bool]:
        """The WHERE clause selecting these watches."""
        return sa.or_(watches.c.owner == self.owner, watches.c.destination == self.destination)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll of a source: when, whether it worked, what it said."""

    source_id: int
    polled_at: datetime
    ok: bool
    status: str
    error: str
    new_items: int


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A delivery with its watch and item, for "latest alerts and where they went"."""

    delivery: DeliveryRecord
    watch: WatchRecord
    title: str
    url: str
    source: str


def _day(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a timestamp column, as SQL."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite stores naive UTC text


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _day_index(value: Any, first: date, days: int) -> int | None:
    index = (_as_date(value) - first).days
    return index if 0 <= index < days else None


async def alert_counts(
    conn: AsyncConnection, watch_ids: Collection[int], since: datetime
) -> dict[int, int]:
    """Alerts enqueued since `since` for each of these watches (absent: none)."""
    if not watch_ids:
        return {}
    stmt = (
        sa.select(deliveries.c.watch_id, sa.func.count())
        .where(
            deliveries.c.watch_id.in_(list(watch_ids)),
            deliveries.c.kind == "alert",
            deliveries.c.created_at >= since,
        )
        .group_by(deliveries.c.watch_id)
    )
    return {int(watch_id): int(count) for watch_id, count in await conn.execute(stmt)}


async def matches_per_day(
    conn: AsyncConnection, watch_ids: Collection[int], first: date, days: int
) -> dict[int, list[int]]:
    """Alerts enqueued per UTC day for each watch, from `first` for `days` days."""
    out = {wid: [0] * days for wid in watch_ids}
    if not watch_ids:
        return out
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    day = _day(deliveries.c.created_at, conn.dialect.name).label("day")
    stmt = (
        sa.select(deliveries.c.watch_id, day, sa.func.count().label("n"))
        .where(
            deliveries.c.watch_id.in_(list(watch_ids)),
            deliveries.c.kind == "alert",
            deliveries.c.created_at >= start,
        )
        .group_by(deliveries.c.watch_id, day)
    )
    for watch_id, when, count in await conn.execute(stmt):
        index = _day_index(when, first, days)
        if index is not None:
            out[watch_id][index] = int(count)
    return out


async def polls_per_day(
    conn: AsyncConnection, source_id: int, first: date, days: int
) -> list[tuple[int, int]]:
    """(ok, failed) polls of a source per UTC day, from `first` for `days` days."""
    out = [(0, 0)] * days
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    day = _day(source_polls.c.polled_at, conn.dialect.name).label("day")
    ok = sa.func.sum(sa.case((source_polls.c.ok.is_(True), 1), else_=0)).label("ok")
    stmt = (
        sa.select(day, ok, sa.func.count().label("n"))
        .where(source_polls.c.source_id == source_id, source_polls.c.polled_at >= start)
        .group_by(day)
    )
    for when, good, total in await conn.execute(stmt):
        index = _day_index(when, first, days)
        if index is not None:
            out[index] = (int(good or 0), int(total) - int(good or 0))
    return out


async def poll_counts(
    conn: AsyncConnection, source_ids: Collection[int], since: datetime
) -> dict[int, tuple[int, int]]:
    """(ok, failed) polls since `since` for each of these sources."""
    out = {sid: (0, 0) for sid in source_ids}
    if not source_ids:
        return out
    ok = sa.func.sum(sa.case((source_polls.c.ok.is_(True), 1), else_=0))
    stmt = (
        sa.select(source_polls.c.source_id, ok, sa.func.count())
        .where(source_polls.c.source_id.in_(list(source_ids)), source_polls.c.polled_at >= since)
        .group_by(source_polls.c.source_id)
    )
    for sid, good, total in await conn.execute(stmt):
        out[sid] = (int(good or 0), int(total) - int(good or 0))
    return out


async def poll_history(conn: AsyncConnection, source_id: int, limit: int) -> list[PollRecord]:
    """The newest `limit` polls of a source, newest first."""
    stmt = (
        sa.select(source_polls)
        .where(source_polls.c.source_id == source_id)
        .order_by(source_polls.c.polled_at.desc(), source_polls.c.id.desc())
        .limit(limit)
    )
    return [
        PollRecord(
            source_id=row.source_id,
            polled_at=row.polled_at,
            ok=bool(row.ok),
            status=row.status,
            error=row.error,
            new_items=row.new_items,
        )
        for row in await conn.execute(stmt)
    ]


def _prefixed(table: sa.Table, prefix: str) -> list[sa.Label[Any]]:
    return [column.label(prefix + column.name) for column in table.c]


async def recent_alerts(
    conn: AsyncConnection, scope: WatchScope | None, limit: int
) -> list[AlertRecord]:
    """The newest alerts and updates (of the watches in `scope`), newest first."""
    stmt = (
        sa.select(
            *_prefixed(deliveries, "d_"),
            *_prefixed(watches, "w_"),
            items.c.title,
            items.c.url,
            items.c.source,
        )
        .select_from(
            deliveries.join(watches, watches.c.id == deliveries.c.watch_id).join(
                items, items.c.id == deliveries.c.item_id
            )
        )
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(scope.condition())
    result: sa.Result[Any] = await conn.execute(stmt)
    return [
        AlertRecord(
            delivery=delivery_record(row, "d_"),
            watch=watch_record(row, "w_"),
            title=row.title,
            url=row.url,
            source=row.source,
        )
        for row in result
    ]


async def watch_matches(
    conn: AsyncConnection, watch_id: int, limit: int
) -> list[tuple[DeliveryRecord, ArchivedItem]]:
    """The newest alerts of one watch with their items, newest first."""
    stmt = (
        sa.select(*_prefixed(deliveries, "d_"), *_prefixed(items, "i_"))
        .select_from(deliveries.join(items, items.c.id == deliveries.c.item_id))
        .where(deliveries.c.watch_id == watch_id, deliveries.c.kind == "alert")
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    return [
        (delivery_record(row, "d_"), archived_item(row, "i_")) for row in await conn.execute(stmt)
    ]


async def watch_page(
    conn: AsyncConnection,
    scope: WatchScope | None,
    *,
    text: str = "",
    offset: int,
    limit: int,
) -> tuple[list[WatchRecord], int]:
    """One page of watches (oldest first) in `scope` whose rule contains `text`, and the total."""
    conditions: list[sa.ColumnElement[bool]] = []
    if scope is not None:
        conditions.append(scope.condition())
    if text.strip():
        conditions.append(watches.c.query.ilike(f"%{_like_escape(text.strip())}%", escape="\\"))
    total_stmt = sa.select(sa.func.count()).select_from(watches).where(*conditions)
    total = int((await conn.execute(total_stmt)).scalar_one())
    stmt = sa.select(watches).where(*conditions).order_by(watches.c.id).offset(offset).limit(limit)
    return [watch_record(row) for row in await conn.execute(stmt)], total


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def source_page(
    conn: AsyncConnection, *, offset: int, limit: int
) -> tuple[list[SourceRecord], int]:
    """One page of sources, failing ones first (longest streak first), and the total."""
    total = int((await conn.execute(sa.select(sa.func.count()).select_from(sources))).scalar_one())
    stmt = (
        sa.select(sources)
        .order_by(sources.c.consecutive_failures.desc(), sources.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [source_record(row) for row in await conn.execute(stmt)], total


def day_window(today: date, days: int) -> Sequence[date]:
    """The `days` calendar days ending with `today`, oldest first."""
    return [today - timedelta(days=days - 1 - i) for i in range(days)]
