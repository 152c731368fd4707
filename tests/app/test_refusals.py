"""Issue #18 point 1: a destination that refuses for good pauses its watch and loses nothing.

Every undelivered alert of the watch stays pending while it is paused (those already claimed in
the same batch too) and goes out once it is resumed; the owner is told once.
"""

from __future__ import annotations

import json
import logging

from bot.commands.service import Caller
from tests.app.harness import open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

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
    "Chess federation weighs readmission of banned grandmaster",
    "Orchestra votes on readmission of conductor after tour dispute",
    "Airline regains readmission to Heathrow slots auction",
    "Hospital reviews readmission rates for cardiac patients",
]
FRESH = [story(10 + n, title) for n, title in enumerate(HEADLINES)]


async def test_a_refusing_jsonl_path_pauses_the_watch_and_every_alert_arrives_after_resume(
    tmp_path, caplog
):
    caplog.set_level(logging.WARNING)
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(
            tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], alerts={"burst_limit": 100}
        )
        try:
            target = tmp_path / "out" / "alerts.jsonl"
            target.mkdir(parents=True)  # a directory where the file should be: EISDIR, for good
            watch = await h.app.store.add_watch("readmission", f"jsonl:{target}")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + FRESH))
            await h.poll()

            assert await h.deliver() == 0
            paused = await h.app.store.get_watch(watch.id)
            assert paused is not None and paused.paused
            assert "Is a directory" in paused.paused_reason
            deliveries = await h.app.store.list_deliveries(watch_id=watch.id)
            assert len(deliveries) == len(FRESH)
            assert {d.status for d in deliveries} == {"pending"}
            assert {d.attempts for d in deliveries} == {0}  # a refusal is no failed try
            told = [r for r in caplog.records if "was paused" in r.getMessage()]
            assert len(told) == 1, [r.getMessage() for r in told]
            # An operator's watch: the log speaks the terminal's words, no chat code marks.
            assert f"wirewatch watch resume {watch.id}" in told[0].getMessage()
            assert "`" not in told[0].getMessage()

            h.clock.advance(minutes=5)
            assert await h.deliver() == 0  # paused: nothing is claimed, nothing is lost

            target.rmdir()  # the operator fixes the path and resumes the watch
            resumed = await h.app.service.watch_resume(ADMIN, str(watch.id))
            assert resumed.ok, resumed
            assert await h.deliver() == len(FRESH)
            records = [json.loads(line) for line in target.read_text().splitlines()]
            titles = sorted(r["item"]["title"] for r in records)
            assert titles == sorted(s["title"] for s in FRESH)
            statuses = {d.status for d in await h.app.store.list_deliveries(watch_id=watch.id)}
            assert statuses == {"sent"}
        finally:
            await h.app.aclose()


async def test_a_refused_fold_keeps_its_members_together_for_the_resume(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(
            tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], alerts={"burst_limit": 2}
        )
        try:
            target = tmp_path / "alerts.jsonl"
            target.mkdir()
            watch = await h.app.store.add_watch("readmission", f"jsonl:{target}")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + FRESH[:6]))
            await h.poll()
            await h.deliver()
            assert {d.status for d in await h.app.store.list_deliveries()} == {"pending"}

            target.rmdir()
            assert (await h.app.service.watch_resume(ADMIN, str(watch.id))).ok
            await h.deliver()
            records = [json.loads(line) for line in target.read_text().splitlines()]
            assert [r["type"] for r in records] == ["alert", "alert", "burst"]
            stories = [s["item"]["title"] for r in records for s in r["stories"]]
            assert sorted(stories) == sorted(s["title"] for s in FRESH[:6])  # each exactly once
        finally:
            await h.app.aclose()
