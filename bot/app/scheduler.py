"""The only APScheduler import: one interval job per source, digest times, maintenance jobs."""

from __future__ import annotations

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
    else:
        trigger = CronTrigger(hour=parsed.hour, minute=parsed.minute, timezone=zone)
    fire = trigger.get_next_fire_time(None, now.astimezone(zone) + timedelta(seconds=1))
    return fire.astimezone(UTC) if fire is not None else None


def _source_job_id(source_id: int) -> str:
    return f"source:{source_id}"


class PollScheduler:
    """Owns the AsyncIOScheduler: a job per source (interval with jitter) plus periodic chores."""

    def __init__(self, poll: Callable[[int], Awaitable[object]], *, jitter: float = 0.1) -> None:
        self._poll = poll
        self._jitter = jitter
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )

    @property
    def running(self) -> bool:
        """True between start() and shutdown()."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start firing jobs (call from inside the running event loop)."""
        self._scheduler.start()

    async def shutdown(self) -> None:
        """Stop firing new jobs; jobs already running finish on their own tasks."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule_source(self, source_id: int, interval_s: float, first_at: datetime) -> None:
        """(Re)schedule a source's poll job: first at `first_at`, then every `interval_s` seconds."""
        interval_s = max(1.0, interval_s)
        trigger = IntervalTrigger(
            seconds=interval_s,
            start_date=first_at,
            jitter=max(0, int(interval_s * self._jitter)) or None,
            timezone=UTC,
        )
        job_id = _source_job_id(source_id)
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.reschedule_job(job_id, trigger=trigger)
            return
        self._scheduler.add_job(
            self._poll,
            trigger,
            args=[source_id],
            id=job_id,
            replace_existing=True,
            name=f"poll source #{source_id}",
        )

    def unschedule_source(self, source_id: int) -> None:
        """Remove a source's job, if any."""
        job = self._scheduler.get_job(_source_job_id(source_id))
        if job is not None:
            job.remove()

    def scheduled_sources(self) -> set[int]:
        """Ids of the sources that have a job."""
        return {
            int(job.id.split(":", 1)[1])
            for job in self._scheduler.get_jobs()
            if job.id.startswith("source:")
        }

    def every(self, name: str, seconds: float, func: Callable[[], Awaitable[object]]) -> None:
        """A periodic chore (prune, refresh watches, sync sources)."""
        self._scheduler.add_job(
            func,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=f"chore:{name}",
            replace_existing=True,
            name=name,
            next_run_time=datetime.now(UTC) + timedelta(seconds=seconds),
        )
