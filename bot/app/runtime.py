"""`wirewatch run`: the scheduler polls, the relay delivers, the chat adapters listen, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from bot.app.build import App
from bot.app.pipeline import PollReport
from bot.app.scheduler import PollScheduler

__all__ = ["BotRuntime"]

log = logging.getLogger(__name__)

SYNC_EVERY_S = 30.0
PRUNE_EVERY_S = 6 * 3600.0


class BotRuntime:
    """Runs an App: one scheduled job per source, the relay loop, chores, clean shutdown."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = asyncio.Event()
        # No jitter of its own: each poll's next time already carries [poll] jitter
        # (bot.app.poll_timing); a second one could push a poll past the interval's promise.
        self.scheduler = PollScheduler(self._poll_job, jitter=0.0)
        self.polls = 0
        app.service.on_sources_changed = self.sync_sources

    async def _poll_job(self, source_id: int) -> PollReport | None:
        try:
            report = await self.app.pipeline.poll_source_id(source_id)
        except Exception:  # the database went away, a bug: log, keep the job, try next time
            log.exception("polling source #%s failed", source_id)
            return None
        self.polls += 1
        if report is None:
            self.scheduler.unschedule_source(source_id)  # removed or disabled meanwhile
        elif report.next_poll_at is not None and not self.stop.is_set():
            self.scheduler.schedule_source(source_id, report.interval_s, report.next_poll_at)
        return report

    async def sync_sources(self) -> None:
        """Give every enabled source a job and drop the jobs of removed or disabled ones."""
        now = self.app.clock()
        sources = {s.id: s for s in await self.app.store.list_sources() if s.enabled}
        scheduled = self.scheduler.scheduled_sources()
        for source_id in scheduled - sources.keys():
            self.scheduler.unschedule_source(source_id)
        for source_id in sources.keys() - scheduled:
            source = sources[source_id]
            first = (
                source.next_poll_at
                if source.next_poll_at and source.next_poll_at > now
                else now + timedelta(seconds=1)
            )
            self.scheduler.schedule_source(source_id, source.interval_s, first)

    async def _chores(self) -> None:
        await self.app.refresh_watches()
        await self.sync_sources()

    async def _prune(self) -> None:
        archive = self.app.settings.archive
        now = self.app.clock()
        items, seen = await self.app.store.prune(
            now,
            retention_days=int(archive.retention // 86400),
            seen_days=int(archive.seen_retention // 86400),
        )
        self.app.clusters.forget_before(
            now - timedelta(seconds=self.app.settings.alerts.cluster_window)
        )
        log.info("pruned %d archived items and %d seen marks", items, seen)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the bot cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Event loops without signal support (Windows: NotImplementedError) or outside the
            # main thread (RuntimeError) keep Python's default handlers: Ctrl-C still stops.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop.set)

    async def run(self) -> None:
        """Run until `stop` is set; deliveries in flight are finished before returning."""
        app = self.app
        await app.sync_config()
        await app.warm_clusters()
        for adapter in app.adapters:
            await adapter.start()
        self.scheduler.start()
        await self.sync_sources()
        self.scheduler.every("sync", SYNC_EVERY_S, self._chores)
        self.scheduler.every("prune", PRUNE_EVERY_S, self._prune)
        relay = asyncio.create_task(app.relay.run(self.stop), name="relay")
        log.info(
            "wirewatch running: %d sources, %d active watches, outputs: %s",
            len(self.scheduler.scheduled_sources()),
            len(app.index),
            ", ".join(sorted(app.notifiers)),
        )
        try:
            await self.stop.wait()
        finally:
            log.info("stopping: finishing deliveries in flight")
            await self.scheduler.shutdown()
            self.stop.set()
            await relay
