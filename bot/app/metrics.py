"""`/metrics`: what one worker did, in the Prometheus text format (prometheus-client).

Each `Metrics` has its own `CollectorRegistry` (never the library's global one), so several apps
in one process (tests) keep separate counts. Counters and histograms are fed as things happen
(`observe_*`, called by the runtime, the pipeline and the relay); the gauges are read when
scraped (`refresh`).

| metric | what |
|---|---|
| `wirewatch_polls_total{outcome}` | polls finished here: `ok`, `not_modified`, `error` |
| `wirewatch_fetch_seconds` | time to fetch one source (request, redirects, parse) |
| `wirewatch_items_total` | new items archived by this worker's polls |
| `wirewatch_matches_total` | deliveries queued by those polls (an item matching a watch, or an update) |
| `wirewatch_deliveries_total{destination,status}` | messages settled here, by destination kind (`slack`, `discord`, `jsonl`, …) and `sent`, `retry`, `failed`, `refused` |
| `wirewatch_delivery_latency_seconds` | item first seen → its alert delivered (digests left out: they wait for their time) |
| `wirewatch_outbox_pending` | deliveries waiting in the outbox, all workers together |
| `wirewatch_sources_leased` | sources this worker holds a poll lease on |
| `wirewatch_is_leader` | 1 on the leader (digests, pruning, config sync, Discord's gateway) |
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Metrics"]

log = logging.getLogger(__name__)

FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Metrics:
    """One worker's metrics and the `/metrics` handler."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("wirewatch_polls", "Polls finished", ["outcome"], registry=r)
        self.fetch_seconds = Histogram(
            "wirewatch_fetch_seconds", "Time to fetch one source", buckets=FETCH_BUCKETS, registry=r
        )
        self.items = Counter("wirewatch_items", "New items archived", registry=r)
        self.matches = Counter("wirewatch_matches", "Deliveries queued by polls", registry=r)
        self.deliveries = Counter(
            "wirewatch_deliveries",
            "Messages settled, by destination kind and outcome",
            ["destination", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "wirewatch_delivery_latency_seconds",
            "Item first seen to its alert delivered (immediate alerts and updates)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox_pending = Gauge(
            "wirewatch_outbox_pending", "Deliveries waiting in the outbox", registry=r
        )
        self.sources_leased = Gauge(
            "wirewatch_sources_leased", "Sources this worker holds a lease on", registry=r
        )
        self.is_leader = Gauge("wirewatch_is_leader", "1 if this worker is the leader", registry=r)
        for outcome in ("ok", "not_modified", "error"):
            self.polls.labels(outcome)  # present (at 0) from the start, for rate() and alerts
        self.count_unsent: Callable[[], Awaitable[int]] | None = None
        self.leased: Callable[[], int] = lambda: 0
        self.leader: Callable[[], bool] = lambda: True

    def observe_poll(self, *, ok: bool, not_modified: bool, new_items: int, matches: int) -> None:
        """One poll finished."""
        outcome = "error" if not ok else "not_modified" if not_modified else "ok"
        self.polls.labels(outcome).inc()
        self.items.inc(max(0, new_items))
        self.matches.inc(max(0, matches))

    def observe_fetch(self, seconds: float) -> None:
        """One source fetched (or failed to be)."""
        self.fetch_seconds.observe(seconds)

    def observe_delivery(
        self, destination: str, status: str, first_seen: Iterable[datetime], now: datetime
    ) -> None:
        """One message settled; `first_seen` of its items when it was sent (else empty)."""
        kind = destination.partition(":")[0] or "unknown"
        self.deliveries.labels(kind, status).inc()
        for seen in first_seen:
            self.latency.observe(max(0.0, (now - seen).total_seconds()))

    async def refresh(self) -> None:
        """Read the gauges (outbox, leases, leadership) now."""
        self.sources_leased.set(self.leased())
        self.is_leader.set(1 if self.leader() else 0)
        if self.count_unsent is not None:
            try:
                self.outbox_pending.set(await self.count_unsent())
            except Exception:  # the database is away: the last value stays
                log.debug("counting the outbox failed", exc_info=True)

    def render(self) -> bytes:
        """The text exposition of every metric."""
        return generate_latest(self.registry)

    async def handler(self, request: web.Request) -> web.Response:
        """GET /metrics."""
        from aiohttp import web  # loaded with the [web] server, not by every start

        await self.refresh()
        return web.Response(
            body=self.render(),
            headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
        )
