"""The pipeline end to end over real HTTP: feed server -> fetch -> store -> match -> JSONL output."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from bot.store import Store, StoreTransaction
from tests.app.harness import START, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

WATCH = "Algeria AND readmission"
BASE = [story(1, "Markets steady in Asia"), story(2, "Algeria and readmission talks stall")]


async def test_first_poll_is_a_baseline_then_new_items_alert(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/world.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("World", feeds.url("/world.xml"))], [WATCH])
        try:
            (first,) = await h.poll()
            assert first.ok and first.new_items == 2 and first.deliveries == 0
            await h.deliver()
            assert h.records() == []

            new = story(
                3,
                "France and Algeria resume security cooperation",
                "Paris and Algiers agreed on Tuesday to resume cooperation. Officials "
                "said the deal includes the readmission of nationals.",
            )
            feeds.set_feed("/world.xml", rss_feed([*BASE, new]))
            h.clock.advance(minutes=5)
            (second,) = await h.poll()
            assert (second.new_items, second.deliveries) == (1, 1)
            assert await h.deliver() == 1
            (record,) = h.records()
            assert record["type"] == "alert"
            assert record["item"]["title"] == "France and Algeria resume security cooperation"
            assert record["item"]["source"] == "World"
            assert record["watch"]["query"] == WATCH
            assert "readmission" in record["summary"]
            bold = [record["summary"][s:e].lower() for s, e in record["highlights"]]
            assert bold == ["readmission"]
        finally:
            await h.app.aclose()


async def test_unchanged_feed_is_a_conditional_get_answered_304(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/world.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("World", feeds.url("/world.xml"))], [WATCH])
        try:
            await h.poll()
            (again,) = await h.poll()
            assert again.ok and again.not_modified and again.new_items == 0
            last = feeds.requests_to("/world.xml")[-1]
            assert "if-none-match" in {k.lower() for k in last.headers}
            source = (await h.app.store.list_sources())[0]
            assert source.last_status == "not modified" and source.etag
        finally:
            await h.app.aclose()


async def test_duplicate_and_missing_guids_and_tracking_parameters(tmp_path):
    items = [
        story(1, "Algeria readmission deal one", guid="same"),
        story(2, "Algeria readmission deal two", guid="same"),
        story(
            3,
            "Readmission of nationals resumes at Algeria's Oran port",
            guid=None,
            link="https://news.example/a?id=3",
        ),
    ]
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(items))
        h = await open_harness(
            tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH], poll={"backfill": 10}
        )
        try:
            (report,) = await h.poll()
            assert report.new_items == 2  # the second "same" guid is the same item
            await h.deliver()
            assert sorted(r["item"]["title"] for r in h.records()) == [
                "Algeria readmission deal one",
                "Readmission of nationals resumes at Algeria's Oran port",
            ]
            # The guid-less item comes back with tracking parameters: still the same item.
            again = dict(items[2], link="https://news.example/a?utm_source=x&id=3&fbclid=y")
            feeds.set_feed("/f.xml", rss_feed([items[0], again]))
            (report,) = await h.poll()
            assert report.new_items == 0
        finally:
            await h.app.aclose()


async def test_two_copies_of_a_story_in_one_poll_make_one_alert_and_an_update(tmp_path):
    """The copy is matched before the write, yet it sees the alert its story just queued."""
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH])
        try:
            await h.poll()
            copies = [
                story(7, "Algeria and France agree readmission accord in Algiers"),
                story(8, "Algeria, France agree readmission accord in Algiers"),
            ]
            feeds.set_feed("/f.xml", rss_feed([*BASE, *copies]))
            (report,) = await h.poll()
            assert (report.new_items, report.deliveries) == (2, 2)
            alert, update = await h.app.store.list_deliveries()
            assert (alert.kind, update.kind) == ("alert", "update")
            assert update.payload == {"updates_delivery": alert.id}
        finally:
            await h.app.aclose()


async def test_one_story_from_two_outlets_in_one_writer_batch_alerts_once(tmp_path):
    """Both polls' writes wait behind a held writer, so they are written together in one
    call (bot.store.poll_writes): the second outlet's copy still becomes an update."""
    async with FeedServer() as feeds:
        feeds.set_feed("/a.xml", rss_feed(BASE))
        feeds.set_feed("/b.xml", rss_feed([story(11, "Markets steady in Europe")]))
        outlets = [("A", feeds.url("/a.xml")), ("B", feeds.url("/b.xml"))]
        h = await open_harness(tmp_path, feeds, outlets, [WATCH])
        try:
            await h.poll()
            feeds.set_feed(
                "/a.xml",
                rss_feed([*BASE, story(7, "Algeria and France agree readmission accord")]),
            )
            feeds.set_feed(
                "/b.xml",
                rss_feed(
                    [
                        story(11, "Markets steady in Europe"),
                        story(
                            12,
                            "Algeria, France agree readmission accord",
                            link="https://b.example/algeria-france-readmission",
                        ),
                    ]
                ),
            )
            h.clock.advance(minutes=5)
            release = asyncio.Event()

            async def hold(tx: StoreTransaction) -> None:
                await release.wait()

            held = asyncio.create_task(h.app.store.submit(hold))
            polls = asyncio.create_task(h.poll())
            while h.app.store._writer.queued < 2:  # both polls' writes wait for the writer
                await asyncio.sleep(0.01)
            commits = h.app.store._writer.commits
            release.set()
            await held
            reports = await polls
            assert h.app.store._writer.commits == commits + 2  # the hold, then both polls
            assert sorted((r.new_items, r.deliveries) for r in reports) == [(1, 1), (1, 1)]
            alert, update = await h.app.store.list_deliveries()
            assert (alert.kind, update.kind) == ("alert", "update")
            assert update.payload == {"updates_delivery": alert.id}
        finally:
            await h.app.aclose()


async def test_backfill_alerts_only_the_newest_n_on_first_poll(tmp_path):
    items = [story(i, f"Algeria readmission update {i}") for i in range(1, 6)]
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(items))
        h = await open_harness(
            tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH], poll={"backfill": 2}
        )
        try:
            await h.poll()
            await h.deliver()
            titles = sorted(r["item"]["title"] for r in h.records())
            assert titles == ["Algeria readmission update 4", "Algeria readmission update 5"]
        finally:
            await h.app.aclose()


async def test_restart_never_alerts_again(tmp_path):
    new = story(3, "Algeria readmission agreement signed")
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE), etag=False)
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH])
        await h.poll()
        feeds.set_feed("/f.xml", rss_feed([*BASE, new]), etag=False)
        await h.poll()
        await h.deliver()
        await h.app.aclose()
        assert len(h.records()) == 1

        h2 = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH])
        try:
            (report,) = await h2.poll()
            assert report.ok and report.new_items == 0
            await h2.deliver()
            assert len(h2.records()) == 1
            assert len(await h2.app.store.list_watches()) == 1  # config watches not duplicated
        finally:
            await h2.app.aclose()


async def test_failing_source_backs_off_without_disturbing_others(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/good.xml", rss_feed(BASE))
        feeds.set_response("/bad.xml", 500, b"internal error")
        feeds.set_feed(
            "/garbage.xml", b"\x00\xff this is not a feed <<<", content_type="application/rss+xml"
        )
        h = await open_harness(
            tmp_path,
            feeds,
            [
                ("Good", feeds.url("/good.xml")),
                ("Bad", feeds.url("/bad.xml")),
                ("Garbage", feeds.url("/garbage.xml")),
            ],
            [WATCH],
        )
        try:
            reports = {r.source_id: r for r in await h.poll()}
            by_name = {s.name: s for s in await h.app.store.list_sources()}
            assert reports[by_name["Good"].id].ok
            for name in ("Bad", "Garbage"):
                source = by_name[name]
                assert not reports[source.id].ok
                assert source.consecutive_failures == 1 and source.last_error
                assert source.next_poll_at is not None
                assert source.next_poll_at > START + timedelta(seconds=60)
            assert "500" in by_name["Bad"].last_error
            feeds.set_feed("/good.xml", rss_feed([*BASE, story(9, "Algeria readmission pact")]))
            await h.poll()
            assert await h.deliver() == 1
        finally:
            await h.app.aclose()


async def test_source_disabled_after_ten_failures_with_reason(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_response("/bad.xml", 503, b"down")
        h = await open_harness(tmp_path, feeds, [("Bad", feeds.url("/bad.xml"))], [WATCH])
        try:
            for _ in range(10):
                await h.poll()
            (source,) = await h.app.store.list_sources()
            assert not source.enabled
            assert "disabled after 10 failures" in source.disabled_reason
            assert await h.poll() == []
        finally:
            await h.app.aclose()


async def test_items_seen_marks_and_deliveries_commit_together(tmp_path, monkeypatch):
    """A failure inside the poll's write leaves no seen marks and no story behind: nothing lost."""
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [WATCH])
        try:
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed([*BASE, story(5, "Algeria readmission accord")]))
            store: Store = h.app.store
            remembered = len(h.app.clusters)
            real_enqueue = StoreTransaction.enqueue

            class Boom(Exception):
                pass

            async def failing_enqueue(self, deliveries, *, now):
                await real_enqueue(self, deliveries, now=now)
                raise Boom

            monkeypatch.setattr(StoreTransaction, "enqueue", failing_enqueue)
            with contextlib.suppress(Boom):
                await h.poll()
            monkeypatch.setattr(StoreTransaction, "enqueue", real_enqueue)
            assert len(h.app.clusters) == remembered  # the story assignment was undone
            assert await store.list_deliveries() == []
            (report,) = await h.poll()
            assert (report.new_items, report.deliveries) == (1, 1)
        finally:
            await h.app.aclose()
