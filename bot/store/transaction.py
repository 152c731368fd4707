"""One write transaction: a poll's new items, their clusters, deliveries and the poll's outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.item import Item
from bot.store import archive, boilerplate, outbox, poll_writes, sources, watches
from bot.store.columns import require_utc
from bot.store.records import (
    ArchivedItem,
    DeliveryRecord,
    NewDelivery,
    NewSource,
    NewWatch,
    SourceRecord,
    StoryMember,
    WatchRecord,
)

__all__ = ["StoreTransaction"]

log = logging.getLogger(__name__)


class StoreTransaction:
    """Everything done through one instance commits together, or not at all."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._undo: list[Callable[[], None]] = []

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call `undo` if this transaction's work is rolled back (to undo in-memory effects)."""
        self._undo.append(undo)

    def rolled_back(self) -> None:
        """Run the undo hooks, newest first (the writer calls this after a rollback)."""
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception:
                log.exception("undoing a rolled-back write failed")

    async def add_new_items(
        self, source_id: int, items: Sequence[Item], *, now: datetime
    ) -> list[ArchivedItem]:
        """Mark all items seen, archive the new ones and return them in input order."""
        return await archive.add_new_items(self._conn, source_id, items, now=now)

    async def write_polls(
        self, polls: Sequence[poll_writes.PollWrite]
    ) -> list[poll_writes.PollWritten]:
        """Write several polls' outcomes and new items in a few statements, as if one after
        the other (`bot.store.poll_writes`); LookupError if a source was removed meanwhile."""
        return await poll_writes.write_polls(self, self._conn, polls)

    async def set_clusters(
        self, clusters: Mapping[int, int], words: Mapping[int, Collection[str]] | None = None
    ) -> None:
        """Record each item's story cluster (item_id -> cluster_id) and story words."""
        await archive.set_clusters(self._conn, clusters, words)

    async def story_members(
        self, since: datetime, *, after_id: int, limit: int
    ) -> list[StoryMember]:
        """Items archived since `since` with ids above `after_id` (oldest first, at most
        `limit`): their story, time and story words."""
        return await archive.story_members(
            self._conn, require_utc(since, "since"), after_id=after_id, limit=limit
        )

    async def get_items(self, ids: Sequence[int]) -> list[ArchivedItem]:
        """Archived items by id, in the order given (ids not found are left out)."""
        return await archive.get_items(self._conn, ids)

    async def find_cluster_alert(
        self, watch_id: int, cluster_id: int, since: datetime
    ) -> DeliveryRecord | None:
        """Return this watch's earliest alert about the cluster created since `since`."""
        found = await self.find_cluster_alerts([(watch_id, cluster_id)], since)
        return found.get((watch_id, cluster_id))

    async def find_cluster_alerts(
        self, pairs: Collection[tuple[int, int]], since: datetime
    ) -> dict[tuple[int, int], DeliveryRecord]:
        """Return, per (watch_id, cluster_id) pair, the earliest alert since `since` (if any)."""
        if not pairs:
            return {}
        return await outbox.find_cluster_alerts(self._conn, pairs, require_utc(since, "since"))

    async def enqueue(self, deliveries: Sequence[NewDelivery], *, now: datetime) -> int:
        """Queue deliveries, ignoring (watch, item, kind) duplicates; return how many are new."""
        return await outbox.enqueue(self._conn, deliveries, now=require_utc(now))

    async def record_poll(
        self,
        source_id: int,
        *,
        now: datetime,
        ok: bool,
        status: str,
        next_poll_at: datetime,
        next_poll_reason: str = "",
        error: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
        new_items: int = 0,
    ) -> SourceRecord:
        """Record a poll's outcome; raise LookupError if the source was removed meanwhile."""
        return await sources.record_poll(
            self._conn,
            source_id,
            now=require_utc(now, "now"),
            ok=ok,
            status=status,
            next_poll_at=require_utc(next_poll_at, "next_poll_at"),
            next_poll_reason=next_poll_reason,
            error=error,
            etag=etag,
            last_modified=last_modified,
            new_items=new_items,
        )

    async def save_boilerplate_state(self, source_id: int, state: str, *, now: datetime) -> None:
        """Save the source's learned boilerplate state (after `record_poll`: the source exists)."""
        await boilerplate.save_boilerplate_state(
            self._conn, source_id, state, now=require_utc(now, "now")
        )

    async def update_source(self, source_id: int, **fields: Any) -> SourceRecord | None:
        """Change some fields of a source (bot.store.sources.UPDATABLE_FIELDS)."""
        return await sources.update_source(self._conn, source_id, fields)

    async def add_sources(self, new: Sequence[NewSource], *, now: datetime) -> int:
        """Add many sources in one statement (URLs already registered are skipped); count added."""
        return await sources.add_sources(self._conn, new, now=require_utc(now, "now"))

    async def remove_source(self, source_id: int) -> bool:
        """Remove a source (its archived items stay); tell whether it existed."""
        return await sources.remove_source(self._conn, source_id)

    async def add_watches(self, new: Sequence[NewWatch], *, now: datetime) -> list[WatchRecord]:
        """Add many watches in one statement, ids in the order given; return them."""
        return await watches.add_watches(self._conn, new, now=require_utc(now, "now"))

    async def remove_watch(self, watch_id: int) -> bool:
        """Remove a watch and its deliveries; tell whether it existed."""
        return await watches.remove_watch(self._conn, watch_id)
