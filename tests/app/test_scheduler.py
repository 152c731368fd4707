"""PollScheduler: the only APScheduler user; a stop lets the jobs running finish."""

from __future__ import annotations

import asyncio

from bot.app.scheduler import PollScheduler


async def test_shutdown_lets_a_running_chore_finish_instead_of_cancelling_it() -> None:
    scheduler = PollScheduler()
    started, release = asyncio.Event(), asyncio.Event()
    outcome: list[str] = []

    async def chore() -> None:
        started.set()
        try:
            await release.wait()
            outcome.append("finished")
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    scheduler.start()
    scheduler.every("chore", 0.01, chore)
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(scheduler.shutdown(grace_s=5))
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert outcome == ["finished"]
    assert not scheduler.running


async def test_shutdown_cancels_a_chore_that_outlasts_the_grace() -> None:
    scheduler = PollScheduler()
    started = asyncio.Event()
    outcome: list[str] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    scheduler.start()
    scheduler.every("stuck", 0.01, stuck)
    await asyncio.wait_for(started.wait(), 5)
    await scheduler.shutdown(grace_s=0.01)
    await asyncio.sleep(0.05)
    assert outcome == ["cancelled"]
