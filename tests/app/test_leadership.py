"""The leader: one at a time on PostgreSQL (its session ends, another takes over); its duties."""

from __future__ import annotations

import pytest

from bot.app.leadership import Leadership
from bot.app.runtime import BotRuntime
from bot.store import Store
from tests.app.harness import open_harness, story
from tests.app.postgres import private_database
from tests.fakes.feed_server import FeedServer, rss_feed


@pytest.mark.postgres
async def test_one_leader_at_a_time_and_a_follower_takes_over_when_its_session_ends():
    async with private_database() as db:
        stores = [await Store.open(db.url) for _ in range(3)]
        events: list[str] = []

        def worker(name: str, store: Store) -> Leadership:
            async def gained() -> None:
                events.append(f"{name} leads")

            async def lost() -> None:
                events.append(f"{name} lost")

            return Leadership(store.leader_lock(), on_gain=gained, on_loss=lost)

        a, b, c = (worker(n, s) for n, s in zip("abc", stores, strict=True))
        try:
            assert await a.start() is True
            assert await b.start() is False and await c.start() is False
            for w in (a, b, c):
                await w.tick()
            assert (a.is_leader, b.is_leader, c.is_leader) == (True, False, False)
            assert events == []
            # The leader's machine vanishes: the server ends its session, and its lock with it.
            key = a.lock.key  # type: ignore[attr-defined]
            await db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND ((classid::bigint << 32) | objid::bigint) = :key",
                key=key,
            )
            await a.tick()  # it notices and steps down
            assert not a.is_leader and events == ["a lost"]
            await b.tick()
            await c.tick()
            assert (b.is_leader, c.is_leader) == (True, False)
            assert events == ["a lost", "b leads"]
            await a.tick()  # the old leader is now a follower
            assert not a.is_leader
            # A clean stop hands over at the next try.
            await b.stop()
            await c.tick()
            assert c.is_leader and events[-1] == "c leads"
        finally:
            for w in (a, b, c):
                await w.stop()
            for store in stores:
                await store.close()


@pytest.mark.postgres
async def test_the_leader_lock_is_per_database():
    async with private_database() as one, private_database() as two:
        first, second = await Store.open(one.url), await Store.open(two.url)
        locks = [first.leader_lock(), second.leader_lock()]
        try:
            assert await locks[0].try_acquire()
            assert await locks[1].try_acquire()
        finally:
            for lock in locks:
                await lock.release()
            await first.close()
            await second.close()


async def test_only_the_leader_prunes_the_archive_but_every_worker_forgets_old_stories(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/a.xml", rss_feed([story(1, "Algeria"), story(2, "Weather")]))
        h = await open_harness(tmp_path, feeds, [("A", feeds.url("/a.xml"))], [])
        try:
            await h.poll()
            assert (await h.app.store.counts())["items"] == 2 and len(h.app.clusters) == 2
            h.clock.advance(days=400)  # past every retention
            runtime = BotRuntime(h.app)
            runtime.leadership.is_leader = False  # a follower
            await runtime._prune()
            assert len(h.app.clusters) == 0  # its own memory: forgotten
            assert (await h.app.store.counts())["items"] == 2  # the archive: the leader's
            runtime.leadership.is_leader = True
            await runtime._prune()
            assert (await h.app.store.counts())["items"] == 0
        finally:
            await h.app.aclose()
