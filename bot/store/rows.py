"""Turn result rows into the plain records of `bot.store.records` (no ORM object escapes)."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import Row

from bot.core.item import Item
from bot.store.records import ArchivedItem, DeliveryRecord, SourceRecord, WatchRecord

__all__ = ["archived_item", "delivery_record", "source_record", "watch_record"]


def source_record(row: Row[Any], prefix: str = "") -> SourceRecord:
    """Build a SourceRecord from a `sources` row."""
    mapping = row._mapping  # built once per row (column `prefix + name`: joined tables)

    def col(name: str) -> Any:
        return mapping[prefix + name]

    return SourceRecord(
        id=col("id"),
        name=col("name"),
        url=col("url"),
        kind=col("kind"),
        interval_s=col("interval_s"),
        options=dict(col("options") or {}),
        enabled=bool(col("enabled")),
        owner=col("owner"),
        etag=col("etag"),
        last_modified=col("last_modified"),
        next_poll_at=col("next_poll_at"),
        next_poll_reason=col("next_poll_reason"),
        last_polled_at=col("last_polled_at"),
        last_ok_at=col("last_ok_at"),
        last_status=col("last_status"),
        last_error=col("last_error"),
        consecutive_failures=col("consecutive_failures"),
        items_count=col("items_count"),
        disabled_reason=col("disabled_reason"),
        baseline_done=bool(col("baseline_done")),
        created_at=col("created_at"),
    )


def watch_record(row: Row[Any], prefix: str = "") -> WatchRecord:
    """Build a WatchRecord from a `watches` row.

    The short texts most watches share (destination, owner, platform, mode, zone, label) are
    interned: the bot holds every active watch, and the driver returns a new string per cell
    (at 100,000 watches about 30 MB of copies of the same few strings).
    """
    mapping = row._mapping  # built once per row (column `prefix + name`: joined tables)

    def col(name: str) -> Any:
        return mapping[prefix + name]

    def shared(name: str) -> Any:
        value = mapping[prefix + name]
        return sys.intern(value) if type(value) is str else value

    return WatchRecord(
        id=col("id"),
        query=col("query"),
        destination=shared("destination"),
        owner=shared("owner"),
        platform=shared("platform"),
        mode=shared("mode"),
        tz=shared("tz"),
        paused=bool(col("paused")),
        paused_reason=shared("paused_reason"),
        paused_until=col("paused_until"),
        label=shared("label"),
        created_at=col("created_at"),
    )


def archived_item(row: Row[Any], prefix: str = "") -> ArchivedItem:
    """Build an ArchivedItem from an `items` row."""
    mapping = row._mapping  # built once per row (column `prefix + name`: joined tables)

    def col(name: str) -> Any:
        return mapping[prefix + name]

    item = Item(
        title=col("title"),
        summary=col("summary"),
        content=col("content"),
        url=col("url"),
        source=col("source"),
        author=col("author"),
        lang=col("lang"),
        published=col("published"),
        tags=tuple(col("tags") or ()),
        guid=col("guid"),
        boilerplate=col("boilerplate") or "",
    )
    return ArchivedItem(
        id=col("id"),
        source_id=col("source_id"),
        key=col("key"),
        item=item,
        fetched_at=col("fetched_at"),
        cluster_id=col("cluster_id"),
    )


def delivery_record(row: Row[Any], prefix: str = "") -> DeliveryRecord:
    """Build a DeliveryRecord from a `deliveries` row."""
    mapping = row._mapping  # built once per row (column `prefix + name`: joined tables)

    def col(name: str) -> Any:
        return mapping[prefix + name]

    return DeliveryRecord(
        id=col("id"),
        watch_id=col("watch_id"),
        item_id=col("item_id"),
        kind=col("kind"),
        status=col("status"),
        attempts=col("attempts"),
        due_at=col("due_at"),
        external_ref=col("external_ref"),
        error=col("error"),
        payload=dict(col("payload") or {}),
        created_at=col("created_at"),
        sent_at=col("sent_at"),
        attempted_at=col("attempted_at"),
        folded_into=col("folded_into"),
    )
