"""`wirewatch run`: the dispatcher polls, the relay delivers, the chat adapters listen, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.app.build import App
from bot.app.dispatch import PollDispatcher
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
        self.web: ConsoleServer | None = None
        self.failure: Exception | None = None
        """What stopped the bot, when it was not a signal (re-raised by `run`)."""

    @property
    def polls(self) -> int:
        """Polls completed since start."""
        return self.dispatcher.polls

    async def _poll(self, source: SourceRecord) -> datetime | None:
        report = await self.app.pipeline.poll_source(source)
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

    async def _prune(self) -> None:
        archive = self.app.settings.archive
        now = self.app.clock()
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
        self.app.clusters.forget_before(
            now - timedelta(seconds=self.app.settings.alerts.cluster_window)
        )
        log.info("pruned %d archived items and %d seen marks", items, seen)

    async def _start_web(self) -> ConsoleServer | None:
        """Start the [web] server (console, /healthz, /readyz) when enabled."""
        if not self.app.settings.web.enabled:
            return None
        from bot.app.web_console import ConsoleServer, runtime_readiness

        readiness = runtime_readiness(self.app, lambda: self.scheduler.running)
        self.web = ConsoleServer(self.app, readiness)
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

        The story index is filled from the archive while the first polls fetch: polls' writes
        wait for it on the store's writer, so none clusters an item before it is complete.
        """
        app = self.app
        await app.sync_config()
        warming = asyncio.create_task(self._warm_clusters(), name="story index")
        await asyncio.sleep(0)  # its job is on the writer's queue before any poll's write
        try:
            for adapter in app.adapters:
                await adapter.start()
            console = await self._start_web()
        except BaseException:
            await _cancel(warming)
            raise
        self.scheduler.start()
        dispatcher = self.dispatcher
        self.scheduler.run_dispatcher(
            dispatcher.dispatch, idle_s=dispatcher.idle_s, first_at=app.clock()
        )
        self.scheduler.every("leases", dispatcher.lease_s / 3, dispatcher.renew_leases)
        self.scheduler.every("sync", SYNC_EVERY_S, self._chores)
        self.scheduler.every("prune", PRUNE_EVERY_S, self._prune)
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
        if self.failure is not None:
            raise self.failure


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait until it is over."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
