"""Many polls written together: the same database as one after the other, in a few statements.

`StoreTransaction.write_polls` shares the statements of the polls a writer batch holds
(`bot.store.poll_writes`). These tests run one scenario both ways, on two databases of the
same backend, and compare every table the writes touch; then count the statements; then
check the writer merges queued polls and still isolates a failing one. Every test also runs
on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.core.item import Item
from bot.store import Store, StoreTransaction, archive
from bot.store.poll_writes import Clustered, PollWrite, PollWritten
from bot.store.records import ArchivedItem, NewDelivery, PollOutcome
from bot.store.schema import deliveries, items, seen, source_boilerplate, source_polls, sources
from bot.store.writer import SerialWriter, Together
from tests.store.conftest import START, Database, Statements, postgres_schema


@pytest.fixture
async def twin(database: Database, tmp_path: Path) -> AsyncIterator[Database]:
    """A second empty database of the same backend as `database`."""
    if database.schema is None:
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'twin.db'}")
        return
    async with postgres_schema("test_twin") as twin:
        yield twin


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


class Stories:
    """A story index in miniature: items whose title starts with the same word share a story,
    whose id is its first item's (what the real index does, without the fingerprints)."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def cluster(self, tx: StoreTransaction, new: list[ArchivedItem]) -> Clustered:
        out = Clustered()
        for archived in new:
            story = archived.item.title.split()[0]
            out.clusters[archived.id] = self.first.setdefault(story, archived.id)
            out.words[archived.id] = (story.lower(),)
        return out


def router(watch_id: int, now: datetime) -> Callable[..., Any]:
    """Route every new item to one watch: an alert, or an update when its story has one."""

    async def route(
        tx: StoreTransaction, new: list[ArchivedItem], clusters: Mapping[int, int]
    ) -> int:
        pairs = [(watch_id, clusters[a.id]) for a in new]
        earlier = await tx.find_cluster_alerts(pairs, START)
        queued: list[NewDelivery] = []
        for archived in new:
            prior = earlier.get((watch_id, clusters[archived.id]))
            if prior is None:
                queued.append(NewDelivery(watch_id, archived.id, "alert", None))
                earlier[(watch_id, clusters[archived.id])] = prior  # type: ignore[assignment]
            else:
                payload = {"updates_delivery": prior.id}
                queued.append(NewDelivery(watch_id, archived.id, "update", None, payload))
        return await tx.enqueue(queued, now=now)

    return route


def ok_poll(
    source_id: int,
    now: datetime,
    fetched: Sequence[Item],
    *,
    stories: Stories,
    watch_id: int,
    etag: str | None = None,
    state: str | None = None,
) -> PollWrite:
    def outcome(new: int) -> PollOutcome:
        return PollOutcome(
            source_id,
            now,
            ok=True,
            status=f"ok: {len(fetched)} items, {new} new",
            next_poll_at=now + timedelta(minutes=5),
            next_poll_reason="interval",
            etag=etag,
            new_items=new,
        )

    return PollWrite(
        source_id,
        now,
        outcome,
        items=fetched,
        cluster=stories.cluster,
        route=router(watch_id, now),
        boilerplate_state=state,
    )


def plain_poll(
    source_id: int, now: datetime, *, status: str, error: str = "", disable: str | None = None
) -> PollWrite:
    outcome = PollOutcome(
        source_id,
        now,
        ok=not error,
        status=status,
        next_poll_at=now + timedelta(minutes=10),
        next_poll_reason="back-off" if error else "interval",
        error=error,
    )
    return PollWrite(source_id, now, lambda _new: outcome, disable_reason=disable)


def item(title: str, url: str) -> Item:
    return Item(title=title, url=url, guid=url)


async def prepare(store: Store) -> tuple[list[int], int]:
    """Four sources (D already has validators) and one watch."""
    ids = [
        (await store.add_source(name, f"https://{name.lower()}.example/rss")).id
        for name in ("A", "B", "C", "D")
    ]
    await store.record_poll(
        ids[3], now=START, ok=True, status="200", next_poll_at=START, etag='"dE"'
    )
    return ids, (await store.add_watch("story", "console")).id


def scenario(ids: list[int], watch_id: int) -> list[PollWrite]:
    """Polls that touch each other: a shared article, a shared story, one source twice, a
    failure, a 304 that keeps its validators, a failure that disables its source."""
    a, b, c, d = ids
    stories = Stories()

    def ok(source: int, minute: float, fetched: list[Item], **kw: Any) -> PollWrite:
        return ok_poll(source, at(minute), fetched, stories=stories, watch_id=watch_id, **kw)

    return [
        ok(
            a,
            1,
            [item("Quake hits coast", "https://x/1"), item("Budget vote", "https://x/2")],
            etag='"a1"',
            state="state-1",
        ),
        ok(
            b,
            2,  # the same article as A's first (not new), and a new item of A's quake story
            [item("Quake copy", "https://x/1"), item("Quake toll rises", "https://y/3")],
        ),
        ok(
            a,
            3,  # A again: one seen item, one new; no etag this time; a newer state
            [item("Budget vote", "https://x/2"), item("Storm warning", "https://x/4")],
            state="state-2",
        ),
        plain_poll(c, at(4), status="error", error="HTTP 500"),
        plain_poll(d, at(5), status="not modified"),
        plain_poll(c, at(6), status="error", error="HTTP 500", disable="too many failures"),
    ]


async def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the poll writes touch, in a stable order."""
    queries = {
        "sources": sa.select(
            sources.c.id,
            sources.c.etag,
            sources.c.last_modified,
            sources.c.next_poll_at,
            sources.c.next_poll_reason,
            sources.c.last_polled_at,
            sources.c.last_ok_at,
            sources.c.last_status,
            sources.c.last_error,
            sources.c.consecutive_failures,
            sources.c.items_count,
            sources.c.enabled,
            sources.c.disabled_reason,
            sources.c.baseline_done,
        ).order_by(sources.c.id),
        "items": sa.select(
            items.c.id,
            items.c.source_id,
            items.c.key,
            items.c.title,
            items.c.cluster_id,
            items.c.story_words,
            items.c.fetched_at,
        ).order_by(items.c.id),
        "seen": sa.select(seen.c.key, seen.c.seen_at).order_by(seen.c.key),
        "source_polls": sa.select(
            source_polls.c.source_id,
            source_polls.c.polled_at,
            source_polls.c.ok,
            source_polls.c.status,
            source_polls.c.error,
            source_polls.c.new_items,
        ).order_by(source_polls.c.polled_at, source_polls.c.source_id),
        "source_boilerplate": sa.select(
            source_boilerplate.c.source_id,
            source_boilerplate.c.state,
            source_boilerplate.c.updated_at,
        ).order_by(source_boilerplate.c.source_id),
        "deliveries": sa.select(
            deliveries.c.id,
            deliveries.c.watch_id,
            deliveries.c.item_id,
            deliveries.c.kind,
            deliveries.c.payload,
        ).order_by(deliveries.c.id),
    }
    async with store._engine.connect() as conn:
        return {
            name: [tuple(row) for row in await conn.execute(query)]
            for name, query in queries.items()
        }


async def test_polls_written_together_leave_what_one_after_the_other_leaves(
    database: Database, twin: Database
) -> None:
    alone, together = await database.open(), await twin.open()
    try:
        ids, watch_id = await prepare(alone)
        assert (ids, watch_id) == await prepare(together)
        one_by_one: list[PollWritten] = []
        for poll in scenario(ids, watch_id):
            async with alone.transaction() as tx:
                one_by_one += await tx.write_polls([poll])
        async with together.transaction() as tx:
            merged = await tx.write_polls(scenario(ids, watch_id))
        assert [(len(w.new), w.deliveries) for w in merged] == [
            (len(w.new), w.deliveries) for w in one_by_one
        ]
        # what the scenario means, so the comparison cannot pass by both being wrong alike
        assert [(len(w.new), w.deliveries) for w in merged] == [
            (2, 2),
            (1, 1),
            (1, 1),
            (0, 0),
            (0, 0),
            (0, 0),
        ]
        expected, got = await dump(alone), await dump(together)
        for table in expected:
            assert got[table] == expected[table], table
        kinds = [row[3] for row in got["deliveries"]]
        assert kinds == ["alert", "alert", "update", "alert"]
        a, _b, c, d = (row for row in got["sources"])
        assert a[1] is None and a[10] == 3  # A's etag cleared by its second poll; 3 items
        assert c[9] == 2 and c[11] is False  # two failures in a row; disabled
        assert d[1] == '"dE"'  # the 304 kept its validators
        assert got["source_boilerplate"] == [(ids[0], "state-2", at(3))]
    finally:
        await alone.close()
        await together.close()


def many_polls(ids: list[int], watch_id: int, count: int, tag: str = "") -> list[PollWrite]:
    stories = Stories()
    return [
        ok_poll(
            ids[n % len(ids)],
            at(n),
            [item(f"Story{n} {k}", f"https://n{n}{tag}.example/{k}") for k in range(20)],
            stories=stories,
            watch_id=watch_id,
            etag=f'"{n}"',
            state=f"state-{n}",
        )
        for n in range(count)
    ]


async def test_a_batch_of_polls_costs_the_same_statements_however_many(store: Store) -> None:
    ids = [(await store.add_source(f"S{n}", f"https://s{n}.example/rss")).id for n in range(12)]
    sent: dict[int, int] = {}
    texts: dict[int, set[str]] = {}
    for count in (2, 12):
        polls = [
            PollWrite(
                poll.source_id,
                poll.now,
                poll.outcome,
                items=poll.items,
                cluster=poll.cluster,
                boilerplate_state=poll.boilerplate_state,
            )  # no routing: no watch matches
            for poll in many_polls(ids[:count], 0, count, tag=f"-{count}")
        ]
        with Statements(store) as statements:
            async with store.transaction() as tx:
                written = await tx.write_polls(polls)
        assert [len(w.new) for w in written] == [20] * count
        sent[count] = len(statements)
        texts[count] = set(statements.sent)
    # seen keys, items, clusters, the sources' check, outcomes, history, boilerplate states
    assert sent[2] <= 8, sent
    if store._engine.dialect.name == "postgresql":  # asyncpg prepares each text once
        assert sent[12] == sent[2] and texts[12] == texts[2]
    else:  # items go 64 rows per statement (SQLite's statement cache keeps bound values)
        per = archive._SQLITE_ITEM_ROWS
        assert sent[12] - sent[2] == math.ceil(12 * 20 / per) - math.ceil(2 * 20 / per), sent


async def test_the_writer_merges_queued_polls_and_a_failing_one_fails_alone(
    store: Store,
) -> None:
    ids = [(await store.add_source(f"S{n}", f"https://s{n}.example/rss")).id for n in range(4)]
    watch_id = (await store.add_watch("story", "console")).id
    polls = many_polls(ids, watch_id, 4)
    assert await store.remove_source(ids[2])  # removed while its poll was running
    release = asyncio.Event()

    async def blocker(tx: StoreTransaction) -> None:
        await release.wait()  # holds the writer: the polls queue into one batch

    held = asyncio.create_task(store.submit(blocker))
    await asyncio.sleep(0.01)
    writes = [asyncio.create_task(store.write_poll(poll)) for poll in polls]
    await asyncio.sleep(0.01)
    release.set()
    await held
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert isinstance(results[2], LookupError)
    assert "removed while polling" in str(results[2])
    for n in (0, 1, 3):
        written = results[n]
        assert isinstance(written, PollWritten)
        assert len(written.new) == 20 and written.deliveries == 20
    counts = await store.counts()
    assert counts["items"] == 60 and counts["pending"] == 60


async def test_the_writer_calls_a_run_once_per_stretch_of_its_jobs(store: Store) -> None:
    writer = SerialWriter(store._engine)
    calls: list[list[str]] = []

    async def run(tx: StoreTransaction, payloads: list[str]) -> list[str]:
        calls.append(payloads)
        return [p.upper() for p in payloads]

    async def plain(tx: StoreTransaction) -> str:
        calls.append(["plain"])
        return "plain"

    release = asyncio.Event()

    async def blocker(tx: StoreTransaction) -> None:
        await release.wait()

    held = asyncio.create_task(writer.submit(blocker))
    await asyncio.sleep(0.01)
    jobs: list[Any] = [Together(run, "a"), Together(run, "b"), plain, Together(run, "c")]
    tasks = [asyncio.create_task(writer.submit(job)) for job in jobs]
    await asyncio.sleep(0.01)
    release.set()
    await held
    assert await asyncio.gather(*tasks) == ["A", "B", "plain", "C"]
    assert calls == [["a", "b"], ["plain"], ["c"]]
    assert writer.commits == 2  # the blocker's, then one for the four jobs
