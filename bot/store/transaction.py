"""One database transaction of the pipeline: new items, their clusters and their deliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.item import Item
from bot.store import archive, outbox
from bot.store.columns import require_utc
from bot.store.records import ArchivedItem, DeliveryRecord, NewDelivery

__all__ = ["StoreTransaction"]


class StoreTransaction:
    """Everything done through one instance commits together, or not at all."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add_new_items(
        self, source_id: int, items: Sequence[Item], *, now: datetime
    ) -> list[ArchivedItem]:
        """Mark all items seen, archive the new ones and return them in input order."""
        return await archive.add_new_items(self._conn, source_id, items, now=now)

    async def set_clusters(self, clusters: Mapping[int, int]) -> None:
        """Record each item's story cluster (item_id -> cluster_id)."""
        await archive.set_clusters(self._conn, clusters)

    async def find_cluster_alert(
        self, watch_id: int, cluster_id: int, since: datetime
    ) -> DeliveryRecord | None:
        """Return this watch's earliest alert about the cluster created since `since`."""
        since = require_utc(since, "since")
        return await outbox.find_cluster_alert(self._conn, watch_id, cluster_id, since)

    async def enqueue(self, deliveries: Sequence[NewDelivery], *, now: datetime) -> int:
        """Queue deliveries, ignoring (watch, item, kind) duplicates; return how many are new."""
        return await outbox.enqueue(self._conn, deliveries, now=require_utc(now))
