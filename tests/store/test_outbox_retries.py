"""The outbox's support for safe retries (issue #18), on SQLite and PostgreSQL: first-attempt
times, handing claimed deliveries back, folds that stay together, settling a message at once,
pausing a watch only once, and the migration that adds `attempted_at` to a database in use."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.core.item import Item
from bot.store import NewDelivery, Store, migrate
from bot.store.migrate import head_revision
from tests.store.conftest import START, Database


async def queued(store: Store, count: int) -> tuple[int, list[int]]:
    """A watch with `count` queued alerts; return the watch id and the delivery ids."""
    source = await store.add_source("Wire", "https://wire.example/rss")
    watch = await store.add_watch("algeria", "console")
    items = [Item(title=f"Algeria {n}", url=f"https://wire.example/{n}") for n in range(count)]
    async with store.transaction() as tx:
        new = await tx.add_new_items(source.id, items, now=START)
        await tx.enqueue([NewDelivery(watch.id, i.id) for i in new], now=START)
    return watch.id, [d.id for d in await store.list_deliveries()]


async def test_the_first_attempt_time_is_kept_across_retries(store: Store) -> None:
    _, (d,) = await queued(store, 1)
    (job,) = await store.claim_deliveries(START, lease_s=60)
    assert (job.delivery.attempts, job.delivery.attempted_at) == (1, START)
    later = START + timedelta(minutes=5)
    await store.retry_deliveries([d], now=START, error="timeout", retry_at=later)
    (job,) = await store.claim_deliveries(later, lease_s=60)
    assert (job.delivery.attempts, job.delivery.attempted_at) == (2, START)


async def test_released_deliveries_are_due_again_without_a_trace_of_the_claim(store: Store) -> None:
    _, ids = await queued(store, 3)
    await store.claim_deliveries(START, lease_s=60)
    await store.release_deliveries(ids[1:], error="stopping")
    records = {d.id: d for d in await store.list_deliveries()}
    assert records[ids[0]].status == "sending"
    for delivery_id in ids[1:]:
        released = records[delivery_id]
        assert (released.status, released.attempts, released.attempted_at) == ("pending", 0, None)
    again = await store.claim_deliveries(START + timedelta(seconds=1), lease_s=60)
    assert [j.delivery.id for j in again] == ids[1:]


async def test_a_released_retry_keeps_its_earlier_attempt(store: Store) -> None:
    _, (d,) = await queued(store, 1)
    await store.claim_deliveries(START, lease_s=60)
    await store.retry_deliveries([d], now=START, error="timeout", retry_at=START)
    later = START + timedelta(minutes=1)
    await store.claim_deliveries(later, lease_s=60)
    await store.release_deliveries([d])
    (record,) = await store.list_deliveries()
    assert (record.status, record.attempts, record.attempted_at) == ("pending", 1, START)


async def test_releasing_only_touches_deliveries_still_being_sent(store: Store) -> None:
    _, (d,) = await queued(store, 1)
    await store.claim_deliveries(START, lease_s=60)
    await store.settle_sent(d, now=START, external_ref="x")
    await store.release_deliveries([d])
    (record,) = await store.list_deliveries()
    assert record.status == "sent"


async def test_a_fold_is_claimed_whole_whatever_its_members_due_times(store: Store) -> None:
    _, ids = await queued(store, 4)
    await store.claim_deliveries(START, lease_s=60)
    await store.group_deliveries(ids[1], ids[1:])
    soon, later = START + timedelta(minutes=1), START + timedelta(hours=1)
    await store.retry_deliveries([ids[0], ids[1]], now=START, error="x", retry_at=soon)
    await store.retry_deliveries(ids[2:], now=START, error="x", retry_at=later)  # torn apart
    jobs = await store.claim_deliveries(soon, lease_s=60)
    assert sorted(j.delivery.id for j in jobs) == ids
    assert {j.delivery.folded_into for j in jobs if j.delivery.id != ids[0]} == {ids[1]}


async def test_settling_a_fold_records_its_message_and_members_together(store: Store) -> None:
    _, ids = await queued(store, 3)
    await store.claim_deliveries(START, lease_s=60)
    await store.settle_sent(ids[0], ids[1:], now=START, external_ref="C1:1.2")
    records = await store.list_deliveries()
    assert [(d.status, d.external_ref) for d in records] == [
        ("sent", "C1:1.2"),
        ("folded", "C1:1.2"),
        ("folded", "C1:1.2"),
    ]


async def test_a_watch_is_paused_by_the_first_refusal_only(store: Store) -> None:
    watch_id, _ = await queued(store, 1)
    assert await store.pause_watch_if_active(watch_id, "gone") is True
    assert await store.pause_watch_if_active(watch_id, "gone again") is False
    watch = await store.get_watch(watch_id)
    assert watch is not None and watch.paused and watch.paused_reason == "gone"


async def test_the_migration_adds_attempted_at_to_a_database_with_deliveries(
    database: Database,
) -> None:
    store = await database.open(migrate=False)
    try:
        await migrate.upgrade(store._engine, "0002")
        async with store._engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO sources (name, url, kind, interval_s, options, enabled, owner,"
                    " last_status, last_error, consecutive_failures, items_count,"
                    " disabled_reason, baseline_done, created_at) VALUES ('W', 'https://w/',"
                    " 'rss', 60, '{}', true, '', '', '', 0, 0, '', true, :now)"
                ),
                {"now": START},
            )
            # Raw SQL in the shape of revision 0002 (today's code writes later columns).
            await conn.execute(
                sa.text(
                    "INSERT INTO items (source_id, key, title, summary, content, url, source,"
                    " author, lang, tags, guid, fetched_at, sort_at, search_text) VALUES"
                    " (1, '1:url:https://w/1', 'Algeria', '', '', 'https://w/1', '', '', '',"
                    " '[]', '', :now, :now, 'algeria')"
                ),
                {"now": START},
            )
        async with store._engine.begin() as conn:  # raw SQL: the store's code is at head
            await conn.execute(
                sa.text(
                    "INSERT INTO watches (query, destination, owner, platform, mode, tz, paused,"
                    " paused_reason, label, created_at) VALUES ('algeria', 'console', '', 'cli',"
                    " 'immediate', 'UTC', false, '', '', :now)"
                ),
                {"now": START},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO deliveries (watch_id, item_id, kind, status, attempts, error,"
                    " payload, created_at) VALUES (1, 1, 'alert', 'pending', 2, 'x', '{}', :now)"
                ),
                {"now": START},
            )
        await store.upgrade()
        assert await store.revision() == head_revision()
        (record,) = await store.list_deliveries()
        assert (record.status, record.attempts, record.attempted_at) == ("pending", 2, None)
        (job,) = await store.claim_deliveries(START, lease_s=60)
        assert job.delivery.attempted_at == START
    finally:
        await store.close()
