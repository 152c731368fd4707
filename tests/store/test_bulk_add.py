"""Adding many sources and watches at once (a config file with thousands of entries)."""

from __future__ import annotations

from bot.store import NewSource, NewWatch, Store
from tests.store.conftest import START, Statements


async def test_add_sources_skips_registered_urls_and_counts_the_added(store: Store) -> None:
    await store.add_source("Old", "https://a.example/0")
    async with store.transaction() as tx:
        added = await tx.add_sources(
            [NewSource(f"S{n}", f"https://a.example/{n}", interval_s=60) for n in range(3)],
            now=START,
        )
    assert added == 2
    listed = await store.list_sources()
    assert [(s.name, s.interval_s) for s in listed] == [("Old", 300), ("S1", 60), ("S2", 60)]
    assert all(s.enabled and not s.baseline_done and s.created_at == START for s in listed[1:])


async def test_add_watches_keeps_the_order_given(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.add_watches(
            [NewWatch(f"rule {n}", "console", owner="config", platform="config") for n in range(5)],
            now=START,
        )
    listed = await store.list_watches()
    assert [w.query for w in listed] == [f"rule {n}" for n in range(5)]
    assert [w.id for w in listed] == sorted(w.id for w in listed)
    assert {(w.owner, w.platform, w.mode, w.paused) for w in listed} == {
        ("config", "config", "immediate", False)
    }


async def test_add_watches_takes_a_few_statements_whatever_their_number(store: Store) -> None:
    await store.add_watch("earlier", "console", owner="u", platform="cli")
    new = [NewWatch(f"rule {n}", "console", owner="config", platform="config") for n in range(500)]
    with Statements(store) as sent:
        async with store.transaction() as tx:
            added = await tx.add_watches(new, now=START)
    assert len(sent) <= 5  # not one per watch (SQLite's ordered RETURNING did: 500)
    assert [w.query for w in added] == [f"rule {n}" for n in range(500)]
    listed = await store.list_watches()
    assert [(w.id, w.query) for w in added] == [(w.id, w.query) for w in listed[1:]]


async def test_watches_read_back_share_their_common_texts(store: Store) -> None:
    # The bot holds every active watch: the texts most of them repeat are one string each.
    destination = "".join(["jsonl:", "alerts.jsonl"])
    async with store.transaction() as tx:
        await tx.add_watches(
            [NewWatch(f"rule {n}", destination, owner="U1", platform="slack") for n in range(3)],
            now=START,
        )
    first, *others = await store.list_watches()
    assert first.destination == destination
    for watch in others:
        assert watch.destination is first.destination
        assert watch.owner is first.owner and watch.platform is first.platform
        assert watch.mode is first.mode and watch.tz is first.tz


async def test_list_watches_by_pages(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.add_watches([NewWatch(f"rule {n}", "console") for n in range(5)], now=START)
    every = await store.list_watches()
    await store.set_watch_paused(every[2].id, True)
    first = await store.list_watches(include_paused=False, limit=2)
    assert [w.query for w in first] == ["rule 0", "rule 1"]
    second = await store.list_watches(include_paused=False, after_id=first[-1].id, limit=2)
    assert [w.query for w in second] == ["rule 3", "rule 4"]
    assert await store.list_watches(include_paused=False, after_id=second[-1].id, limit=2) == []


async def test_watch_keys_are_a_platforms_watches_paused_ones_too(store: Store) -> None:
    await store.add_watch("chat rule", "slack:#news", owner="U1", platform="slack")
    async with store.transaction() as tx:
        await tx.add_watches(
            [
                NewWatch("rule a", "console", owner="config", platform="config"),
                NewWatch(
                    "rule b", "jsonl:a.jsonl", "config", "config", "daily 08:00", "Asia/Tokyo"
                ),
            ],
            now=START,
        )
    *_, b = await store.list_watches()
    await store.set_watch_paused(b.id, True, "held")
    keys = await store.watch_keys("config")
    assert [tuple(k)[1:] for k in keys] == [
        ("rule a", "console", "immediate", "UTC"),
        ("rule b", "jsonl:a.jsonl", "daily 08:00", "Asia/Tokyo"),
    ]
    assert keys[1].id == b.id and keys[0].id < b.id
    assert [k.query for k in await store.watch_keys("slack")] == ["chat rule"]
