"""`wirewatch run`: the dispatcher polls, the relay delivers, the chat adapters listen, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.app.build import App, ChatAdapter
from bot.app.dispatch import PollDispatcher
from bot.app.leadership import LEADER_RETRY_S, Leadership
from bot.app.metrics import Metrics
from bot.app.scheduler import PollScheduler
from bot.store import SourceRecord, is_outage

if TYPE_CHECKING:
    from bot.app.web_console import ConsoleServer

__all__ = ["BotRuntime"]

log = logging.getLogger(__name__)

SYNC_EVERY_S = 30.0
PRUNE_EVERY_S = 6 * 3600.0


class BotRuntime:
    """Runs an App: the poll dispatcher, the relay loop, chores, clean shutdown."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = asyncio.Event()
        self.scheduler = PollScheduler()
        self.dispatcher = PollDispatcher(
            app.store,
            self._poll,
            concurrency=app.settings.poll.concurrency,
            clock=app.clock,
        )
        self.dispatcher.wake_at = self.scheduler.dispatch_at
        app.service.on_sources_changed = self._sources_changed
        self.leadership = Leadership(
            app.store.leader_lock(), on_gain=self._became_leader, on_loss=self._lost_leadership
        )
        app.relay.digests = lambda: self.leadership.is_leader
        self._gateway_later: list[ChatAdapter] = []  # leader-only adapters this follower waits for
        self.metrics = Metrics()
        self.metrics.count_unsent = app.store.count_unsent
        self.metrics.leased = lambda: len(self.dispatcher.held)
        self.metrics.leader = lambda: self.leadership.is_leader
        app.pipeline.on_fetched = self.metrics.observe_fetch
        app.relay.on_settled = self.metrics.observe_delivery
        self.web: ConsoleServer | None = None
        self.failure: Exception | None = None
        """What stopped the bot, when it was not a signal (re-raised by `run`)."""

    @property
    def polls(self) -> int:
        """Polls completed since start."""
        return self.dispatcher.polls

    async def _poll(self, source: SourceRecord, fetched: Callable[[], None]) -> datetime | None:
        report = await self.app.pipeline.poll_source(source, fetched=fetched)
        self.metrics.observe_poll(
            ok=report.ok,
            not_modified=report.not_modified,
            new_items=report.new_items,
            matches=report.deliveries,
        )
        return report.next_poll_at

    async def _sources_changed(self) -> None:
        """A source was added or removed from chat: look at the due sources now."""
        self.dispatcher.wake()

    async def _chores(self) -> None:
        try:
            await self.app.refresh_watches()
        except Exception as err:
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("refreshing the watches failed")

    async def _became_leader(self) -> None:
        """Take over the leader's duties: apply the config file, open Discord's gateway."""
        try:
            await self.app.sync_config()
        except Exception as err:
            if not is_outage(err):
                log.exception("applying the config file failed")
        for adapter in list(self._gateway_later):
            try:
                await adapter.open_gateway()  # type: ignore[attr-defined]
            except Exception as err:
                log.exception("opening %s's gateway failed; stopping", type(adapter).__name__)
                self.failure = err  # exit 1: a supervisor starts it again
                self.stop.set()
                return
            self._gateway_later.remove(adapter)

    async def _lost_leadership(self) -> None:
        """Another worker may lead now; one holding a gateway stops rather than answer twice."""
        if any(_leader_only(a) for a in self.app.adapters if a not in self._gateway_later):
            log.error("lost the leader lock while holding Discord's gateway; stopping")
            self.failure = RuntimeError("lost the leader lock while holding Discord's gateway")
            self.stop.set()

    async def _start_adapters(self) -> None:
        """Start each chat adapter; a follower logs a leader-only one (Discord) in to REST."""
        for adapter in self.app.adapters:
            if _leader_only(adapter) and not self.leadership.is_leader:
                await adapter.connect_rest()
                self._gateway_later.append(adapter)
            else:
                await adapter.start()

    async def _prune(self) -> None:
        """Every worker forgets stories past the window; the leader alone prunes the archive."""
        now = self.app.clock()
        self.app.clusters.forget_before(
            now - timedelta(seconds=self.app.settings.alerts.cluster_window)
        )
        if not self.leadership.is_leader:
            return
        archive = self.app.settings.archive
        try:
            items, seen = await self.app.store.prune(
                now,
                retention_days=int(archive.retention // 86400),
                seen_days=int(archive.seen_retention // 86400),
                poll_history_days=archive.poll_history / 86400,
            )
        except Exception as err:
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("pruning the archive failed")
            return
        log.info("pruned %d archived items and %d seen marks", items, seen)

    async def _start_web(self) -> ConsoleServer | None:
        """Start the [web] server (console, /healthz, /readyz) when enabled."""
        if not self.app.settings.web.enabled:
            return None
        from aiohttp import web  # aiohttp loads only for the [web] server (~0.1 s)

        from bot.app.web_console import ConsoleServer, runtime_readiness

        readiness = runtime_readiness(
            self.app,
            lambda: self.scheduler.running,
            gateway_elsewhere=lambda adapter: adapter in self._gateway_later,
        )
        self.web = ConsoleServer(self.app, readiness)
        self.web.server.add_routes([web.get("/metrics", self.metrics.handler)])
        await self.web.start()
        return self.web

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the bot cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Event loops without signal support (Windows: NotImplementedError) or outside the
            # main thread (RuntimeError) keep Python's default handlers: Ctrl-C still stops.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop.set)

    async def _warm_clusters(self) -> None:
        """Fill the story index while the first polls fetch; a failure stops the bot."""
        started = time.perf_counter()
        try:
            count = await self.app.warm_clusters()
        except Exception as err:
            log.error("rebuilding the story index failed; stopping")
            self.failure = err
            self.stop.set()
            return
        log.info("story index: %d archived items in %.1fs", count, time.perf_counter() - started)

    async def run(self) -> None:
        """Run until `stop` is set; deliveries in flight are finished before returning.

        The story index is filled from the archive while the first polls fetch: a poll with
        new items waits for it before its write, so none clusters an item before it is complete.
        """
        app = self.app
        if await self.leadership.start():  # SQLite: refused if another run holds the file
            await app.sync_config()
        else:
            await app.refresh_watches()
        warming = asyncio.create_task(self._warm_clusters(), name="story index")
        await asyncio.sleep(0)  # it holds new items back before any poll starts
        try:
            await self._start_adapters()
            console = await self._start_web()
        except BaseException:
            await _cancel(warming)
            await self.leadership.stop()
            raise
        self.scheduler.start()
        dispatcher = self.dispatcher
        self.scheduler.run_dispatcher(
            dispatcher.dispatch, idle_s=dispatcher.idle_s, first_at=app.clock()
        )
        self.scheduler.every("leases", dispatcher.lease_s / 3, dispatcher.renew_leases)
        self.scheduler.every("sync", SYNC_EVERY_S, self._chores)
        self.scheduler.every("prune", PRUNE_EVERY_S, self._prune)
        self.scheduler.every("leader", LEADER_RETRY_S, self.leadership.tick)
        relay = asyncio.create_task(app.relay.run(self.stop), name="relay")
        log.info(
            "wirewatch running: %d active watches, up to %d polls at once, outputs: %s",
            len(app.index),
            dispatcher.concurrency,
            ", ".join(sorted(app.notifiers)),
        )
        try:
            await self.stop.wait()
        finally:
            log.info("stopping: no new polls; finishing deliveries in flight")
            self.stop.set()
            dispatcher.stop_claiming()
            if console is not None:
                await console.stop()
            await self.scheduler.shutdown()  # lets the chores running finish (briefly)
            await dispatcher.stop()
            await relay
            await _cancel(warming)  # a job of the writer: it finishes, or never starts
            await self.leadership.stop()
        if self.failure is not None:
            raise self.failure


def _leader_only(adapter: ChatAdapter) -> bool:
    """Whether only the leader may hold this adapter's connection (Discord's gateway)."""
    return bool(getattr(adapter, "leader_only", False))


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait until it is over."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
