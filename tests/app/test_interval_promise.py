"""The interval promise over real HTTP: a feed whose items are hours apart is still polled every
interval; the publisher's max-age and back-off lengthen the wait, and the list says why."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.runtime import BotRuntime
from bot.commands.service import Caller
from tests.app.harness import START, Clock, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

ADMIN = Caller(platform="cli", user_id="ops", is_admin=True)
ADAPTIVE = {"adaptive": True, "jitter": 0.1, "min_interval": "30s", "max_interval": "6h"}


def hours_apart(count: int, newest: datetime) -> list[dict]:
    """`count` stories published three hours apart, the newest at `newest`."""
    return [
        story(n, f"Story {n}", when=newest - timedelta(hours=3 * (count - n)))
        for n in range(1, count + 1)
    ]


async def test_a_one_minute_source_of_a_feed_publishing_hours_apart_is_polled_every_minute(
    tmp_path,
):
    async with FeedServer() as feeds:
        feeds.set_feed("/slow.xml", rss_feed(hours_apart(6, START)))
        h = await open_harness(
            tmp_path, feeds, [("Slow", feeds.url("/slow.xml"))], [], poll=ADAPTIVE
        )
        try:
            await h.app.store.update_source(1, interval_s=60)
            for n in range(7, 17):  # ten polls; a new story every 3 hours of feed time
                feeds.set_feed("/slow.xml", rss_feed(hours_apart(n, h.clock.now)))
                (report,) = await h.poll()
                assert report.ok
                (source,) = await h.app.store.list_sources()
                gap = (source.next_poll_at - h.clock.now).total_seconds()
                assert 54 <= gap <= 66, (n, gap, source.next_poll_reason)
                assert source.next_poll_reason == "interval 1m"
                h.clock.now = source.next_poll_at
            listed = await h.app.service.sources_list(ADMIN)
            assert listed.next_polls[1].startswith("due now (interval 1m)")
        finally:
            await h.app.aclose()


async def test_a_busy_feed_is_polled_sooner_and_the_list_says_so(tmp_path):
    busy = [story(n, f"Story {n}", when=START - timedelta(minutes=2 * n)) for n in range(10)]
    async with FeedServer() as feeds:
        feeds.set_feed("/busy.xml", rss_feed(busy))
        h = await open_harness(
            tmp_path, feeds, [("Busy", feeds.url("/busy.xml"))], [], poll=ADAPTIVE
        )
        try:
            await h.app.store.update_source(1, interval_s=600)
            await h.poll()
            (source,) = await h.app.store.list_sources()
            assert source.next_poll_reason == "busy feed: every 6m (interval 10m)"
            listed = await h.app.service.sources_list(ADMIN)
            assert listed.next_polls[1].endswith("(busy feed: every 6m (interval 10m))")
            assert listed.next_polls[1].startswith("in ")
        finally:
            await h.app.aclose()


async def test_the_publishers_max_age_and_back_off_lengthen_the_wait_and_say_why(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed(
            "/cached.xml",
            rss_feed(hours_apart(3, START)),
            headers={"Cache-Control": "public, max-age=900"},
        )
        feeds.set_response("/down.xml", 500, b"down")
        feeds.set_response("/busy.xml", 503, b"later", headers={"Retry-After": "7200"})
        h = await open_harness(
            tmp_path,
            feeds,
            [
                ("Cached", feeds.url("/cached.xml")),
                ("Down", feeds.url("/down.xml")),
                ("Limited", feeds.url("/busy.xml")),
            ],
            [],
            poll={**ADAPTIVE, "interval": "1m"},
        )
        try:
            await h.poll()
            sources = {s.name: s for s in await h.app.store.list_sources()}
            assert sources["Cached"].next_poll_reason == "publisher's max-age 15m"
            assert sources["Down"].next_poll_reason == "back-off after failure"
            limited = sources["Limited"]
            assert limited.next_poll_reason == "publisher's Retry-After 2h (after failure)"
            assert limited.next_poll_at == h.clock.now + timedelta(hours=2)
            listed = await h.app.service.sources_list(ADMIN)
            by_name = {s.name: listed.next_polls[s.id] for s in listed.sources}
            assert (
                by_name["Limited"]
                == "in 2h, 12:00 UTC (publisher's Retry-After 2h (after failure))"
            )
            await h.poll()
            down = {s.name: s for s in await h.app.store.list_sources()}["Down"]
            assert down.next_poll_reason == "back-off after 2 failures in a row"
        finally:
            await h.app.aclose()


class RealClock(Clock):
    """The scheduler runs in real time here, so the app must too."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


@pytest.mark.slow
async def test_the_running_bot_keeps_polling_a_feed_whose_items_are_hours_apart(tmp_path):
    now = datetime.now(UTC)
    async with FeedServer() as feeds:
        feeds.set_feed("/slow.xml", rss_feed(hours_apart(8, now)))
        h = await open_harness(
            tmp_path,
            feeds,
            [("Slow", feeds.url("/slow.xml"))],
            [],
            clock=RealClock(),
            poll={"interval": "2s", "min_interval": "1s", "adaptive": True, "jitter": 0.0},
        )
        runtime = BotRuntime(h.app)
        task = asyncio.create_task(runtime.run())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while len(feeds.requests_to("/slow.xml")) < 3 and loop.time() < deadline:
                await asyncio.sleep(0.1)
            assert len(feeds.requests_to("/slow.xml")) >= 3
        finally:
            runtime.stop.set()
            await task
            await h.app.aclose()
