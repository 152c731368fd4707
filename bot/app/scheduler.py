"""The only APScheduler import: the poll dispatcher's timer, digest times, maintenance jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.digest import parse_digest_mode

__all__ = ["PollScheduler", "next_digest_at"]

log = logging.getLogger(__name__)


def next_digest_at(mode: str, tz: str, now: datetime) -> datetime | None:
    """When the digest containing an item matched at `now` goes out (None for immediate)."""
    parsed = parse_digest_mode(mode, tz)
    if parsed.kind == "immediate":
        return None
    zone = ZoneInfo(parsed.tz)
    if parsed.kind == "hourly":
        trigger = CronTrigger(minute=0, timezone=zone)
    elif parsed.kind == "weekly":
        trigger = CronTrigger(
            day_of_week=parsed.weekday, hour=parsed.hour, minute=parsed.minute, timezone=zone
        )
    else:
        trigger = CronTrigger(hour=parsed.hour, minute=parsed.minute, timezone=zone)
    fire = trigger.get_next_fire_time(None, now.astimezone(zone) + timedelta(seconds=1))
    return fire.astimezone(UTC) if fire is not None else None


DISPATCH_JOB = "dispatch"


class PollScheduler:
    """Owns the AsyncIOScheduler: the poll dispatcher's timer plus periodic chores.

    Which sources to poll, and when, lives in the database; the dispatcher job claims them
    (`bot.app.dispatch`). This class only says when that job runs next.
    """

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        self._running: set[asyncio.Task[object]] = set()

    @property
    def running(self) -> bool:
        """True between start() and shutdown()."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start firing jobs (call from inside the running event loop)."""
        self._scheduler.start()

    async def shutdown(self, grace_s: float = 2.0) -> None:
        """Fire no new job; give the jobs running `grace_s` to finish, then cancel them.

        (APScheduler's asyncio executor cancels running jobs at shutdown and logs each as an
        error, so they are waited for first.)
        """
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=grace_s)
        self._scheduler.shutdown(wait=False)

    def _tracked(self, func: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        """Wrap a job so that shutdown() can wait for it."""

        async def job() -> object:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                return await func()
            finally:
                if task is not None:
                    self._running.discard(task)

        return job

    def run_dispatcher(
        self, dispatch: Callable[[], Awaitable[object]], *, idle_s: float, first_at: datetime
    ) -> None:
        """Run `dispatch` at `first_at`, then every `idle_s` seconds unless moved by `dispatch_at`."""
        self._scheduler.add_job(
            self._tracked(dispatch),
            IntervalTrigger(seconds=idle_s, timezone=UTC),
            id=DISPATCH_JOB,
            replace_existing=True,
            name="dispatch due polls",
            next_run_time=first_at,
            misfire_grace_time=None,  # however late (a busy loop), it must run
            max_instances=4,  # a wake while it runs is not dropped: the dispatcher merges them
        )

    def dispatch_at(self, when: datetime) -> None:
        """Move the dispatcher's next run to `when` (now, to wake it)."""
        if not self._scheduler.running or self._scheduler.get_job(DISPATCH_JOB) is None:
            return
        self._scheduler.modify_job(DISPATCH_JOB, next_run_time=when)

    def every(self, name: str, seconds: float, func: Callable[[], Awaitable[object]]) -> None:
        """A periodic chore (prune, refresh watches, renew poll leases)."""
        self._scheduler.add_job(
            self._tracked(func),
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=f"chore:{name}",
            replace_existing=True,
            name=name,
            next_run_time=datetime.now(UTC) + timedelta(seconds=seconds),
        )
