"""The poll dispatcher: due sources claimed from the database, bounded concurrency, no busy loop.

A real store on a SQLite file; the clock and the timer are the test's, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app.dispatch import PollDispatcher
from bot.store import SourceRecord, Store
from tests.app.harness import START, Clock

_polls: list[FakePolls] = []


class FakePolls:
    """Polls that wait for the test to let them finish, then record their outcome."""

    def __init__(self, store: Store, clock: Clock, interval_s: float = 300) -> None:
        self.store = store
        self.clock = clock
        self.interval_s = interval_s
        self.started: list[int] = []
        self.release: dict[int, asyncio.Event] = {}
        self.running = 0
        self.waiting: list[int] = []
        self.most_at_once = 0
        """Most polls fetching at once (started, not yet at their write)."""
        self.writes_wait: asyncio.Event | None = None
        """Set: a poll's write waits for this event (a busy single writer)."""
        self.writing = 0
        self.fetching = 0
        _polls.append(self)

    @property
    def parked(self) -> int:
        """Polls waiting for the test to let them finish or write (not those just let go)."""
        writes_held = self.writes_wait is not None and not self.writes_wait.is_set()
        return sum(1 for i in self.waiting if not self.release[i].is_set()) + (
            self.writing if writes_held else 0
        )

    def finish(self, *source_ids: int) -> None:
        for source_id in source_ids:
            self.release.setdefault(source_id, asyncio.Event()).set()

    async def __call__(self, source: SourceRecord, fetched: Callable[[], None]) -> datetime:
        self.started.append(source.id)
        self.running += 1
        self.fetching += 1
        self.most_at_once = max(self.most_at_once, self.fetching)
        try:
            self.waiting.append(source.id)
            try:
                await self.release.setdefault(source.id, asyncio.Event()).wait()
            finally:
                self.waiting.remove(source.id)
            self.release.pop(source.id)
            self.fetching -= 1
            fetched()  # done fetching: what is left is its write
            if self.writes_wait is not None:
                self.writing += 1
                try:
                    await self.writes_wait.wait()
                finally:
                    self.writing -= 1
            now = self.clock()
            next_at = now + timedelta(seconds=self.interval_s)
            await self.store.record_poll(
                source.id, now=now, ok=True, status="ok", next_poll_at=next_at
            )
            return next_at
        finally:
            self.running -= 1


class Timer:
    """Stands for the scheduler: remembers when the dispatcher asked to run next."""

    def __init__(self) -> None:
        self.asked: list[datetime] = []

    def __call__(self, when: datetime) -> None:
        self.asked.append(when)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    try:
        yield opened
    finally:
        await opened.close()


async def add_sources(store: Store, count: int) -> list[int]:
    return [(await store.add_source(f"S{n}", f"https://s{n}.example/rss")).id for n in range(count)]


_made: list[PollDispatcher] = []


@pytest.fixture(autouse=True)
async def stop_dispatchers() -> AsyncIterator[None]:
    yield
    while _made:
        await _made.pop().stop(grace_s=0)
    _polls.clear()


def dispatcher_for(
    store: Store, polls: FakePolls, clock: Clock, *, concurrency: int
) -> tuple[PollDispatcher, Timer]:
    dispatcher = PollDispatcher(store, polls, concurrency=concurrency, clock=clock)
    timer = Timer()
    dispatcher.wake_at = timer
    _made.append(dispatcher)
    return dispatcher, timer


async def settle() -> None:
    """Wait until every poll started is parked waiting for the test (their writes are real I/O)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        running = sum(len(d._running) for d in _made)
        if running == sum(p.parked for p in _polls):
            break
        await asyncio.sleep(0.001)
    for _ in range(5):  # and let the dispatcher's own bookkeeping run
        await asyncio.sleep(0)


async def test_at_most_concurrency_polls_run_and_finishing_ones_start_the_next(store):
    clock = Clock()
    ids = await add_sources(store, 10)
    polls = FakePolls(store, clock)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=3)
    await dispatcher.dispatch()
    await settle()
    assert polls.started == ids[:3]  # oldest first, three at once
    assert dispatcher.held == set(ids[:6])  # three running and three claimed, ready to start
    polls.finish(ids[0], ids[1])
    await settle()
    assert polls.started == ids[:5]
    assert timer.asked[-1] == clock.now  # ready ran low with more due: look again now
    await dispatcher.dispatch()
    await settle()
    polls.finish(*ids)
    for _ in range(5):
        await dispatcher.dispatch()
        await settle()
        polls.finish(*ids)
    await settle()
    assert sorted(polls.started) == ids
    assert polls.most_at_once == 3
    assert dispatcher.held == set()


async def test_a_poll_waiting_for_its_write_gives_its_slot_to_the_next_fetch(store):
    clock = Clock()
    ids = await add_sources(store, 8)
    polls = FakePolls(store, clock)
    polls.writes_wait = asyncio.Event()  # the single writer is busy
    dispatcher, _timer = dispatcher_for(store, polls, clock, concurrency=2)
    await dispatcher.dispatch()
    await settle()
    assert polls.started == ids[:2]
    polls.finish(ids[0], ids[1])  # fetched; their writes wait
    await settle()
    assert polls.started == ids[:4] and polls.writing == 2  # two more fetch meanwhile
    polls.finish(ids[2], ids[3])
    await settle()
    # twice `concurrency` in flight: nothing more starts until a write is done
    assert polls.started == ids[:4] and polls.writing == 4
    assert dispatcher.in_flight == 4
    polls.writes_wait.set()
    for _ in range(4):
        await settle()
        await dispatcher.dispatch()
        await settle()
        polls.finish(*ids)
    await settle()
    assert sorted(polls.started) == ids
    assert polls.most_at_once == 2
    assert dispatcher.held == set()


async def test_nothing_due_sleeps_until_the_earliest_next_poll_not_in_a_loop(store):
    clock = Clock()
    (first, second) = await add_sources(store, 2)
    polls = FakePolls(store, clock)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=5)
    await store.record_poll(
        first, now=START, ok=True, status="ok", next_poll_at=START + timedelta(seconds=40)
    )
    await store.record_poll(
        second, now=START, ok=True, status="ok", next_poll_at=START + timedelta(seconds=20)
    )
    await dispatcher.dispatch()
    assert polls.started == []
    assert timer.asked == [START + timedelta(seconds=20)]
    clock.advance(seconds=20)
    await dispatcher.dispatch()
    await settle()
    assert polls.started == [second]
    polls.finish(second)
    await settle()
    await dispatcher.dispatch()
    assert timer.asked[-1] == START + timedelta(seconds=40)
    await store.record_poll(
        first, now=START, ok=True, status="ok", next_poll_at=START + timedelta(hours=1)
    )
    await dispatcher.dispatch()  # never sleeps longer than idle_s (sources added by the CLI)
    assert timer.asked[-1] == clock.now + timedelta(seconds=dispatcher.idle_s)


async def test_with_no_source_it_sleeps_the_idle_time_and_wakes_when_one_is_added(store):
    clock = Clock()
    polls = FakePolls(store, clock)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=5)
    await dispatcher.dispatch()
    assert timer.asked == [START + timedelta(seconds=dispatcher.idle_s)]
    await add_sources(store, 1)
    dispatcher.wake()  # what the runtime does when a source is added from chat
    assert timer.asked[-1] == START


async def test_a_wake_during_a_dispatch_runs_another_dispatch_after_it(store):
    clock = Clock()
    polls = FakePolls(store, clock)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=5)
    claim = store.claim_due_sources

    async def slow_claim(*args, **kwargs):
        dispatcher.wake()  # a source added while the dispatcher is claiming
        return await claim(*args, **kwargs)

    store.claim_due_sources = slow_claim  # type: ignore[method-assign]
    await dispatcher.dispatch()
    assert timer.asked == [START]


async def test_a_crashed_process_claims_come_back_after_the_lease(store):
    clock = Clock()
    (source,) = await add_sources(store, 1)
    polls = FakePolls(store, clock)
    crashed, _ = dispatcher_for(store, polls, clock, concurrency=5)
    await crashed.dispatch()  # claimed, then the process dies: nothing renews or records
    await settle()
    assert polls.started == [source]
    restarted, _ = dispatcher_for(store, FakePolls(store, clock), clock, concurrency=5)
    await restarted.dispatch()
    assert restarted.held == set()
    clock.advance(seconds=restarted.lease_s)
    await restarted.dispatch()
    assert restarted.held == {source}


async def test_renewed_leases_keep_running_polls_from_being_claimed_again(store):
    clock = Clock()
    (source,) = await add_sources(store, 1)
    polls = FakePolls(store, clock)
    dispatcher, _ = dispatcher_for(store, polls, clock, concurrency=5)
    await dispatcher.dispatch()
    await settle()
    for _ in range(4):  # a slow poll: a minute goes by, the lease renewed every 5 s or so
        clock.advance(seconds=dispatcher.lease_s / 3)
        await dispatcher.renew_leases()
    assert await store.claim_due_sources(clock.now) == []
    polls.finish(source)
    await settle()
    (recorded,) = await store.list_sources()
    assert recorded.next_poll_at == clock.now + timedelta(seconds=polls.interval_s)


async def test_stop_claims_nothing_more_and_hands_back_unfinished_polls(store):
    clock = Clock()
    ids = await add_sources(store, 6)
    polls = FakePolls(store, clock)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=2)
    await dispatcher.dispatch()
    await settle()
    polls.finish(ids[0])  # commits whole before the stop
    await settle()
    asked = len(timer.asked)
    stopping = asyncio.create_task(dispatcher.stop(grace_s=0.05))
    await settle()
    await dispatcher.dispatch()  # the timer fires once more: nothing is claimed
    dispatcher.wake()
    assert len(timer.asked) == asked
    await stopping
    by_id = {s.id: s for s in await store.list_sources()}
    assert by_id[ids[0]].next_poll_at == clock.now + timedelta(seconds=polls.interval_s)
    # the poll cut short and the claimed ones that never started are due again at once
    assert [by_id[i].next_poll_at for i in ids[1:4]] == [clock.now] * 3
    assert [by_id[i].next_poll_at for i in ids[4:]] == [None, None]  # never claimed
    assert dispatcher.held == set()


async def test_a_source_due_again_while_its_poll_runs_is_polled_again_after(store):
    clock = Clock()
    (source,) = await add_sources(store, 1)
    polls = FakePolls(store, clock, interval_s=1)
    dispatcher, _ = dispatcher_for(store, polls, clock, concurrency=2)
    await dispatcher.dispatch()
    await settle()
    clock.advance(seconds=dispatcher.lease_s)  # the lease ran out (the loop was too busy)
    await dispatcher.dispatch()  # claimed again while the first poll still runs
    assert polls.started == [source]
    polls.finish(source)
    await settle()
    assert polls.started == [source, source]  # one after the other, never two at once
    assert polls.most_at_once == 1
    polls.finish(source)
    await settle()


async def test_a_poll_that_finishes_during_a_dispatch_is_not_forgotten(store):
    """The dispatch asked the database before the poll recorded its next time: merge the two."""
    clock = Clock()
    polls = FakePolls(store, clock, interval_s=20)
    dispatcher, timer = dispatcher_for(store, polls, clock, concurrency=2)
    await dispatcher.dispatch()  # nothing yet: planned in 30 s
    (source,) = await add_sources(store, 1)
    clock.advance(seconds=dispatcher.idle_s)  # the timer fires
    next_poll_due = store.next_poll_due

    async def poll_finishes_meanwhile(now, *, exclude=()):
        answer = await next_poll_due(now, exclude=exclude)  # the source is still held: None
        polls.finish(source)
        while dispatcher.held:
            await asyncio.sleep(0.001)
        return answer

    store.next_poll_due = poll_finishes_meanwhile  # type: ignore[method-assign]
    await dispatcher.dispatch()
    assert polls.started == [source]
    assert timer.asked[-1] == clock.now + timedelta(seconds=20)  # not the 30 s idle sleep


async def test_a_stop_during_a_claim_hands_back_what_the_claim_took(store):
    clock = Clock()
    ids = await add_sources(store, 3)
    polls = FakePolls(store, clock)
    dispatcher, _ = dispatcher_for(store, polls, clock, concurrency=2)
    claim = store.claim_due_sources
    claiming, go_on = asyncio.Event(), asyncio.Event()

    async def slow_claim(*args, **kwargs):
        claiming.set()
        await go_on.wait()
        return await claim(*args, **kwargs)

    store.claim_due_sources = slow_claim  # type: ignore[method-assign]
    dispatch = asyncio.create_task(dispatcher.dispatch())
    await claiming.wait()
    stopping = asyncio.create_task(dispatcher.stop(grace_s=5))
    await asyncio.sleep(0)
    go_on.set()
    await stopping
    await dispatch
    assert polls.started == []
    assert [s.next_poll_at for s in await store.list_sources()] == [clock.now] * len(ids)
