"""After a restart the story index holds the window's items again, rebuilt from their kept words."""

from __future__ import annotations

from pathlib import Path

from bot.store import Store
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


async def _restart(tmp_path: Path, feeds: FeedServer, clock: Clock) -> Harness:
    clock.advance(minutes=5)
    return await open_harness(tmp_path, feeds, _sources(feeds), [WATCH], clock=clock)


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
