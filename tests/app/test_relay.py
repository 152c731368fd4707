"""The relay: burst folding, digests on an injected clock, story updates, pausing, retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.commands.service import Caller
from tests.app.harness import Clock, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.loopback import serve_on_loopback

BASE = [story(1, "Markets steady in Asia")]
ADMIN = Caller(platform="cli", user_id="ops", is_admin=True)
HEADLINES = [
    "Lisbon ferry workers strike over readmission of sacked crew",
    "Kenya tea exporters win readmission to Pakistani auction",
    "Quebec court orders readmission of expelled hockey student",
    "Norwegian fishing fleet seeks readmission to Svalbard waters",
    "Peru copper miners demand readmission after landslide closure",
    "Vietnam rice harvest lifts hopes of readmission to EU market",
    "Senegal fintech startup granted readmission by central bank",
    "Perth wildfire evacuees allowed readmission to suburbs",
]


async def test_a_burst_folds_past_five_alerts_a_minute(tmp_path):
    burst = [
        story(10 + i, title, f"{title}. Officials confirmed it on Monday.")
        for i, title in enumerate(HEADLINES)
    ]
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(
            tmp_path,
            feeds,
            [("F", feeds.url("/f.xml"))],
            ["readmission"],
            alerts={"updates": "off"},
        )
        try:
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + burst))
            await h.poll()
            await h.deliver()
            records = h.records()
            kinds = [r["type"] for r in records]
            assert kinds == ["alert"] * 5 + ["burst"]
            assert len(records[-1]["stories"]) == 3
            # The next minute starts afresh.
            h.clock.advance(minutes=2)
            feeds.set_feed("/f.xml", rss_feed(BASE + burst + [story(50, "Readmission appeal")]))
            await h.poll()
            await h.deliver()
            assert h.records()[-1]["type"] == "alert"
        finally:
            await h.app.aclose()


async def test_hourly_digest_waits_for_the_hour_then_sends_one_message(tmp_path):
    clock = Clock(datetime(2026, 11, 23, 10, 20, tzinfo=UTC))
    items = [story(10 + i, HEADLINES[i]) for i in range(3)]
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], clock=clock)
        try:
            await h.app.store.add_watch("readmission", f"jsonl:{h.jsonl}", mode="hourly")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + items))
            await h.poll()
            clock.advance(minutes=30)  # 10:50: not yet
            assert await h.deliver() == 0 and h.records() == []
            clock.advance(minutes=10, seconds=5)  # 11:00:05
            assert await h.deliver() == 1
            (digest,) = h.records()
            assert digest["type"] == "digest"
            titles = [s["item"]["title"] for s in digest["stories"]]
            assert titles == [HEADLINES[2], HEADLINES[1], HEADLINES[0]]  # newest first
        finally:
            await h.app.aclose()


async def test_a_weekly_digest_waits_for_its_day_and_time_in_its_zone(tmp_path):
    clock = Clock(datetime(2026, 11, 23, 10, 20, tzinfo=UTC))  # a Monday
    items = [story(10 + i, HEADLINES[i]) for i in range(2)]
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], clock=clock)
        try:
            reply = await h.app.service.watch_add(
                ADMIN,
                "readmission",
                channel=f"jsonl:{h.jsonl}",
                digest="weekly mon 08:00 Europe/Paris",
            )
            assert reply.ok, reply
            (watch,) = reply.watches
            assert (watch.mode, watch.tz) == ("weekly mon 08:00", "Europe/Paris")
            assert "as a weekly mon 08:00 digest (Europe/Paris)" in " ".join(map(str, reply.lines))
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + items))
            await h.poll()
            clock.now = datetime(2026, 11, 30, 6, 59, tzinfo=UTC)  # 07:59 in Paris
            assert await h.deliver() == 0 and h.records() == []
            clock.now = datetime(2026, 11, 30, 7, 0, 5, tzinfo=UTC)  # Monday 08:00:05 in Paris
            assert await h.deliver() == 1
            (digest,) = h.records()
            assert digest["type"] == "digest" and len(digest["stories"]) == 2
        finally:
            await h.app.aclose()


def outlet(n: int, source_title: str, when: datetime) -> dict:
    return story(
        n,
        source_title,
        "Paris and Algiers agreed on Tuesday to resume security cooperation, including "
        "the readmission of Algerian nationals, after two years of diplomatic tension.",
        when=when,
    )


async def test_three_outlets_one_story_one_alert_updated_twice(tmp_path):
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    async with FeedServer() as feeds:
        for path in ("/a.xml", "/b.xml", "/c.xml"):
            feeds.set_feed(path, rss_feed(BASE))
        sources = [
            ("Wire Service", feeds.url("/a.xml")),
            ("Daily Ledger", feeds.url("/b.xml")),
            ("Gulf Observer", feeds.url("/c.xml")),
        ]
        h = await open_harness(tmp_path, feeds, sources, ["Algeria AND readmission"])
        try:
            await h.poll()

            async def carried_by(path: str, n: int, headline: str, minutes: int) -> None:
                story_copy = outlet(n, headline, t0 + timedelta(minutes=minutes))
                feeds.set_feed(path, rss_feed([*BASE, story_copy]))
                await h.poll()
                await h.deliver()

            await carried_by(
                "/a.xml", 2, "France and Algeria agree to resume security cooperation", 0
            )
            await carried_by("/b.xml", 3, "France, Algeria to resume security cooperation", 20)
            await carried_by("/c.xml", 4, "Algeria and France resume security cooperation", 40)
            records = h.records()
            assert [r["type"] for r in records] == ["alert", "update", "update"]
            alert_id = str(records[0]["delivery_id"])
            assert all(str(r["updates"]) == alert_id for r in records[1:])
            assert records[1]["also_reported_by"] == ["Daily Ledger"]
            assert records[2]["also_reported_by"] == ["Daily Ledger", "Gulf Observer"]
        finally:
            await h.app.aclose()


async def test_a_destination_that_refuses_pauses_the_watch(tmp_path):
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no such hook")

    app = web.Application()
    app.router.add_post("/hook", gone)
    runner, port = await serve_on_loopback(app)
    try:
        async with FeedServer() as feeds:
            feeds.set_feed("/f.xml", rss_feed(BASE))
            h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [])
            watch = await h.app.store.add_watch(
                "readmission", f"webhook:http://127.0.0.1:{port}/hook"
            )
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed([*BASE, story(5, "Readmission talks")]))
            await h.poll()
            await h.deliver()
            paused = await h.app.store.get_watch(watch.id)
            assert paused is not None and paused.paused
            assert "404" in paused.paused_reason
            (delivery,) = await h.app.store.list_deliveries(watch_id=watch.id)
            assert delivery.status == "pending"  # kept for when the watch resumes
            await h.app.aclose()
    finally:
        await runner.cleanup()


async def test_temporary_failures_are_retried_with_the_same_idempotency_key(tmp_path):
    keys: list[str] = []

    async def flaky(request: web.Request) -> web.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            return web.Response(status=503, headers={"Retry-After": "7"})
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner, port = await serve_on_loopback(app)
    try:
        async with FeedServer() as feeds:
            feeds.set_feed("/f.xml", rss_feed(BASE))
            h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [])
            await h.app.store.add_watch("readmission", f"webhook:http://127.0.0.1:{port}/hook")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed([*BASE, story(5, "Readmission talks")]))
            await h.poll()
            await h.deliver()
            assert len(keys) == 1
            (pending,) = await h.app.store.list_deliveries()
            assert pending.status == "pending" and pending.due_at is not None
            assert pending.due_at >= h.clock.now + timedelta(seconds=7)
            h.clock.advance(seconds=60)
            await h.deliver()
            assert len(keys) == 2 and keys[0] == keys[1]
            (sent,) = await h.app.store.list_deliveries()
            assert sent.status == "sent"
            await h.app.aclose()
    finally:
        await runner.cleanup()
    await asyncio.sleep(0)
