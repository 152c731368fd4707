"""After a restart the story index holds the window's items again, rebuilt from their kept words."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Store, archive
from tests.app.harness import START, Clock, Harness, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

WATCH = "Algeria AND readmission"
BASE_A = [story(1, "Markets steady in Asia")]
BASE_B = [story(2, "Rain expected over the weekend", link="https://other.example/2")]
FIRST = story(7, "Algeria and France agree readmission accord in Algiers")
COPY = story(
    8, "Algeria, France agree readmission accord in Algiers", link="https://other.example/8"
)


def _sources(feeds: FeedServer) -> list[tuple[str, str]]:
    return [("Agency", feeds.url("/a.xml")), ("Paper", feeds.url("/b.xml"))]


async def _first_run(tmp_path: Path, feeds: FeedServer, clock: Clock) -> int:
    """Both feeds' baselines, then the agency's report of the story alerts; its item id."""
    feeds.set_feed("/a.xml", rss_feed(BASE_A))
    feeds.set_feed("/b.xml", rss_feed(BASE_B))
    h = await open_harness(tmp_path, feeds, _sources(feeds), [WATCH], clock=clock)
    try:
        await h.poll()
        feeds.set_feed("/a.xml", rss_feed([*BASE_A, FIRST]))
        clock.advance(minutes=5)
        await h.poll()
        (alert,) = await h.app.store.list_deliveries()
        assert alert.kind == "alert"
        return alert.item_id
    finally:
        await h.app.aclose()


async def _restart(
    tmp_path: Path, feeds: FeedServer, clock: Clock, *, warm: bool = True
) -> Harness:
    clock.advance(minutes=5)
    return await open_harness(tmp_path, feeds, _sources(feeds), [WATCH], clock=clock, warm=warm)


async def _paper_reports_the_copy(h: Harness) -> list[str]:
    """The paper publishes its copy of the story; return the kinds of every delivery."""
    h.feeds.set_feed("/b.xml", rss_feed([*BASE_B, COPY]))
    await h.poll()
    return [d.kind for d in await h.app.store.list_deliveries()]


async def _keep_story_words(tmp_path: Path, item_id: int, words: tuple[str, ...] | None) -> None:
    """Rewrite what the archive kept of an item's story words (None: as before 0007)."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    try:
        async with store.transaction() as tx:
            await tx.set_clusters({item_id: item_id}, {} if words is None else {item_id: words})
    finally:
        await store.close()


async def test_another_outlets_copy_after_a_restart_updates_the_first_alert(tmp_path):
    clock = Clock()
    async with FeedServer() as feeds:
        first = await _first_run(tmp_path, feeds, clock)
        h = await _restart(tmp_path, feeds, clock)
        try:
            async with h.app.store.transaction() as tx:
                members = await tx.story_members(START, after_id=0, limit=100)
            kept = {m.item_id: m.words for m in members}
            assert {"algeria", "readmiss", "algier"} <= set(kept[first] or ())
            assert await _paper_reports_the_copy(h) == ["alert", "update"]
        finally:
            await h.app.aclose()


async def test_the_story_index_is_rebuilt_from_the_kept_words_not_from_the_text(tmp_path):
    """Kept words that no longer say the story: the copy is no update (the text is not read)."""
    clock = Clock()
    async with FeedServer() as feeds:
        first = await _first_run(tmp_path, feeds, clock)
        await _keep_story_words(tmp_path, first, ("zebra", "giraffe", "savanna"))
        h = await _restart(tmp_path, feeds, clock)
        try:
            assert await _paper_reports_the_copy(h) == ["alert", "alert"]
        finally:
            await h.app.aclose()


async def test_items_archived_before_story_words_were_kept_are_read_from_their_text(tmp_path):
    clock = Clock()
    async with FeedServer() as feeds:
        first = await _first_run(tmp_path, feeds, clock)
        await _keep_story_words(tmp_path, first, None)
        h = await _restart(tmp_path, feeds, clock)
        try:
            assert await _paper_reports_the_copy(h) == ["alert", "update"]
        finally:
            await h.app.aclose()


async def test_polls_go_on_while_the_story_index_fills_and_new_items_wait_for_it(
    tmp_path, monkeypatch
):
    """The index is filled beside the writer: claims and a 304 poll are written meanwhile
    (before, the fill was a writer job: the first claim waited for all of it); a poll with a
    new item holds its write back until the index is complete, so the copy is an update."""
    clock = Clock()
    async with FeedServer() as feeds:
        await _first_run(tmp_path, feeds, clock)
        h = await _restart(tmp_path, feeds, clock, warm=False)
        read_members, gate = archive.story_members, asyncio.Event()

        async def held_back(*args, **kwargs):  # the archive's answer, when the test says
            await gate.wait()
            return await read_members(*args, **kwargs)

        monkeypatch.setattr(archive, "story_members", held_back)
        store = h.app.store
        try:
            warming = asyncio.create_task(h.app.warm_clusters())
            await asyncio.sleep(0)
            claimed = store.claim_due_sources(clock(), limit=10, lease_s=60)
            agency, paper = await asyncio.wait_for(claimed, 30)  # a hang guard, not a timing
            assert (await asyncio.wait_for(h.app.pipeline.poll_source(agency), 30)).not_modified
            h.feeds.set_feed("/b.xml", rss_feed([*BASE_B, COPY]))
            asked = len(feeds.requests_to("/b.xml"))
            polling = asyncio.create_task(h.app.pipeline.poll_source(paper))
            while len(feeds.requests_to("/b.xml")) == asked:
                await asyncio.sleep(0.01)
            for _ in range(20):  # time enough to write, were it not held back
                await asyncio.sleep(0.01)
            assert not polling.done() and not warming.done()
            gate.set()
            assert (await polling).new_items == 1
            assert await warming == 3
            assert [d.kind for d in await store.list_deliveries()] == ["alert", "update"]
        finally:
            gate.set()
            await h.app.aclose()
