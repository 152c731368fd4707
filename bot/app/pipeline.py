"""One poll of one source: fetch -> keep only new items -> match -> enqueue, atomically.

New items, their seen marks, their story clusters and the deliveries they cause are written in one
transaction, so a crash at any point either loses nothing or did nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.app.scheduler import next_digest_at
from bot.app.settings import AlertSettings, PollSettings
from bot.app.watch_index import WatchIndex
from bot.core.cluster import StoryClusters
from bot.core.item import Item
from bot.fetch import DISABLE_AFTER_FAILURES, SafeClient, adaptive_interval, backoff_delay
from bot.ports import FetchError, FetchResult, FetchState
from bot.sources import get_source
from bot.sources.article import fetch_article_text
from bot.store import Store, StoreTransaction
from bot.store.records import ArchivedItem, NewDelivery, SourceRecord

__all__ = ["Pipeline", "PollReport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll did."""

    source_id: int
    ok: bool
    new_items: int = 0
    deliveries: int = 0
    not_modified: bool = False
    error: str = ""
    next_poll_at: datetime | None = None
    interval_s: float = 0.0


class Pipeline:
    """Polls sources and turns their new items into queued deliveries."""

    def __init__(
        self,
        store: Store,
        client: SafeClient,
        index: WatchIndex,
        clusters: StoryClusters,
        *,
        poll: PollSettings,
        alerts: AlertSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: random.Random | None = None,
        notify_owner: Callable[[str, str], Awaitable[None]] | None = None,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.index = index
        self.clusters = clusters
        self.poll_settings = poll
        self.alerts = alerts
        self.clock = clock
        self.rand = rand or random.Random()
        self.notify_owner = notify_owner
        self.on_enqueued = on_enqueued

    async def poll_source_id(self, source_id: int) -> PollReport | None:
        """Poll a source by id if it still exists and is enabled (the scheduler's job)."""
        source = await self.store.get_source(source_id)
        if source is None or not source.enabled:
            return None
        return await self.poll_source(source)

    async def poll_sources(self, sources: list[SourceRecord]) -> list[PollReport]:
        """Poll several sources concurrently, at most [poll] concurrency at once."""
        gate = asyncio.Semaphore(self.poll_settings.concurrency)

        async def one(source: SourceRecord) -> PollReport:
            async with gate:
                return await self.poll_source(source)

        return list(await asyncio.gather(*(one(s) for s in sources)))

    async def poll_source(self, source: SourceRecord) -> PollReport:
        """Fetch one source and ingest what is new; never raises for a source's misbehaviour."""
        try:
            return await self._poll(source)
        except LookupError:  # removed while it was being polled: nothing to record
            return PollReport(source.id, False, error="the source was removed meanwhile")

    async def _poll(self, source: SourceRecord) -> PollReport:
        now = self.clock()
        state = FetchState(
            url=source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            options=source.options,
            name=source.name,
        )
        try:
            result = await get_source(source.kind).fetch(self.client, state)
        except FetchError as err:
            return await self._failed(source, now, err.message, err.retry_after)
        except Exception as err:  # a parser bug must not stop the other sources
            log.exception("source #%s (%s) failed unexpectedly", source.id, source.url)
            return await self._failed(source, now, f"internal error ({type(err).__name__})", None)
        interval = self._next_interval(source, result)
        next_at = self._jittered(now, interval)
        if result.not_modified:
            await self.store.record_poll(
                source.id, now=now, ok=True, status="not modified", next_poll_at=next_at
            )
            return PollReport(
                source.id, True, not_modified=True, next_poll_at=next_at, interval_s=interval
            )
        items = result.items
        if source.options.get("fetch_article"):
            items = await self._with_article_text(source, items)
        async with self.store.transaction() as tx:
            new = await tx.add_new_items(source.id, items, now=now)
            deliveries = await self._route(tx, source, new, now)
        await self.store.record_poll(
            source.id,
            now=now,
            ok=True,
            next_poll_at=next_at,
            etag=result.etag,
            last_modified=result.last_modified,
            new_items=len(new),
            status=f"ok: {len(items)} items, {len(new)} new",
        )
        if deliveries and self.on_enqueued is not None:
            self.on_enqueued()
        log.info(
            "source #%s %s: %d items, %d new, %d deliveries",
            source.id,
            source.name,
            len(items),
            len(new),
            deliveries,
        )
        return PollReport(
            source.id, True, len(new), deliveries, next_poll_at=next_at, interval_s=interval
        )

    async def _route(
        self, tx: StoreTransaction, source: SourceRecord, new: list[ArchivedItem], now: datetime
    ) -> int:
        """Cluster the new items, match them, enqueue alerts, story updates and digest entries."""
        if not new:
            return 0
        clusters = {a.id: self.clusters.assign(a.id, a.item, _story_time(a, now)) for a in new}
        await tx.set_clusters(clusters)
        alertable = new
        if not source.baseline_done:  # first poll: record what is there, alert only the backfill
            backfill = int(source.options.get("backfill", self.poll_settings.backfill))
            newest = sorted(new, key=lambda a: _story_time(a, now), reverse=True)
            alertable = newest[:backfill]
        window_start = now - timedelta(seconds=self.alerts.cluster_window)
        enqueued = 0
        for archived in alertable:
            cluster_id = clusters[archived.id]
            batch: list[NewDelivery] = []
            for hit in self.index.match(archived.item):
                watch = hit.watch
                kind, payload = "alert", {}
                if cluster_id != archived.id:
                    prior = await tx.find_cluster_alert(watch.id, cluster_id, window_start)
                    if prior is not None:
                        if self.alerts.updates == "off" or watch.mode != "immediate":
                            continue
                        kind, payload = "update", {"updates_delivery": prior.id}
                due = next_digest_at(watch.mode, watch.tz, now) if kind == "alert" else None
                batch.append(NewDelivery(watch.id, archived.id, kind, due, payload))
            if batch:  # enqueue per item so a later copy of the story sees this alert
                enqueued += await tx.enqueue(batch, now=now)
        return enqueued

    async def _with_article_text(self, source: SourceRecord, items: list[Item]) -> list[Item]:
        """Replace teaser text by the article's main text, for items not seen before."""
        unseen = await self.store.unseen(source.id, items)
        budget = self.poll_settings.fetch_articles_per_poll
        wanted = {id(i) for i in unseen if i.url}
        out: list[Item] = []
        for item in items:
            if id(item) in wanted and budget > 0:
                budget -= 1
                try:
                    text = await fetch_article_text(self.client, item.url)
                except FetchError as err:
                    log.info("article %s not fetched: %s", item.url, err.message)
                    text = None
                if text:
                    item = dataclasses.replace(item, content=text)
            out.append(item)
        return out

    def _next_interval(self, source: SourceRecord, result: FetchResult) -> float:
        settings = self.poll_settings
        interval = float(source.interval_s)
        if settings.adaptive and result.items:
            published = [i.published for i in result.items if i.published is not None]
            interval = float(
                adaptive_interval(
                    published,
                    current_s=source.interval_s,
                    min_s=int(settings.min_interval),
                    max_s=int(max(settings.max_interval, source.interval_s)),
                )
            )
        if result.max_age:
            interval = max(interval, min(result.max_age, settings.max_interval))
        return interval

    def _jittered(self, now: datetime, interval: float) -> datetime:
        spread = interval * self.poll_settings.jitter
        return now + timedelta(seconds=interval + self.rand.uniform(-spread, spread))

    async def _failed(
        self, source: SourceRecord, now: datetime, error: str, retry_after: float | None
    ) -> PollReport:
        failures = source.consecutive_failures + 1
        delay = backoff_delay(
            failures,
            base_s=float(source.interval_s),
            cap_s=self.poll_settings.max_interval,
            retry_after=retry_after,
            rand=self.rand,
        )
        next_at = now + timedelta(seconds=delay)
        log.warning(
            "source #%s %s failed (%d in a row): %s; next try in %.0fs",
            source.id,
            source.url,
            failures,
            error,
            delay,
        )
        await self.store.record_poll(
            source.id, now=now, ok=False, status="error", error=error, next_poll_at=next_at
        )
        if failures >= DISABLE_AFTER_FAILURES:
            reason = f"disabled after {failures} failures in a row; last error: {error}"
            await self.store.update_source(source.id, enabled=False, disabled_reason=reason)
            if source.owner and self.notify_owner is not None:
                await self.notify_owner(
                    source.owner,
                    f"Wirewatch stopped polling {source.name} ({source.url}): "
                    f"{reason}. Fix the feed, then remove and add it again.",
                )
        return PollReport(source.id, False, error=error, next_poll_at=next_at, interval_s=delay)


def _story_time(archived: ArchivedItem, now: datetime) -> datetime:
    """When an item happened, never later than now (a feed may claim any date)."""
    published = archived.item.published
    return min(published, now) if published is not None else now
