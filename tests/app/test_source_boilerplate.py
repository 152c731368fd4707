"""Per-source boilerplate end to end: real feeds on loopback, the pipeline, the store, alerts.

The boilerplate a source repeats is learned from its items, kept out of matching, clustering
and summaries, saved with the source (so it survives a restart) and still found by `content:`.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.demo import DemoFeeds
from tests.app.harness import open_harness
from tests.fakes.feed_server import FeedServer

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
HN = (FEEDS / "hacker-news.rss").read_text()
NEWEST = "Show HN: A spreadsheet that runs in the terminal"


def without_newest(feed: str) -> str:
    """The feed as it was before its newest item (the first <item>) was published."""
    return re.sub(r"<item>.*?</item>\n", "", feed, count=1, flags=re.S)


async def test_hacker_news_template_stays_out_of_alerts_and_stories(tmp_path: Path) -> None:
    watches = ["spreadsheet", "points", "content:points AND spreadsheet", "comments"]
    async with FeedServer() as feeds:
        feeds.set_feed("/hn.xml", without_newest(HN))
        h = await open_harness(tmp_path, feeds, [("HN", feeds.url("/hn.xml"))], watches)
        try:
            (baseline,) = await h.poll()
            assert baseline.new_items == 7
            feeds.set_feed("/hn.xml", HN)
            h.clock.advance(minutes=5)
            (report,) = await h.poll()
            assert report.new_items == 1
            await h.deliver()
            alerts = {r["watch"]["query"]: r for r in h.records() if r["type"] == "alert"}
            assert set(alerts) == {"spreadsheet", "content:points AND spreadsheet"}
            assert alerts["spreadsheet"]["summary"] == NEWEST  # no body left: the title
            stored = [
                a for a in await h.app.store.recent_items(h.clock.now) if a.item.title == NEWEST
            ]
            (item,) = stored
            assert item.item.summary == ""
            assert item.item.boilerplate.startswith("Article URL: https://github.example/")
            assert item.cluster_id == item.id  # not joined to the other HN stories
        finally:
            await h.app.aclose()


async def test_what_a_source_taught_survives_a_restart(tmp_path: Path) -> None:
    async with FeedServer() as feeds:
        feeds.set_feed("/hn.xml", without_newest(HN))
        sources = [("HN", feeds.url("/hn.xml"))]
        first = await open_harness(tmp_path, feeds, sources, [])
        try:
            await first.poll()
        finally:
            await first.app.aclose()
        feeds.set_feed("/hn.xml", HN)
        again = await open_harness(tmp_path, feeds, sources, [])  # a new process, same database
        try:
            (report,) = await again.poll()
            assert report.new_items == 1
            (newest,) = [
                a
                for a in await again.app.store.recent_items(again.clock.now)
                if a.item.title == NEWEST
            ]
            # One new item alone teaches nothing, and the generic list does not know these lines:
            # only the state saved by the first process can take them out.
            assert newest.item.summary == ""
            assert "Comments URL: https://news.ycombinator.example/" in newest.item.boilerplate
        finally:
            await again.app.aclose()


async def test_the_demo_seed_story_alert_does_not_lead_with_the_cms_furniture(
    tmp_path: Path,
) -> None:
    async with DemoFeeds() as demo, FeedServer() as unused:
        wire = [(name, url) for name, url in demo.sources() if name == "Wire Service"]
        h = await open_harness(tmp_path, unused, wire, ["Algeria AND readmission"])
        try:
            await h.poll()
            demo.advance()
            h.clock.advance(minutes=5)
            await h.poll()
            await h.deliver()
            (record,) = [r for r in h.records() if r["type"] == "alert"]
            assert (
                record["item"]["title"] == "France and Algeria agree to resume security cooperation"
            )
            summary = record["summary"]
            assert summary.startswith("France and Algeria agreed on Monday")
            assert "Total Views" not in summary and "Zoom In" not in summary
            assert "readmission of its nationals" in summary
        finally:
            await h.app.aclose()
