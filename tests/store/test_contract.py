"""The store contract: every test runs against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.core.item import Item
from bot.store import ArchiveSearch, DuplicateError, NewDelivery, Store, StoryMember
from bot.store.migrate import current_revision, head_revision
from bot.store.schema import metadata
from tests.store.conftest import START, Clock, Database

# Full-text objects live outside the query tables: SQLite's FTS5 table, PostgreSQL's tsvector.
FTS_OBJECTS = ("items_fts", "search_vector", "ix_items_search_vector", "alembic_version")

HOSTILE_TERMS = [
    '"',
    "'",
    "*",
    "OR",
    "AND",
    "NOT",
    "NEAR",
    "(",
    ")",
    "a OR b",
    "x:*",
    "'; DROP TABLE items; --",
    '") OR 1=1 --',
    "title:foo",
    "^",
    "-",
    "\\",
    "<->",
    "!",
    "&|",
    "\x00",
    "",
    "   ",
]


def at(minutes: float) -> datetime:
    """Return START plus `minutes`."""
    return START + timedelta(minutes=minutes)


async def ingest(store: Store, source_id: int, items: list[Item], now: datetime = START) -> list:
    """Add items in their own transaction and return the new ones."""
    async with store.transaction() as tx:
        return await tx.add_new_items(source_id, items, now=now)


async def source_and_watch(store: Store, *, paused: bool = False) -> tuple[int, int]:
    """Create one source and one watch; return their ids."""
    source = await store.add_source("Wire", "https://wire.example/rss")
    watch = await store.add_watch("algeria", "console")
    if paused:
        await store.set_watch_paused(watch.id, True, "test")
    return source.id, watch.id


async def queue(store: Store, watch_id: int, item_ids: list[int], **kw: object) -> int:
    """Enqueue one alert per item for a watch."""
    async with store.transaction() as tx:
        return await tx.enqueue(
            [NewDelivery(watch_id, item_id, **kw) for item_id in item_ids],  # type: ignore[arg-type]
            now=START,
        )


# migrations and connection


async def test_migrations_upgrade_an_empty_database_and_are_idempotent(database: Database) -> None:
    store = await database.open(migrate=False)
    try:
        assert await store.revision() is None
        await store.upgrade()
        assert await store.revision() == head_revision()
        await store.upgrade()
        assert await current_revision(store._engine) == head_revision()
        assert await store.counts() == {
            "sources": 0,
            "watches": 0,
            "items": 0,
            "seen": 0,
            "pending": 0,
        }
    finally:
        await store.close()
    reopened = await database.open()
    try:
        assert await reopened.revision() == head_revision()
        await reopened.ping()
    finally:
        await reopened.close()


async def test_migrated_schema_matches_the_query_tables(store: Store) -> None:
    def differences(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": lambda obj, name, *_: not name.startswith(FTS_OBJECTS)},
        )
        return list(compare_metadata(context, metadata))

    async with store._engine.connect() as conn:
        assert await conn.run_sync(differences) == []


# sources


async def test_sources_add_get_list_update_remove(store: Store, clock: Clock) -> None:
    a = await store.add_source("A", "https://a.example/rss", interval_s=60, owner="U1")
    b = await store.add_source("B", "https://b.example/atom", kind="atom", options={"backfill": 2})
    assert a.created_at == clock.now and a.created_at.tzinfo is not None
    assert (a.name, a.interval_s, a.owner, a.enabled, a.baseline_done) == (
        "A",
        60,
        "U1",
        True,
        False,
    )
    assert b.kind == "atom" and b.options == {"backfill": 2}
    assert await store.get_source(a.id) == a
    assert await store.get_source_by_url("https://b.example/atom") == b
    assert await store.get_source_by_url("https://nowhere.example/") is None
    assert [s.id for s in await store.list_sources()] == [a.id, b.id]

    updated = await store.update_source(
        a.id, name="A2", interval_s=120, options={"x": 1}, enabled=False, disabled_reason="gone"
    )
    assert updated is not None
    assert (updated.name, updated.interval_s, updated.options) == ("A2", 120, {"x": 1})
    assert (updated.enabled, updated.disabled_reason) == (False, "gone")
    assert await store.update_source(999, name="x") is None

    assert await store.remove_source(a.id) is True
    assert await store.remove_source(a.id) is False
    assert await store.get_source(a.id) is None


async def test_duplicate_source_url_raises_duplicate_error(store: Store) -> None:
    await store.add_source("A", "https://a.example/rss")
    with pytest.raises(DuplicateError, match="already exists"):
        await store.add_source("Other name", "https://a.example/rss")
    assert isinstance(DuplicateError("x"), ValueError)
    assert len(await store.list_sources()) == 1


async def test_bad_source_fields_are_refused_with_a_message(store: Store) -> None:
    source = await store.add_source("A", "https://a.example/rss")
    with pytest.raises(ValueError, match="cannot update source field"):
        await store.update_source(source.id, url="https://evil.example/")
    with pytest.raises(ValueError, match="interval_s"):
        await store.update_source(source.id, interval_s=0)
    with pytest.raises(ValueError, match="interval_s"):
        await store.add_source("B", "https://b.example/rss", interval_s=-5)
    with pytest.raises(ValueError, match="name"):
        await store.add_source(" ", "https://c.example/rss")


async def test_claim_due_sources_leases_them(store: Store) -> None:
    due = await store.add_source("due", "https://a.example/1")
    later = await store.add_source("later", "https://a.example/2")
    off = await store.add_source("off", "https://a.example/3")
    await store.update_source(off.id, enabled=False)
    await store.record_poll(later.id, now=START, ok=True, status="200", next_poll_at=at(10))

    claimed = await store.claim_due_sources(START, lease_s=300)
    assert [s.id for s in claimed] == [due.id]
    assert claimed[0].next_poll_at == START + timedelta(seconds=300)
    assert await store.claim_due_sources(at(1)) == []

    claimed = await store.claim_due_sources(at(10))
    assert {s.id for s in claimed} == {due.id, later.id}


async def test_claim_due_sources_respects_limit(store: Store) -> None:
    for n in range(5):
        await store.add_source(f"s{n}", f"https://a.example/{n}")
    first = await store.claim_due_sources(START, limit=3)
    second = await store.claim_due_sources(START, limit=3)
    assert len(first) == 3 and len(second) == 2
    assert not {s.id for s in first} & {s.id for s in second}


async def test_concurrent_source_claimers_never_share_a_source(database: Database) -> None:
    stores = [await database.open() for _ in range(4)]
    try:
        for n in range(40):
            await stores[0].add_source(f"s{n}", f"https://a.example/{n}")
        results = await asyncio.gather(
            *(s.claim_due_sources(START, limit=15) for s in stores for _ in range(2))
        )
        ids = [source.id for claimed in results for source in claimed]
        assert len(ids) == len(set(ids)) == 40
    finally:
        for s in stores:
            await s.close()


async def test_record_poll_success_failure_and_validators(store: Store) -> None:
    source = await store.add_source("A", "https://a.example/rss")
    ok = await store.record_poll(
        source.id,
        now=START,
        ok=True,
        status="200",
        next_poll_at=at(5),
        etag='"v1"',
        last_modified="Mon, 02 Mar 2026 10:00:00 GMT",
        new_items=3,
    )
    assert (ok.etag, ok.last_modified, ok.items_count) == (
        '"v1"',
        "Mon, 02 Mar 2026 10:00:00 GMT",
        3,
    )
    assert (ok.last_ok_at, ok.last_polled_at, ok.next_poll_at) == (START, START, at(5))
    assert ok.baseline_done and ok.consecutive_failures == 0 and ok.last_status == "200"

    failed = await store.record_poll(
        source.id, now=at(5), ok=False, status="500", next_poll_at=at(15), error="HTTP 500"
    )
    failed = await store.record_poll(
        source.id, now=at(15), ok=False, status="timeout", next_poll_at=at(35), error="timed out"
    )
    assert (failed.consecutive_failures, failed.last_error, failed.last_status) == (
        2,
        "timed out",
        "timeout",
    )
    assert failed.last_ok_at == START and failed.etag == '"v1"' and failed.items_count == 3

    same = await store.record_poll(
        source.id, now=at(35), ok=True, status="not modified", next_poll_at=at(40)
    )
    assert (same.etag, same.last_modified, same.consecutive_failures) == (
        '"v1"',
        "Mon, 02 Mar 2026 10:00:00 GMT",
        0,
    )
    fresh = await store.record_poll(
        source.id,
        now=at(40),
        ok=True,
        status="200",
        next_poll_at=at(45),
        etag='"v2"',
        new_items=2,
    )
    assert (fresh.etag, fresh.last_modified, fresh.items_count) == ('"v2"', None, 5)
    with pytest.raises(LookupError):
        await store.record_poll(999, now=START, ok=True, status="200", next_poll_at=at(1))


# watches


async def test_watches_add_list_pause_count_remove(store: Store, clock: Clock) -> None:
    w1 = await store.add_watch("algeria", "slack:C1", owner="U1", platform="slack")
    w2 = await store.add_watch(
        "france",
        "slack:C1",
        owner="U2",
        platform="slack",
        mode="daily 08:00",
        tz="Europe/Paris",
        label="FR",
    )
    w3 = await store.add_watch("spain", "console")
    assert (w2.mode, w2.tz, w2.label, w2.created_at) == (
        "daily 08:00",
        "Europe/Paris",
        "FR",
        clock.now,
    )
    assert await store.get_watch(w1.id) == w1
    assert await store.get_watch(999) is None
    assert [w.id for w in await store.list_watches()] == [w1.id, w2.id, w3.id]
    assert [w.id for w in await store.list_watches(destination="slack:C1")] == [w1.id, w2.id]
    assert [w.id for w in await store.list_watches(owner="U2")] == [w2.id]

    paused = await store.set_watch_paused(w1.id, True, "channel_not_found")
    assert paused is not None and paused.paused and paused.paused_reason == "channel_not_found"
    assert [w.id for w in await store.list_watches(include_paused=False)] == [w2.id, w3.id]
    resumed = await store.set_watch_paused(w1.id, False)
    assert resumed is not None and not resumed.paused and resumed.paused_reason == ""
    assert await store.set_watch_paused(999, True) is None

    assert await store.count_watches() == 3
    assert await store.count_watches(owner="U1") == 1
    assert await store.count_watches(destination="slack:C1") == 2
    assert await store.remove_watch(w3.id) is True
    assert await store.remove_watch(w3.id) is False
    assert await store.count_watches() == 2


async def test_removing_a_watch_drops_its_pending_deliveries(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    other = await store.add_watch("other", "console")
    new = await ingest(store, source_id, [Item("a", guid="1"), Item("b", guid="2")])
    await queue(store, watch_id, [i.id for i in new])
    await queue(store, other.id, [new[0].id])
    await store.remove_watch(watch_id)
    assert await store.list_deliveries(watch_id=watch_id) == []
    assert len(await store.list_deliveries(watch_id=other.id)) == 1
    assert (await store.counts())["pending"] == 1


# ingest


async def test_ingest_returns_new_items_in_order_and_is_idempotent(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    batch = [
        Item("One", guid="g1", url="https://n.example/1", published=at(-30), tags=("x", "y")),
        Item("Two", guid="g2", summary="s", content="c", author="me", lang="fr"),
        Item("Three", url="https://n.example/3"),
    ]
    new = await ingest(store, source_id, batch)
    assert [a.item for a in new] == batch
    assert len({a.id for a in new}) == 3
    assert all(a.source_id == source_id and a.fetched_at == START for a in new)
    assert new[0].key == f"{source_id}:guid:g1"
    assert await store.get_item(new[0].id) == new[0]
    assert (await store.get_item(new[1].id)).item.lang == "fr"  # type: ignore[union-attr]

    assert await ingest(store, source_id, batch, at(5)) == []
    assert (await store.counts())["items"] == 3


async def test_duplicate_identities_inside_a_batch_first_wins(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    new = await ingest(
        store,
        source_id,
        [Item("first", guid="same"), Item("second", guid="same"), Item("other", guid="o")],
    )
    assert [a.item.title for a in new] == ["first", "other"]


async def test_article_key_is_global_and_ignores_tracking_parameters(store: Store) -> None:
    a = await store.add_source("A", "https://a.example/rss")
    b = await store.add_source("B", "https://b.example/rss")
    first = Item("Story", url="https://news.example/story?id=7")
    assert len(await ingest(store, a.id, [first])) == 1
    again = Item("Story", url="https://NEWS.example/story?utm_source=x&id=7")
    assert await store.unseen(b.id, [again]) == []
    assert await ingest(store, b.id, [again]) == []
    permalink = Item("Story", guid="https://news.example/story?id=7", url=again.url)
    assert await ingest(store, b.id, [permalink]) == []
    same_guid_elsewhere = Item("Other", guid="a-1")
    assert len(await ingest(store, b.id, [same_guid_elsewhere])) == 1


async def test_a_link_never_swallows_items_that_differ_in_guid_or_fragment(store: Store) -> None:
    a = await store.add_source("A", "https://a.example/rss")
    b = await store.add_source("B", "https://b.example/rss")
    show = "https://pod.example/show"
    episodes = [Item("Ep 1", guid="ep-1", url=show), Item("Ep 2", guid="ep-2", url=show)]
    assert len(await ingest(store, a.id, episodes)) == 2
    entries = [Item(f"Update {n}", url=f"https://live.example/blog#u{n}") for n in (1, 2)]
    assert len(await ingest(store, a.id, entries)) == 2
    elsewhere = Item("Ep 1 elsewhere", guid="other-ep-1", url=show)
    assert len(await ingest(store, b.id, [elsewhere])) == 1


async def test_archived_items_keep_their_boilerplate_for_content_searches(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    item = Item("Show HN: a tiny editor", url="https://e.example/", boilerplate="Points: 12")
    (archived,) = await ingest(store, source_id, [item])
    assert (await store.get_item(archived.id)).item.boilerplate == "Points: 12"  # type: ignore[union-attr]
    (found,) = await store.search_archive(["points"])  # pre-selection; the rule then decides
    assert found.id == archived.id


async def test_boilerplate_state_is_saved_replaced_and_goes_with_its_source(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    assert await store.boilerplate_state(source_id) is None
    for state in ('{"v":1,"items":1}', '{"v":1,"items":2}'):
        async with store.transaction() as tx:
            await tx.save_boilerplate_state(source_id, state, now=START)
        assert await store.boilerplate_state(source_id) == state
    assert await store.remove_source(source_id)
    again = await store.add_source("Wire", "https://wire.example/rss")
    assert await store.boilerplate_state(again.id) is None
    async with store._engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT count(*) FROM source_boilerplate"))).scalar()
    assert rows == 0


async def test_a_poll_reads_its_new_items_and_boilerplate_state_in_one_go(
    store: Store,
) -> None:
    source_id, _ = await source_and_watch(store)
    old, new = Item("old", guid="1"), Item("new", guid="2")
    await ingest(store, source_id, [old])
    assert await store.unseen_and_boilerplate(source_id, [old, new]) == ([new], None)
    async with store.transaction() as tx:
        await tx.save_boilerplate_state(source_id, '{"v":1}', now=START)
    assert await store.unseen_and_boilerplate(source_id, [old, new]) == ([new], '{"v":1}')
    assert await store.unseen_and_boilerplate(source_id, [old]) == ([], None)  # nothing new


async def test_unseen_is_read_only_and_agrees_with_ingest(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    old, new1, new2 = Item("old", guid="1"), Item("n1", guid="2"), Item("n2", url="https://x/3")
    await ingest(store, source_id, [old])
    assert await store.unseen(source_id, [old, new1, new2, new1]) == [new1, new2]
    assert await store.unseen(source_id, [new1]) == [new1]
    assert [a.item for a in await ingest(store, source_id, [old, new1, new2])] == [new1, new2]


async def test_rollback_leaves_no_items_seen_keys_or_deliveries(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    with pytest.raises(RuntimeError, match="boom"):
        async with store.transaction() as tx:
            new = await tx.add_new_items(source_id, [Item("a", guid="1")], now=START)
            await tx.enqueue([NewDelivery(watch_id, new[0].id)], now=START)
            raise RuntimeError("boom")
    assert await store.counts() == {
        "sources": 1,
        "watches": 1,
        "items": 0,
        "seen": 0,
        "pending": 0,
    }
    assert len(await ingest(store, source_id, [Item("a", guid="1")])) == 1


async def test_reads_do_not_wait_for_an_open_transaction(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    async with store.transaction() as tx:
        await tx.add_new_items(source_id, [Item("inside", guid="1")], now=START)
        # Another connection reads the committed state meanwhile, without blocking.
        assert await store.unseen(source_id, [Item("inside", guid="1")]) != []
        assert (await store.counts())["items"] == 0
    assert (await store.counts())["items"] == 1


async def test_naive_datetimes_are_refused_and_feed_dates_read_as_utc(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.claim_due_sources(datetime(2026, 3, 1, 12, 0))
    naive = Item("naive date", guid="n", published=datetime(2026, 3, 1, 9, 0))
    (stored,) = await ingest(store, source_id, [naive])
    got = await store.get_item(stored.id)
    assert got is not None and got.item.published == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert got == stored
    paris = timezone(timedelta(hours=2))
    await store.record_poll(
        source_id,
        now=datetime(2026, 3, 1, 14, 0, tzinfo=paris),
        ok=True,
        status="200",
        next_poll_at=at(5),
    )
    polled = await store.get_source(source_id)
    assert polled is not None and polled.last_polled_at == START
    assert polled.last_polled_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_and_bad_limits_are_refused_with_a_message(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    naive = datetime(2026, 3, 1, 12, 0)
    (item,) = await ingest(store, source_id, [Item("a", guid="a")])
    with pytest.raises(ValueError, match="since must be timezone-aware"):
        await store.search_archive(["a"], since=naive)
    with pytest.raises(ValueError, match="retry_at must be timezone-aware"):
        await store.mark_retry(1, now=START, error="x", retry_at=naive)
    with pytest.raises(ValueError, match="due_at must be timezone-aware"):
        await queue(store, watch_id, [item.id], due_at=naive)
    with pytest.raises(ValueError, match="limit must be a whole number"):
        await store.search_archive(None, limit=0)
    with pytest.raises(ValueError, match="lease_s must be a whole number"):
        await store.claim_deliveries(START, lease_s=-1)
    assert (await store.counts())["pending"] == 0


async def test_hostile_text_is_stored_cleaned_not_crashing(store: Store) -> None:
    source = await store.add_source("Evil\x00Feed", "https://evil.example/\x00rss")
    watch = await store.add_watch("alg\x00eria \ud800", "console", label="\x00")
    assert watch.query == "algeria ?" and source.name == "EvilFeed"
    assert await store.get_watch(watch.id) == watch
    hostile = Item(
        "Null\x00 title \udcff",
        summary="a\x00b",
        guid="g\x00",
        tags=("t\x00",),
        url="https://evil.example/a\x00",
    )
    (stored,) = await ingest(store, source.id, [hostile])
    assert stored.item.title == "Null title ?" and stored.item.tags == ("t",)
    assert await store.get_item(stored.id) == stored
    assert [a.id for a in await store.search_archive(["null"])] == [stored.id]
    assert await ingest(store, source.id, [hostile]) == []


# deliveries


async def test_enqueue_ignores_duplicates(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    new = await ingest(store, source_id, [Item("a", guid="1"), Item("b", guid="2")])
    ids = [i.id for i in new]
    assert await queue(store, watch_id, ids) == 2
    assert await queue(store, watch_id, ids) == 0
    assert (
        await queue(store, watch_id, ids[:1], kind="update", payload={"updates_delivery": 1}) == 1
    )
    async with store.transaction() as tx:
        assert await tx.enqueue([], now=START) == 0
    listed = await store.list_deliveries(watch_id=watch_id)
    assert [(d.item_id, d.kind, d.status) for d in listed] == [
        (ids[0], "alert", "pending"),
        (ids[1], "alert", "pending"),
        (ids[0], "update", "pending"),
    ]
    assert listed[2].payload == {"updates_delivery": 1}
    assert listed[0].created_at == START and listed[0].attempts == 0


async def test_claim_deliveries_due_oldest_first_joined(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    paused_watch = await store.add_watch("paused", "console")
    await store.set_watch_paused(paused_watch.id, True, "refused")
    new = await ingest(store, source_id, [Item(f"t{n}", guid=str(n)) for n in range(4)])
    await queue(store, watch_id, [new[0].id, new[1].id])
    await queue(store, watch_id, [new[2].id], due_at=at(60))
    await queue(store, paused_watch.id, [new[3].id])

    jobs = await store.claim_deliveries(at(1), lease_s=120)
    assert [j.item.id for j in jobs] == [new[0].id, new[1].id]
    job = jobs[0]
    assert job.watch.id == watch_id and job.watch.query == "algeria"
    assert job.item.item.title == "t0" and job.item.source_id == source_id
    assert (job.delivery.status, job.delivery.attempts) == ("sending", 1)
    assert await store.claim_deliveries(at(2)) == []
    for claimed in jobs:
        await store.mark_sent(claimed.delivery.id, now=at(2), external_ref=None)

    later = await store.claim_deliveries(at(60), limit=10)
    assert [j.item.id for j in later] == [new[2].id]


async def test_expired_lease_makes_a_delivery_claimable_again(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    new = await ingest(store, source_id, [Item("a", guid="1")])
    await queue(store, watch_id, [new[0].id])
    (first,) = await store.claim_deliveries(START, lease_s=120)
    assert await store.claim_deliveries(at(1)) == []
    (again,) = await store.claim_deliveries(at(2), lease_s=120)
    assert again.delivery.id == first.delivery.id and again.delivery.attempts == 2


async def test_concurrent_delivery_claimers_never_share_a_delivery(database: Database) -> None:
    stores = [await database.open() for _ in range(4)]
    try:
        source_id, watch_id = await source_and_watch(stores[0])
        new = await ingest(stores[0], source_id, [Item(f"t{n}", guid=str(n)) for n in range(60)])
        await queue(stores[0], watch_id, [i.id for i in new])
        results = await asyncio.gather(
            *(s.claim_deliveries(START, limit=10) for s in stores for _ in range(2))
        )
        ids = [job.delivery.id for jobs in results for job in jobs]
        assert len(ids) == len(set(ids)) == 60
    finally:
        for s in stores:
            await s.close()


async def test_mark_sent_retry_failed_folded(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    new = await ingest(store, source_id, [Item(f"t{n}", guid=str(n)) for n in range(5)])
    await queue(store, watch_id, [i.id for i in new])
    d = [job.delivery.id for job in await store.claim_deliveries(START)]

    await store.mark_sent(d[0], now=at(1), external_ref="1700000000.000100")
    await store.mark_retry(d[1], now=at(1), error="429 slow down", retry_at=at(10))
    await store.mark_failed(d[2], now=at(1), error="bad payload")
    await store.mark_folded([d[3], d[4]], now=at(2), into=d[0], external_ref="digest-1")

    sent = await store.get_delivery(d[0])
    assert sent is not None
    assert (sent.status, sent.sent_at, sent.external_ref) == ("sent", at(1), "1700000000.000100")
    retry = await store.get_delivery(d[1])
    assert retry is not None
    assert (retry.status, retry.due_at, retry.error) == ("pending", at(10), "429 slow down")
    failed = await store.get_delivery(d[2])
    assert failed is not None and (failed.status, failed.error) == ("failed", "bad payload")
    folded = await store.list_deliveries(status="folded")
    assert [(f.id, f.external_ref, f.sent_at) for f in folded] == [
        (d[3], "digest-1", at(2)),
        (d[4], "digest-1", at(2)),
    ]
    assert await store.get_delivery(999) is None

    assert await store.claim_deliveries(at(5)) == []
    (retried,) = await store.claim_deliveries(at(10))
    assert retried.delivery.id == d[1] and retried.delivery.attempts == 2
    assert await store.count_sent_since(watch_id, START) == 1
    assert await store.count_sent_since(watch_id, at(1.5)) == 0
    assert (await store.counts())["pending"] == 0


async def test_pending_digest_returns_queued_deliveries_due_or_not(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    digest = await store.add_watch("x", "console", mode="hourly")
    new = await ingest(store, source_id, [Item(f"t{n}", guid=str(n)) for n in range(3)])
    await queue(store, digest.id, [new[0].id], due_at=at(60))
    await queue(store, digest.id, [new[1].id, new[2].id], due_at=at(60))
    (claimed,) = await store.claim_deliveries(at(60), limit=1, lease_s=60)
    await store.mark_sent(claimed.delivery.id, now=at(60), external_ref=None)
    jobs = await store.pending_digest(digest.id, at(61))
    assert [j.item.id for j in jobs] == [new[1].id, new[2].id]
    assert all(j.watch.id == digest.id for j in jobs)


async def test_clusters_cluster_alerts_and_sources(store: Store) -> None:
    a = await store.add_source("A", "https://a.example/rss")
    b = await store.add_source("B", "https://b.example/rss")
    watch = await store.add_watch("x", "console")
    first = await ingest(store, a.id, [Item("story", guid="1", source="Agency A")])
    second = await ingest(store, b.id, [Item("story!", guid="2", source="Paper B")])
    third = await ingest(store, a.id, [Item("story?", guid="3", source="Agency A")])
    async with store.transaction() as tx:
        await tx.set_clusters({first[0].id: 7, second[0].id: 7, third[0].id: 7})
        await tx.set_clusters({})
        await tx.enqueue([NewDelivery(watch.id, first[0].id)], now=START)
    assert (await store.get_item(second[0].id)).cluster_id == 7  # type: ignore[union-attr]
    assert await store.cluster_sources(7) == ["Agency A", "Paper B"]
    assert await store.cluster_sources(8) == []
    async with store.transaction() as tx:
        found = await tx.find_cluster_alert(watch.id, 7, START)
        assert found is not None and found.item_id == first[0].id
        assert await tx.find_cluster_alert(watch.id, 7, at(1)) is None
        assert await tx.find_cluster_alert(watch.id, 8, START) is None


async def test_story_members_give_each_items_story_time_and_kept_words(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    published = START - timedelta(hours=2)
    old = await ingest(store, source_id, [Item("old", guid="o")], now=at(-120))
    new = await ingest(
        store,
        source_id,
        [
            Item("a", guid="a", published=published),
            Item("b", guid="b", published=at(30)),  # a date in the future: when fetched
            Item("c", guid="c"),
            Item("d", guid="d"),
        ],
        now=at(-5),
    )
    a, b, c, d = (n.id for n in new)
    async with store.transaction() as tx:
        await tx.set_clusters({a: a, b: a, c: c}, {a: ("algeria", "readmiss"), b: ()})
    async with store.transaction() as tx:
        members = await tx.story_members(at(-60), after_id=0, limit=10)
        assert [m.item_id for m in members] == [a, b, c, d]  # not `old`: fetched before
        assert [m.story_id for m in members] == [a, a, c, d]  # no cluster yet: its own id
        assert [m.words for m in members] == [("algeria", "readmiss"), (), None, None]
        assert [m.at for m in members] == [published, at(-5), at(-5), at(-5)]
        page = await tx.story_members(at(-60), after_id=a, limit=2)
        assert [m.item_id for m in page] == [b, c]
        assert await tx.story_members(at(-200), after_id=0, limit=1) == [
            StoryMember(old[0].id, old[0].id, at(-120), None)
        ]
        assert [x.item.title for x in await tx.get_items([d, a])] == ["d", "a"]


# archive search


async def test_search_folds_accents_and_matches_prefixes(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    await ingest(
        store,
        source_id,
        [
            Item("L'Algérie et la France", guid="1", published=at(-3)),
            Item("Weather", summary="Sunny in Zürich", guid="2", published=at(-2)),
            Item("Markets", content="Coopération sécuritaire", guid="3", published=at(-1)),
            Item("Sport", source="Le Monde", guid="4", published=at(-4)),
        ],
    )

    def titles(found: list) -> list[str]:
        return [a.item.title for a in found]

    assert titles(await store.search_archive(["alger"])) == ["L'Algérie et la France"]
    assert titles(await store.search_archive(["ALGÉR"])) == ["L'Algérie et la France"]
    assert titles(await store.search_archive(["zur"])) == ["Weather"]
    assert titles(await store.search_archive(["securit"])) == ["Markets"]
    assert titles(await store.search_archive(["monde"])) == ["Sport"]
    assert titles(await store.search_archive(["zur", "alg"])) == [
        "Weather",
        "L'Algérie et la France",
    ]
    assert titles(await store.search_archive(["lgerie"])) == []
    assert titles(await store.search_archive(["la france"])) == ["L'Algérie et la France"]


async def test_search_survives_hostile_terms(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    await ingest(store, source_id, [Item("or and not near title", guid="1")])
    for term in HOSTILE_TERMS:
        found = await store.search_archive([term])
        assert all(a.item.title == "or and not near title" for a in found), term
    assert len(await store.search_archive(["OR"])) == 1
    assert len(await store.search_archive(['"near*'])) == 1
    assert len(await store.search_archive(["(title)"])) == 1
    assert await store.search_archive(['") OR 1=1 --']) == []  # the phrase "or 1 1" is absent
    assert await store.search_archive(["*", '"', "("]) == []
    assert (await store.counts())["items"] == 1


async def test_search_order_since_limit_and_no_terms(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    await ingest(store, source_id, [Item("undated news", guid="u")], now=at(-10))
    await ingest(
        store,
        source_id,
        [
            Item("old news", guid="o", published=at(-60)),
            Item("new news", guid="n", published=at(-5)),
            Item("future news", guid="f", published=at(600)),
        ],
        now=at(-1),
    )
    everything = await store.search_archive(None)
    assert [a.item.title for a in everything] == [
        "future news",
        "new news",
        "undated news",
        "old news",
    ]
    assert [a.item.title for a in await store.search_archive([])] == [
        a.item.title for a in everything
    ]
    assert [a.item.title for a in await store.search_archive(["news"], limit=2)] == [
        "future news",
        "new news",
    ]
    recent = await store.search_archive(["new"], since=at(-6))
    assert [a.item.title for a in recent] == ["future news", "new news"]


async def test_search_limit_never_changes_the_order(store: Store) -> None:
    # Small limits make SQLite walk the date index, large ones fetch matches by id: same answer.
    source_id, _ = await source_and_watch(store)
    batch = [
        Item(f"{'common' if n % 2 else 'rare'} story {n}", guid=str(n), published=at(n % 7 - n))
        for n in range(30)
    ]
    await ingest(store, source_id, batch)
    full = [a.id for a in await store.search_archive(["common"])]
    assert len(full) == 15
    for limit in (1, 2, 5, 14, 15, 100):
        assert [a.id for a in await store.search_archive(["common"], limit=limit)] == full[:limit]


async def test_find_archived_ands_the_groups_newest_first_and_counts_them_all(
    store: Store,
) -> None:
    source_id, _ = await source_and_watch(store)
    batch = [
        Item("Algérie gas deal", guid="1", published=at(-50)),
        Item("Algeria readmission talks", guid="2", published=at(-40)),
        Item("Algerian readmission figures", guid="3", published=at(-30)),
        Item("Tunisia readmission", guid="4", published=at(-20)),
        Item("Algiers", summary="the readmissions resume", guid="5", published=at(-10)),
    ]
    ids = {a.item.guid: a.id for a in await ingest(store, source_id, batch)}
    both = [["alg"], ["readmis"]]

    found = await store.find_archived(both)
    assert found.ids == (ids["5"], ids["3"], ids["2"]) and found.total == 3
    capped = await store.find_archived(both, limit=2)  # the count is of every match
    assert capped.ids == (ids["5"], ids["3"]) and capped.total == 3
    recent = await store.find_archived(both, since=at(-35), limit=1)
    assert recent.ids == (ids["5"],) and recent.total == 2
    either = await store.find_archived([["tun", "gas"]])
    assert either.ids == (ids["4"], ids["1"]) and either.total == 2
    assert (await store.find_archived(None)).total == 5  # no groups: every item
    assert (await store.find_archived([])).ids == tuple(ids[g] for g in "54321")
    assert await store.find_archived([["alg"], ["*"]]) == ArchiveSearch((), 0)  # no words
    assert (await store.find_archived([['") OR 1=1 --']])).total == 0
    with pytest.raises(ValueError, match="limit"):
        await store.find_archived(both, limit=0)


async def test_find_archived_counts_past_the_limit_on_a_busy_archive(store: Store) -> None:
    # Enough matches for SQLite to walk the date index instead of fetching them by id.
    source_id, _ = await source_and_watch(store)
    batch = [
        Item(f"{'common' if n % 3 else 'rare'} story {n}", guid=str(n), published=at(n % 7 - n))
        for n in range(90)
    ]
    await ingest(store, source_id, batch)
    every = [a.id for a in await store.search_archive(["common"], limit=200)]
    for limit in (1, 5, 59, 60, 61):
        found = await store.find_archived([["common"], ["story"]], limit=limit)
        assert list(found.ids) == every[:limit] and found.total == 60


async def test_get_items_keeps_the_order_given_and_skips_missing_ids(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    new = await ingest(store, source_id, [Item(f"t{n}", guid=str(n)) for n in range(3)])
    order = [new[2].id, 9999, new[0].id, new[2].id]
    assert [a.item.title for a in await store.get_items(order)] == ["t2", "t0", "t2"]
    assert await store.get_items([]) == []


async def test_recent_items_oldest_first(store: Store) -> None:
    source_id, _ = await source_and_watch(store)
    await ingest(store, source_id, [Item("a", guid="a")], now=at(-120))
    await ingest(store, source_id, [Item("b", guid="b"), Item("c", guid="c")], now=at(-5))
    assert [a.item.title for a in await store.recent_items(at(-60))] == ["b", "c"]
    assert await store.get_item(9999) is None


# prune and counts


async def test_prune_keeps_seen_keys_and_items_still_queued(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    old = await ingest(store, source_id, [Item(f"old{n}", guid=f"o{n}") for n in range(3)])
    await queue(store, watch_id, [old[0].id, old[1].id])
    (sent,) = await store.claim_deliveries(START, limit=1)
    await store.mark_sent(sent.delivery.id, now=START, external_ref=None)
    fresh = await ingest(
        store, source_id, [Item("fresh", guid="f")], now=START + timedelta(days=29)
    )

    now = START + timedelta(days=31)
    removed = await store.prune(now, retention_days=30, seen_days=365)
    assert removed == (2, 0)
    assert await store.get_item(old[1].id) is not None  # a pending delivery still needs it
    assert await store.get_item(fresh[0].id) is not None
    assert await store.get_item(old[0].id) is None
    assert await store.get_item(old[2].id) is None
    assert await ingest(store, source_id, [Item("old2", guid="o2")], now=now) == []
    assert await store.list_deliveries(status="pending") != []

    later = START + timedelta(days=400)
    assert await store.prune(later, retention_days=30, seen_days=365) == (1, 4)
    counts = await store.counts()
    assert counts["seen"] == 0 and counts["items"] == 1 and counts["pending"] == 1


async def test_counts(store: Store) -> None:
    source_id, watch_id = await source_and_watch(store)
    new = await ingest(store, source_id, [Item("a", guid="1", url="https://x.example/a")])
    await queue(store, watch_id, [new[0].id])
    assert await store.counts() == {
        "sources": 1,
        "watches": 1,
        "items": 1,
        "seen": 2,
        "pending": 1,
    }
