"""Migrations upgrade a database that already holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.store import Store, migrate
from bot.store.engine import create_engine_for
from tests.store.conftest import Clock, Database

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _database_at_0001_with_data(database: Database) -> None:
    """Migrate to the first revision and fill it with raw SQL (the shape of that revision)."""
    engine = create_engine_for(database.url, schema=database.schema)
    try:
        await migrate.upgrade(engine, "0001")
        when = WHEN.replace(tzinfo=None) if engine.dialect.name == "sqlite" else WHEN
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO sources (name, url, kind, interval_s, options, enabled, owner,"
                    " last_status, last_error, consecutive_failures, items_count,"
                    " disabled_reason, baseline_done, created_at) VALUES"
                    " ('Wire', 'https://wire.example/rss', 'rss', 300, '{}', true, 'config',"
                    " '', '', 0, 1, '', true, :t)"
                ),
                {"t": when},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO items (source_id, key, title, summary, content, url, source,"
                    " author, lang, tags, guid, fetched_at, sort_at, search_text) VALUES"
                    " (1, 'k1', 'Readmission accord', '', '', 'https://wire.example/1', 'Wire',"
                    " '', 'en', '[]', 'g1', :t, :t, 'readmission accord')"
                ),
                {"t": when},
            )
            for n in (1, 2, 3):
                await conn.execute(
                    sa.text(
                        "INSERT INTO watches (query, destination, owner, platform, mode, tz,"
                        " paused, paused_reason, label, created_at) VALUES"
                        " (:q, 'console', 'cli:ops', 'cli', 'immediate', 'UTC', false, '', '',"
                        " :t)"
                    ),
                    {"q": f"rule{n}", "t": when},
                )
            await conn.execute(
                sa.text(
                    "INSERT INTO deliveries (watch_id, item_id, kind, status, attempts, error,"
                    " payload, created_at) VALUES (1, 1, 'alert', 'sent', 1, '', '{}', :t)"
                ),
                {"t": when},
            )
            await conn.execute(sa.text("DELETE FROM watches WHERE id = 3"))
    finally:
        await engine.dispose()


async def test_upgrading_a_database_with_data_keeps_rows_constraints_and_search(
    database: Database,
) -> None:
    await _database_at_0001_with_data(database)
    store = await database.open(Clock())
    try:
        assert await store.revision() == migrate.head_revision()
        assert [w.query for w in await store.list_watches()] == ["rule1", "rule2"]
        (delivery,) = await store.list_deliveries()
        assert (delivery.watch_id, delivery.item_id, delivery.status) == (1, 1, "sent")
        (found,) = await store.search_archive(["readmiss"])
        assert found.item.title == "Readmission accord"
        assert found.item.boilerplate == ""  # 0005: items taken in before it have none
        async with store.transaction() as tx:  # 0007: nor story words (worked out at start)
            (member,) = await tx.story_members(WHEN - timedelta(days=1), after_id=0, limit=10)
        assert (member.item_id, member.story_id, member.words) == (1, 1, None)
        assert await store.boilerplate_state(1) is None
        async with store.transaction() as tx:
            await tx.save_boilerplate_state(1, '{"v": 1}', now=WHEN)
        assert await store.boilerplate_state(1) == '{"v": 1}'

        async with store._engine.connect() as conn:
            indexes = await conn.run_sync(
                lambda c: {
                    i["name"]
                    for t in ("sources", "items", "watches", "deliveries")
                    for i in sa.inspect(c).get_indexes(t)
                }
            )
            checks = await conn.run_sync(
                lambda c: {k["name"] for k in sa.inspect(c).get_check_constraints("deliveries")}
            )
            keys = await conn.run_sync(
                lambda c: {k["name"] for k in sa.inspect(c).get_foreign_keys("deliveries")}
            )
        assert {"ix_sources_due", "ix_items_sort_at", "ix_watches_owner", "ix_deliveries_due"} <= (
            indexes
        )
        assert "ck_deliveries_status" in checks
        assert keys == {"fk_deliveries_watch", "fk_deliveries_item"}

        assert await store.remove_watch(1)  # the foreign key still cascades
        assert await store.list_deliveries() == []
        new = await store.add_watch("rule4", "console")
        if store.dialect == "postgresql":  # the sequence remembered the removed #3
            assert new.id == 4
        assert await store.remove_watch(new.id)
        again = await store.add_watch("rule5", "console")
        assert again.id == new.id + 1
        await store.add_source("Other", "https://other.example/rss")
        after = {s.url: s.id for s in await store.list_sources()}
        assert after == {"https://wire.example/rss": 1, "https://other.example/rss": 2}
    finally:
        await store.close()


async def test_removed_ids_are_never_handed_out_again(store: Store) -> None:
    first = await store.add_watch("a", "console")
    second = await store.add_watch("b", "console")
    await store.remove_watch(second.id)
    third = await store.add_watch("c", "console")
    assert third.id == second.id + 1 > first.id
    source = await store.add_source("S", "https://s.example/rss")
    await store.remove_source(source.id)
    other = await store.add_source("T", "https://t.example/rss")
    assert other.id == source.id + 1


async def test_downgrading_and_upgrading_again_keeps_the_rows(database: Database) -> None:
    await _database_at_0001_with_data(database)
    store = await database.open(Clock())
    await store.close()
    engine = create_engine_for(database.url, schema=database.schema)
    try:
        await migrate.downgrade(engine, "0001")
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    store = await database.open(Clock())
    try:
        assert [w.query for w in await store.list_watches()] == ["rule1", "rule2"]
        assert len(await store.search_archive(["accord"])) == 1
    finally:
        await store.close()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from bot.store.schema_version import head_from_files

    assert head_from_files() == migrate.head_revision()


async def test_a_database_at_the_newest_schema_opens_without_loading_alembic(
    database: Database,
) -> None:
    # The first open migrates (Alembic loads); the second finds the newest revision recorded
    # and skips Alembic. Each prints whether Alembic was loaded, then the revision (asking
    # for it loads Alembic).
    script = (
        "import asyncio, sys\n"
        "from bot.store import Store\n"
        "async def main():\n"
        f"    store = await Store.open({database.url!r}, schema={database.schema!r})\n"
        "    print('alembic' in sys.modules, await store.revision())\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
    )
    head = migrate.head_revision()
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert first.stdout.split() == ["True", head], first.stderr
    assert again.stdout.split() == ["False", head], again.stderr


async def test_an_older_schema_is_upgraded_at_open(database: Database) -> None:
    engine = create_engine_for(database.url, schema=database.schema)
    try:
        await migrate.upgrade(engine, "0006")
    finally:
        await engine.dispose()
    store = await database.open(Clock())
    try:
        assert await store.revision() == migrate.head_revision() != "0006"
    finally:
        await store.close()
