"""The single write path: concurrent writers queue instead of racing for SQLite's lock.

SQLite's busy timeout is set to zero here, so any two transactions of the process that tried
to write at the same time would fail at once with "database is locked" (the failure of
`wirewatch run` with 1,000 sources). Every test also runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from bot.core.item import Item
from bot.store import Store, StoreTransaction
from bot.store import engine as store_engine
from tests.store.conftest import START, Clock, Database


@pytest.fixture
async def impatient_store(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Store]:
    """A store whose SQLite connections never wait for a lock held by another connection."""
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 0)
    opened = await database.open(clock)
    try:
        yield opened
    finally:
        await opened.close()


def items_of(source: int, count: int) -> list[Item]:
    return [
        Item(title=f"Story {source}-{n}", url=f"https://s{source}.example/{n}", guid=f"{n}")
        for n in range(count)
    ]


async def test_many_concurrent_polls_on_one_file_never_see_a_lock_error(
    impatient_store: Store,
) -> None:
    store = impatient_store
    sources = [await store.add_source(f"S{n}", f"https://s{n}.example/rss") for n in range(40)]
    watch = await store.add_watch("story", "console")
    rand = random.Random(7)

    async def poll(source_id: int) -> int:
        """What a poll writes: items, seen keys, clusters, deliveries and its outcome."""
        await asyncio.sleep(rand.random() / 100)

        async def write(tx: StoreTransaction) -> int:
            new = await tx.add_new_items(source_id, items_of(source_id, 25), now=START)
            await tx.set_clusters({a.id: a.id for a in new})
            await asyncio.sleep(0)  # other tasks run while the transaction is open
            await tx.find_cluster_alerts([(watch.id, a.id) for a in new], START)
            await tx.record_poll(source_id, now=START, ok=True, status="ok", next_poll_at=START)
            return len(new)

        return await store.submit(write)

    async def chat_user(n: int) -> None:
        await asyncio.sleep(rand.random() / 100)
        added = await store.add_watch(f"rule {n}", "console")
        await store.set_watch_paused(added.id, True, "busy")
        await store.claim_due_sources(START, limit=2)

    async def reader() -> None:
        for _ in range(5):
            await store.list_sources()
            await store.search_archive(["story"], limit=20)
            await asyncio.sleep(0)

    results = await asyncio.gather(
        *(poll(s.id) for s in sources),
        *(chat_user(n) for n in range(20)),
        *(reader() for _ in range(10)),
    )
    assert results[: len(sources)] == [25] * len(sources)
    counts = await store.counts()
    assert counts["items"] == 40 * 25
    assert counts["watches"] == 21
    assert all(s.last_status == "ok" for s in await store.list_sources())


async def test_a_failing_job_is_rolled_back_alone_and_runs_its_undo_hooks(store: Store) -> None:
    source = await store.add_source("S", "https://s.example/rss")
    undone: list[str] = []
    release = asyncio.Event()

    async def blocker(tx: StoreTransaction) -> None:
        await release.wait()  # holds the writer, so the next three queue into one batch

    def job(name: str, *, fail: bool):
        async def write(tx: StoreTransaction) -> str:
            tx.on_rollback(lambda: undone.append(name))
            await tx.add_new_items(source.id, [Item(title=name, guid=name)], now=START)
            if fail:
                raise LookupError(f"{name} failed")
            return name

        return write

    first = asyncio.create_task(store.submit(blocker))
    await asyncio.sleep(0.01)
    tasks = [
        asyncio.create_task(store.submit(job(name, fail=name == "bad")))
        for name in ("good1", "bad", "good2")
    ]
    await asyncio.sleep(0.01)
    release.set()
    await first
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == "good1" and results[2] == "good2"
    assert isinstance(results[1], LookupError)
    # the batch stopped at "bad" and was rolled back (good1 and bad undone), then each job
    # ran alone: only "bad" failed again
    assert sorted(undone) == ["bad", "bad", "good1"]
    titles = sorted(a.item.title for a in await store.recent_items(START))
    assert titles == ["good1", "good2"]


async def test_a_cancelled_caller_never_leaves_half_a_job(database: Database) -> None:
    store = await database.open()
    source = await store.add_source("S", "https://s.example/rss")
    started = asyncio.Event()
    release = asyncio.Event()

    async def write(tx: StoreTransaction) -> None:
        await tx.add_new_items(source.id, [Item(title="first", guid="1")], now=START)
        started.set()
        await release.wait()
        await tx.record_poll(source.id, now=START, ok=True, status="whole", next_poll_at=START)

    caller = asyncio.create_task(store.submit(write))
    await started.wait()
    caller.cancel()  # the job runs on the writer's task: it still commits whole
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await store.close()  # waits for the writer
    reopened = await database.open(migrate=False)
    try:
        (polled,) = await reopened.list_sources()
        assert polled.last_status == "whole"
        assert len(await reopened.recent_items(START)) == 1
    finally:
        await reopened.close()


async def test_a_write_inside_the_same_tasks_transaction_is_refused_not_deadlocked(
    store: Store,
) -> None:
    async with store.transaction():
        with pytest.raises(RuntimeError, match="would wait for itself"):
            await store.add_watch("algeria", "console")
