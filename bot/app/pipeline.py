"""One poll of one source: fetch -> keep only new items -> match -> enqueue, atomically.

A poll works out everything it can before it writes: which fetched items are new (a read), their
text without the source's boilerplate (`bot.app.source_boilerplate`), their story fingerprints
and which watches they match (CPU). Its write is then one short job on the
store's single writer: new items, their seen marks, their story clusters, the deliveries they cause
and the poll's outcome commit together, so a crash at any point either loses nothing or did
nothing, and a poll cut short is simply done again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app.poll_timing import NextPoll, after_failure, after_success
from bot.app.scheduler import next_digest_at
from bot.app.source_boilerplate import learn_and_clean
from bot.app.watch_index import WatchIndex
from bot.core.cluster import StoryClusters, StoryPrint
from bot.core.item import Item
from bot.fetch import DISABLE_AFTER_FAILURES, SafeClient
from bot.ports import FetchError, FetchResult, FetchState
from bot.settings import AlertSettings, PollSettings
from bot.sources import get_source
from bot.sources.article import fetch_article_text
from bot.store import Store, StoreTransaction
from bot.store.archive import item_keys
from bot.store.poll_writes import Clustered, PollWrite
from bot.store.records import ArchivedItem, NewDelivery, PollOutcome, SourceRecord, WatchRecord

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


@dataclass(slots=True)
class _Plan:
    """What a poll works out before writing, by item key: story prints and matching watches."""

    prints: dict[str, StoryPrint] = field(default_factory=dict)
    hits: dict[str, list[tuple[WatchRecord, datetime | None]]] = field(default_factory=dict)


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
        self.clusters_ready = asyncio.Event()
        """Clear while the story index is being filled at start: new items wait for it."""
        self.clusters_ready.set()
        self.on_fetched: Callable[[float], None] = lambda seconds: None
        """Told how long each fetch took (the runtime's metrics)."""

    async def poll_sources(self, sources: list[SourceRecord]) -> list[PollReport]:
        """Poll several sources concurrently, at most [poll] concurrency at once."""
        gate = asyncio.Semaphore(self.poll_settings.concurrency)

        async def one(source: SourceRecord) -> PollReport:
            async with gate:
                return await self.poll_source(source)

        return list(await asyncio.gather(*(one(s) for s in sources)))

    async def poll_source(
        self, source: SourceRecord, *, fetched: Callable[[], None] = lambda: None
    ) -> PollReport:
        """Fetch one source and ingest what is new; never raises for a source's misbehaviour.

        `fetched()` is called once the poll is done fetching and computing, before it waits
        for its write (the dispatcher then starts another poll)."""
        try:
            return await self._poll(source, fetched)
        except LookupError:  # removed while it was being polled: nothing to record
            return PollReport(source.id, False, error="the source was removed meanwhile")

    async def _fetch(self, kind: str, state: FetchState) -> FetchResult:
        started = time.perf_counter()
        try:
            return await get_source(kind).fetch(self.client, state)
        finally:
            self.on_fetched(time.perf_counter() - started)

    async def _poll(self, source: SourceRecord, fetched: Callable[[], None]) -> PollReport:
        now = self.clock()
        state = FetchState(
            url=source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            options=source.options,
            name=source.name,
        )
        try:
            result = await self._fetch(source.kind, state)
        except FetchError as err:
            fetched()
            return await self._failed(source, now, err.message, err.retry_after)
        except Exception as err:  # a parser bug must not stop the other sources
            log.exception("source #%s (%s) failed unexpectedly", source.id, source.url)
            fetched()
            return await self._failed(source, now, f"internal error ({type(err).__name__})", None)
        next_poll = self._next_poll(source, result, now)
        next_at, interval = next_poll.at, next_poll.wait_s
        if result.not_modified:
            outcome = PollOutcome(
                source.id,
                now,
                ok=True,
                status="not modified",
                next_poll_at=next_at,
                next_poll_reason=next_poll.reason,
            )
            fetched()
            await self.store.write_poll(PollWrite(source.id, now, lambda _new: outcome))
            return PollReport(
                source.id, True, not_modified=True, next_poll_at=next_at, interval_s=interval
            )
        items = result.items
        candidates, boilerplate = (
            await self.store.unseen_and_boilerplate(source.id, items) if items else ([], None)
        )
        if candidates and source.options.get("fetch_article"):
            items, candidates = await self._with_article_text(items, candidates)
        cleaned = await learn_and_clean(boilerplate, items, candidates)
        items, candidates = cleaned.items, cleaned.new
        plan = await self._plan(source, candidates, now)
        if items:  # the write clusters what is new: not before the story index is complete
            await self.clusters_ready.wait()

        def outcome_of(new: int) -> PollOutcome:
            return PollOutcome(
                source.id,
                now,
                ok=True,
                status=f"ok: {len(items)} items, {new} new",
                next_poll_at=next_at,
                next_poll_reason=next_poll.reason,
                etag=result.etag,
                last_modified=result.last_modified,
                new_items=new,
            )

        async def route(
            tx: StoreTransaction, new: list[ArchivedItem], clusters: Mapping[int, int]
        ) -> int:
            return await self._route(tx, new, clusters, plan, now)

        fetched()
        written = await self.store.write_poll(
            PollWrite(
                source.id,
                now,
                outcome_of,
                items=items,
                cluster=lambda tx, new: self._cluster(tx, new, plan, now),
                route=route,
                boilerplate_state=cleaned.state,
            )
        )
        new_count, deliveries = len(written.new), written.deliveries
        if deliveries and self.on_enqueued is not None:
            self.on_enqueued()
        log.info(
            "source #%s %s: %d items, %d new, %d deliveries",
            source.id,
            source.name,
            len(items),
            new_count,
            deliveries,
        )
        return PollReport(
            source.id, True, new_count, deliveries, next_poll_at=next_at, interval_s=interval
        )

    async def _plan(self, source: SourceRecord, candidates: list[Item], now: datetime) -> _Plan:
        """Work out, before writing, the story prints of the items and the watches they match."""
        plan = _Plan()
        alertable = candidates
        if not source.baseline_done:  # first poll: record what is there, alert only the backfill
            backfill = int(source.options.get("backfill", self.poll_settings.backfill))
            newest = sorted(candidates, key=lambda i: _item_time(i, now), reverse=True)
            alertable = newest[:backfill]
        for item in candidates:
            plan.prints[item_keys(source.id, item)[0]] = self.clusters.fingerprint(item)
        for item in alertable:
            plan.hits[item_keys(source.id, item)[0]] = [
                (hit.watch, next_digest_at(hit.watch.mode, hit.watch.tz, now))
                for hit in self.index.match(item)
            ]
            await asyncio.sleep(0)  # matching is CPU: let fetches in flight move on
        return plan

    def _cluster(
        self, tx: StoreTransaction, new: list[ArchivedItem], plan: _Plan, now: datetime
    ) -> Clustered:
        """Assign the new items to stories (undone if the write is rolled back)."""
        assigned: list[int] = []
        tx.on_rollback(lambda: self.clusters.forget(assigned))
        out = Clustered()
        for archived in new:
            printed = plan.prints.get(archived.key) or self.clusters.fingerprint(archived.item)
            out.clusters[archived.id] = self.clusters.assign(
                archived.id, archived.item, _story_time(archived, now), fingerprint=printed
            )
            out.words[archived.id] = printed.words  # a restart's story index reads them
            assigned.append(archived.id)
        return out

    async def _route(
        self,
        tx: StoreTransaction,
        new: list[ArchivedItem],
        clusters: Mapping[int, int],
        plan: _Plan,
        now: datetime,
    ) -> int:
        """Enqueue the new items' alerts, story updates and digest entries."""
        # Items whose story another item of this poll already touched go one by one, after the
        # others, so that they see the alerts just queued (and become updates of them).
        together: list[ArchivedItem] = []
        one_by_one: list[ArchivedItem] = []
        new_ids = {a.id for a in new}
        touched: set[int] = set()
        for archived in new:
            if archived.key not in plan.hits:
                continue
            cluster_id = clusters[archived.id]
            own_story_elsewhere = cluster_id != archived.id and cluster_id in new_ids
            (one_by_one if own_story_elsewhere or cluster_id in touched else together).append(
                archived
            )
            touched.add(cluster_id)
        window_start = now - timedelta(seconds=self.alerts.cluster_window)
        enqueued = await self._enqueue(tx, together, clusters, plan, window_start, now)
        for archived in one_by_one:
            enqueued += await self._enqueue(tx, [archived], clusters, plan, window_start, now)
        return enqueued

    async def _enqueue(
        self,
        tx: StoreTransaction,
        batch: list[ArchivedItem],
        clusters: Mapping[int, int],
        plan: _Plan,
        window_start: datetime,
        now: datetime,
    ) -> int:
        """Queue the deliveries of items of distinct stories: alert, story update or digest entry."""
        pairs = {
            (watch.id, clusters[a.id])
            for a in batch
            if clusters[a.id] != a.id
            for watch, _due in plan.hits[a.key]
        }
        earlier = await tx.find_cluster_alerts(pairs, window_start)
        deliveries: list[NewDelivery] = []
        for archived in batch:
            cluster_id = clusters[archived.id]
            for watch, due in plan.hits[archived.key]:
                prior = earlier.get((watch.id, cluster_id)) if cluster_id != archived.id else None
                if prior is None:
                    deliveries.append(NewDelivery(watch.id, archived.id, "alert", due))
                elif self.alerts.updates != "off" and watch.mode == "immediate":
                    payload = {"updates_delivery": prior.id}
                    deliveries.append(NewDelivery(watch.id, archived.id, "update", None, payload))
        return await tx.enqueue(deliveries, now=now) if deliveries else 0

    async def _with_article_text(
        self, items: list[Item], unseen: list[Item]
    ) -> tuple[list[Item], list[Item]]:
        """Replace teaser text by the article's main text, for items not seen before."""
        budget = self.poll_settings.fetch_articles_per_poll
        wanted = {id(i) for i in unseen if i.url}
        replaced: dict[int, Item] = {}
        for item in items:
            if id(item) in wanted and budget > 0:
                budget -= 1
                try:
                    text = await fetch_article_text(self.client, item.url)
                except FetchError as err:
                    log.info("article %s not fetched: %s", item.url, err.message)
                    text = None
                if text:
                    replaced[id(item)] = dataclasses.replace(item, content=text)
        return (
            [replaced.get(id(i), i) for i in items],
            [replaced.get(id(i), i) for i in unseen],
        )

    def _next_poll(self, source: SourceRecord, result: FetchResult, now: datetime) -> NextPoll:
        """At most the source's interval away; see bot.app.poll_timing for the exceptions."""
        return after_success(
            now,
            float(source.interval_s),
            published=[i.published for i in result.items if i.published is not None],
            max_age_s=result.max_age,
            poll=self.poll_settings,
            rand=self.rand,
        )

    async def _failed(
        self, source: SourceRecord, now: datetime, error: str, retry_after: float | None
    ) -> PollReport:
        failures = source.consecutive_failures + 1
        next_poll = after_failure(
            now,
            float(source.interval_s),
            failures=failures,
            retry_after_s=retry_after,
            poll=self.poll_settings,
            rand=self.rand,
        )
        next_at, delay = next_poll.at, next_poll.wait_s
        log.warning(
            "source #%s %s failed (%d in a row): %s; next try in %.0fs",
            source.id,
            source.url,
            failures,
            error,
            delay,
        )
        disable = failures >= DISABLE_AFTER_FAILURES
        reason = f"disabled after {failures} failures in a row; last error: {error}"

        outcome = PollOutcome(
            source.id,
            now,
            ok=False,
            status="error",
            next_poll_at=next_at,
            next_poll_reason=next_poll.reason,
            error=error,
        )
        await self.store.write_poll(
            PollWrite(
                source.id, now, lambda _new: outcome, disable_reason=reason if disable else None
            )
        )
        if disable and source.owner and self.notify_owner is not None:
            await self.notify_owner(
                source.owner,
                f"Wirewatch stopped polling {source.name} ({source.url}): "
                f"{reason}. Fix the feed, then remove and add it again.",
            )
        return PollReport(source.id, False, error=error, next_poll_at=next_at, interval_s=delay)


def _item_time(item: Item, now: datetime) -> datetime:
    """When an item happened, never later than now (a feed may claim any date)."""
    published = item.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return min(published, now) if published is not None else now


def _story_time(archived: ArchivedItem, now: datetime) -> datetime:
    """When an archived item happened, never later than now."""
    return _item_time(archived.item, now)
