"""The delivery outbox: enqueue, claim with a lease, and record each send's outcome."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.columns import require_utc
from bot.store.dialect import insert_ignoring_conflicts
from bot.store.records import DeliveryJob, DeliveryRecord, NewDelivery
from bot.store.rows import archived_item, delivery_record, watch_record
from bot.store.schema import deliveries, items, watches

__all__ = [
    "claim_deliveries",
    "count_sent_since",
    "enqueue",
    "find_cluster_alerts",
    "get_delivery",
    "group",
    "list_deliveries",
    "mark_failed",
    "mark_folded",
    "mark_retry",
    "mark_sent",
    "pending_digest",
    "release",
]

_D, _W, _I = "d_", "w_", "i_"
_JOB_COLUMNS = [
    *(c.label(_D + c.name) for c in deliveries.c),
    *(c.label(_W + c.name) for c in watches.c),
    *(c.label(_I + c.name) for c in items.c),
]
_JOBS = (
    sa.select(*_JOB_COLUMNS)
    .join_from(deliveries, watches, watches.c.id == deliveries.c.watch_id)
    .join(items, items.c.id == deliveries.c.item_id)
)


def _job(row: sa.Row[Any]) -> DeliveryJob:
    """Build a DeliveryJob from a row of `_JOBS`."""
    return DeliveryJob(
        delivery=delivery_record(row, _D),
        watch=watch_record(row, _W),
        item=archived_item(row, _I),
    )


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Pending and due, or 'sending' under an expired lease (its sender crashed)."""
    return sa.or_(
        sa.and_(
            deliveries.c.status == "pending",
            sa.or_(deliveries.c.due_at.is_(None), deliveries.c.due_at <= now),
        ),
        sa.and_(deliveries.c.status == "sending", deliveries.c.lease_until <= now),
    )


def _claimed(now: datetime, lease_s: int) -> dict[str, Any]:
    """What a claim writes: leased to this sender, one more try, the first try remembered."""
    return {
        "status": "sending",
        "lease_until": require_utc(now) + timedelta(seconds=lease_s),
        "attempts": deliveries.c.attempts + 1,
        "attempted_at": sa.func.coalesce(deliveries.c.attempted_at, require_utc(now)),
    }


async def enqueue(conn: AsyncConnection, new: Sequence[NewDelivery], *, now: datetime) -> int:
    """Insert deliveries, ignoring any already queued for the same (watch, item, kind)."""
    rows = [
        {
            "watch_id": d.watch_id,
            "item_id": d.item_id,
            "kind": d.kind,
            "status": "pending",
            "attempts": 0,
            "due_at": require_utc(d.due_at, "due_at") if d.due_at else None,
            "error": "",
            "payload": dict(d.payload),
            "created_at": now,
        }
        for d in new
    ]
    if not rows:
        return 0
    # executemany: SQLAlchemy batches the rows into multi-row statements compiled once
    # (a .values(rows) statement is compiled again for every batch size, a large cost).
    stmt = insert_ignoring_conflicts(conn, deliveries).returning(deliveries.c.id)
    return len((await conn.execute(stmt, rows)).all())


async def claim_deliveries(
    conn: AsyncConnection, now: datetime, *, limit: int, lease_s: int, digests: bool = True
) -> list[DeliveryJob]:
    """Claim claimable deliveries of unpaused watches, oldest first, for `lease_s` seconds.

    Without `digests`, only deliveries of immediate watches: digests are the leader's, so that
    one worker composes each digest whole (two claiming at once could split it)."""
    candidates = (
        sa.select(deliveries.c.id)
        .join(watches, watches.c.id == deliveries.c.watch_id)
        .where(
            _claimable(now),
            watches.c.paused.is_(False),
            sa.true() if digests else watches.c.mode == "immediate",
        )
        .order_by(deliveries.c.id)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
    )
    claim = (
        sa.update(deliveries)
        .where(deliveries.c.id.in_(candidates))
        .values(_claimed(now, lease_s))
        .returning(deliveries.c.id)
    )
    ids = list((await conn.execute(claim)).scalars())
    if not ids:
        return []
    ids += await _claim_rest_of_groups(conn, ids, now, lease_s)
    rows = await conn.execute(_JOBS.where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id))
    return [_job(row) for row in rows]


async def _claim_rest_of_groups(
    conn: AsyncConnection, ids: list[int], now: datetime, lease_s: int
) -> list[int]:
    """Claim the members of the claimed deliveries' fold groups that the batch left out.

    A fold (burst or digest message) is settled as a whole, so its members travel together
    whatever their due times (a crash between two writes can leave them apart).
    """
    leaders_of = sa.select(deliveries.c.folded_into).where(
        deliveries.c.id.in_(ids), deliveries.c.folded_into.is_not(None)
    )
    leaders = [int(x) for x in (await conn.execute(leaders_of.distinct())).scalars()]
    if not leaders:
        return []
    waiting = sa.or_(
        deliveries.c.status == "pending",
        sa.and_(deliveries.c.status == "sending", deliveries.c.lease_until <= now),
    )
    rest = (
        sa.select(deliveries.c.id)
        .where(
            sa.or_(deliveries.c.folded_into.in_(leaders), deliveries.c.id.in_(leaders)),
            deliveries.c.id.not_in(ids),
            waiting,
        )
        .with_for_update(skip_locked=True)
    )
    claim = (
        sa.update(deliveries)
        .where(deliveries.c.id.in_(rest))
        .values(_claimed(now, lease_s))
        .returning(deliveries.c.id)
    )
    return list((await conn.execute(claim)).scalars())


async def group(conn: AsyncConnection, leader: int, delivery_ids: Sequence[int]) -> None:
    """Fix a fold's members before it is first sent, so a retry composes the same message."""
    stmt = sa.update(deliveries).where(deliveries.c.id.in_([leader, *delivery_ids]))
    await conn.execute(stmt.values(folded_into=leader))


async def _set(conn: AsyncConnection, delivery_ids: Sequence[int], **values: Any) -> None:
    """Update the given deliveries and release their lease."""
    if delivery_ids:
        stmt = sa.update(deliveries).where(deliveries.c.id.in_(list(delivery_ids)))
        await conn.execute(stmt.values(lease_until=None, **values))


async def mark_sent(
    conn: AsyncConnection, delivery_id: int, *, now: datetime, external_ref: str | None
) -> None:
    """Record a delivery as posted, with the platform's message reference."""
    await _set(conn, [delivery_id], status="sent", sent_at=now, external_ref=external_ref, error="")


async def mark_retry(
    conn: AsyncConnection, delivery_id: int | Sequence[int], *, error: str, retry_at: datetime
) -> None:
    """Put deliveries back in the queue, due again at `retry_at`."""
    ids = [delivery_id] if isinstance(delivery_id, int) else delivery_id
    await _set(conn, ids, status="pending", due_at=retry_at, error=error)


async def release(conn: AsyncConnection, delivery_ids: Sequence[int], *, error: str) -> None:
    """Hand claimed deliveries back unsent: pending again, due at once, the claim's try undone.

    For deliveries that were never sent (a shutdown) or that a destination refused outright
    (their watch is paused): they wait, due, for the next claim and keep no trace of this try.
    """
    if not delivery_ids:
        return
    first_try = deliveries.c.attempts <= 1
    stmt = (
        sa.update(deliveries)
        .where(deliveries.c.id.in_(list(delivery_ids)), deliveries.c.status == "sending")
        .values(
            status="pending",
            lease_until=None,
            error=error,
            attempts=sa.case((first_try, 0), else_=deliveries.c.attempts - 1),
            attempted_at=sa.case((first_try, None), else_=deliveries.c.attempted_at),
        )
    )
    await conn.execute(stmt)


async def mark_failed(
    conn: AsyncConnection, delivery_id: int | Sequence[int], *, error: str
) -> None:
    """Give up on deliveries for good."""
    ids = [delivery_id] if isinstance(delivery_id, int) else delivery_id
    await _set(conn, ids, status="failed", error=error)


async def mark_folded(
    conn: AsyncConnection,
    delivery_ids: Sequence[int],
    *,
    now: datetime,
    into: int | None,
    external_ref: str | None,
) -> None:
    """Record deliveries as sent inside another message (a digest or a burst summary)."""
    await _set(
        conn,
        delivery_ids,
        status="folded",
        sent_at=now,
        folded_into=into,
        external_ref=external_ref,
        error="",
    )


async def get_delivery(conn: AsyncConnection, delivery_id: int) -> DeliveryRecord | None:
    """Return one delivery, if it exists."""
    stmt = sa.select(deliveries).where(deliveries.c.id == delivery_id)
    row = (await conn.execute(stmt)).first()
    return delivery_record(row) if row else None


async def list_deliveries(
    conn: AsyncConnection, *, watch_id: int | None, status: str | None
) -> list[DeliveryRecord]:
    """Return deliveries, oldest first, optionally of one watch or in one status."""
    stmt = sa.select(deliveries).order_by(deliveries.c.id)
    if watch_id is not None:
        stmt = stmt.where(deliveries.c.watch_id == watch_id)
    if status is not None:
        stmt = stmt.where(deliveries.c.status == status)
    return [delivery_record(row) for row in await conn.execute(stmt)]


async def count_sent_since(conn: AsyncConnection, watch_id: int, since: datetime) -> int:
    """Count messages actually posted for a watch since `since` (folded members excluded)."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(deliveries)
        .where(
            deliveries.c.watch_id == watch_id,
            deliveries.c.status == "sent",
            deliveries.c.sent_at >= since,
        )
    )
    return int((await conn.execute(stmt)).scalar_one())


async def count_unsent(conn: AsyncConnection) -> int:
    """Count the deliveries not yet settled: pending (due or not) and being sent."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(deliveries)
        .where(deliveries.c.status.in_(("pending", "sending")))
    )
    return int((await conn.execute(stmt)).scalar_one())


async def pending_digest(conn: AsyncConnection, watch_id: int, now: datetime) -> list[DeliveryJob]:
    """Return a watch's queued deliveries, due or not (and any whose sender's lease expired)."""
    queued = sa.or_(
        deliveries.c.status == "pending",
        sa.and_(deliveries.c.status == "sending", deliveries.c.lease_until <= now),
    )
    stmt = _JOBS.where(deliveries.c.watch_id == watch_id, queued).order_by(deliveries.c.id)
    return [_job(row) for row in await conn.execute(stmt)]


async def find_cluster_alerts(
    conn: AsyncConnection, pairs: Collection[tuple[int, int]], since: datetime
) -> dict[tuple[int, int], DeliveryRecord]:
    """Return, per (watch_id, cluster_id), the watch's earliest alert about the cluster since `since`.

    One query per 400 pairs, whatever the number of items and watches of a poll.
    """
    found: dict[tuple[int, int], DeliveryRecord] = {}
    wanted = sorted(set(pairs))
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        stmt = (
            sa.select(deliveries, items.c.cluster_id.label("story"))
            .join(items, items.c.id == deliveries.c.item_id)
            .where(
                sa.tuple_(deliveries.c.watch_id, items.c.cluster_id).in_(chunk),
                deliveries.c.kind == "alert",
                deliveries.c.created_at >= since,
            )
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
        for row in await conn.execute(stmt):
            found.setdefault((row.watch_id, row.story), delivery_record(row))
    return found
