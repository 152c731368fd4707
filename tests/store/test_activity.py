"""The console's read side, on SQLite and PostgreSQL: matches per day, poll history, pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bot.core.item import Item
from bot.store import NewDelivery, Store, WatchScope, migrate
from tests.store.conftest import Clock, Database
from tests.store.test_migrations import _database_at_0001_with_data

DAY0 = date(2026, 3, 1)


async def _item(store: Store, source_id: int, n: int, now: datetime) -> int:
    async with store.transaction() as tx:
        (archived,) = await tx.add_new_items(
            source_id, [Item(title=f"Story {n}", url=f"https://wire.example/{n}")], now=now
        )
    return archived.id


async def _alert(store: Store, watch_id: int, item_id: int, now: datetime) -> None:
    async with store.transaction() as tx:
        await tx.enqueue([NewDelivery(watch_id, item_id)], now=now)


async def test_matches_per_day_counts_alerts_by_utc_day(store: Store, clock: Clock) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    w1 = await store.add_watch("algeria", "console")
    w2 = await store.add_watch("visa", "console")
    quiet = await store.add_watch("nothing", "console")
    moments = [
        (w1.id, datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),  # first second of day 0
        (w1.id, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)),
        (w1.id, datetime(2026, 3, 3, 12, 0, tzinfo=UTC)),
        (w2.id, datetime(2026, 3, 3, 1, 0, tzinfo=UTC)),
        (w1.id, datetime(2026, 2, 28, 23, 59, tzinfo=UTC)),  # the day before the window
    ]
    for n, (wid, when) in enumerate(moments):
        await _alert(store, wid, await _item(store, source.id, n, when), when)
    # an update is not a match
    async with store.transaction() as tx:
        await tx.enqueue([NewDelivery(w2.id, 1, kind="update")], now=moments[0][1])

    counts = await store.matches_per_day([w1.id, w2.id, quiet.id], DAY0, 4)

    assert counts == {w1.id: [2, 0, 1, 0], w2.id: [0, 0, 1, 0], quiet.id: [0, 0, 0, 0]}
    assert await store.matches_per_day([], DAY0, 4) == {}


async def test_poll_history_records_each_poll_and_counts_per_day(
    store: Store, clock: Clock
) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    other = await store.add_source("Other", "https://other.example/rss")
    base = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    outcomes = [(0, True), (1, False), (25, True), (26, False), (27, False)]  # hours
    for hours, ok in outcomes:
        when = base + timedelta(hours=hours)
        await store.record_poll(
            source.id,
            now=when,
            ok=ok,
            status="200 OK" if ok else "HTTP 503",
            error="" if ok else "the server answered 503",
            next_poll_at=when + timedelta(minutes=5),
            new_items=2 if ok else 0,
        )
    await store.record_poll(other.id, now=base, ok=True, status="200 OK", next_poll_at=base)

    history = await store.poll_history(source.id, limit=3)
    assert [(p.polled_at, p.ok) for p in history] == [
        (base + timedelta(hours=27), False),
        (base + timedelta(hours=26), False),
        (base + timedelta(hours=25), True),
    ]
    assert history[0].error == "the server answered 503"
    assert history[2].new_items == 2
    assert await store.polls_per_day(source.id, DAY0, 3) == [(1, 1), (1, 2), (0, 0)]
    since = base + timedelta(hours=24)
    assert await store.poll_counts([source.id, other.id], since) == {
        source.id: (1, 2),
        other.id: (0, 0),
    }


async def test_old_poll_history_is_pruned_and_goes_with_its_source(
    store: Store, clock: Clock
) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    old = datetime(2026, 2, 20, tzinfo=UTC)
    recent = datetime(2026, 2, 28, tzinfo=UTC)
    for when in (old, recent):
        await store.record_poll(source.id, now=when, ok=True, status="ok", next_poll_at=when)

    await store.prune(datetime(2026, 3, 1, tzinfo=UTC), poll_history_days=7)

    assert [p.polled_at for p in await store.poll_history(source.id)] == [recent]
    assert await store.remove_source(source.id)
    assert await store.poll_history(source.id) == []


async def test_watch_page_filters_by_scope_and_text_and_pages(store: Store) -> None:
    mine = [await store.add_watch(f"rule {n}", "slack:C1", owner="slack:U1") for n in range(5)]
    dm = await store.add_watch("to me", "slack:@U1", owner="slack:U2")
    others = await store.add_watch("50%_off rule", "slack:C2", owner="slack:U3")
    scope = WatchScope("slack:U1", "slack:@U1")

    page, total = await store.watch_page(scope, offset=2, limit=2)
    assert total == 6
    assert [w.id for w in page] == [mine[2].id, mine[3].id]
    everything, total_all = await store.watch_page(None, limit=50)
    assert total_all == 7 and everything[-1].id == others.id
    assert [w.id for w in (await store.watch_page(scope, text="TO ME"))[0]] == [dm.id]
    found, _ = await store.watch_page(None, text="50%_")  # LIKE wildcards are literal
    assert [w.id for w in found] == [others.id]
    assert (await store.watch_page(None, text="0%o"))[1] == 0


async def test_source_page_lists_failing_sources_first(store: Store) -> None:
    ok = await store.add_source("Fine", "https://fine.example/rss")
    bad = await store.add_source("Broken", "https://broken.example/rss")
    worse = await store.add_source("Worse", "https://worse.example/rss")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for source, failures in ((bad, 1), (worse, 3)):
        for _ in range(failures):
            await store.record_poll(
                source.id, now=now, ok=False, status="HTTP 500", error="x", next_poll_at=now
            )

    page, total = await store.source_page(limit=2)

    assert total == 3
    assert [s.id for s in page] == [worse.id, bad.id]
    assert [s.id for s in (await store.source_page(offset=2, limit=2))[0]] == [ok.id]


async def test_recent_alerts_and_watch_matches_newest_first(store: Store) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    mine = await store.add_watch("algeria", "slack:@U1", owner="slack:U1")
    theirs = await store.add_watch("visa", "slack:C9", owner="slack:U9")
    when = datetime(2026, 3, 1, tzinfo=UTC)
    first = await _item(store, source.id, 1, when)
    second = await _item(store, source.id, 2, when)
    await _alert(store, mine.id, first, when)
    await _alert(store, theirs.id, second, when)
    await _alert(store, mine.id, second, when)

    everyone = await store.recent_alerts(None, limit=10)
    assert [(a.watch.id, a.title) for a in everyone] == [
        (mine.id, "Story 2"),
        (theirs.id, "Story 2"),
        (mine.id, "Story 1"),
    ]
    assert everyone[0].watch.destination == "slack:@U1"
    assert everyone[0].delivery.status == "pending"
    scoped = await store.recent_alerts(WatchScope("slack:U1", "slack:@U1"), limit=10)
    assert {a.watch.id for a in scoped} == {mine.id}
    matches = await store.watch_matches(mine.id, limit=1)
    assert [(d.item_id, a.item.title) for d, a in matches] == [(second, "Story 2")]


async def test_set_watch_rule_keeps_id_and_deliveries(store: Store) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    watch = await store.add_watch("algeria", "console")
    when = datetime(2026, 3, 1, tzinfo=UTC)
    await _alert(store, watch.id, await _item(store, source.id, 1, when), when)

    changed = await store.set_watch_rule(watch.id, "algeria OR tunisia", mode="hourly", tz="UTC")

    assert changed is not None and (changed.id, changed.query, changed.mode) == (
        watch.id,
        "algeria OR tunisia",
        "hourly",
    )
    assert len(await store.list_deliveries(watch_id=watch.id)) == 1
    assert await store.set_watch_rule(999, "x", mode="immediate", tz="UTC") is None


async def test_upgrading_a_database_with_data_to_0006(database: Database) -> None:
    await _database_at_0001_with_data(database)  # a sent delivery on 2026-03-01
    store = await database.open(Clock())
    try:
        assert await store.revision() == migrate.head_revision()
        assert await store.matches_per_day([1], DAY0, 1) == {1: [1]}
        assert await store.poll_history(1) == []
        when = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
        await store.record_poll(1, now=when, ok=True, status="200 OK", next_poll_at=when)
        assert [p.polled_at for p in await store.poll_history(1)] == [when]
        async with store._engine.connect() as conn:
            indexes = await conn.run_sync(
                lambda c: {i["name"] for i in sa.inspect(c).get_indexes("deliveries")}
            )
        assert "ix_deliveries_watch_created" in indexes
    finally:
        await store.close()
