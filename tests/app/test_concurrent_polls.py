"""Many polls at once on one SQLite file: no "database is locked", nothing lost.

The reproduction of `wirewatch poll --once` over 300 feeds aborting with "database is locked":
here 30 feeds of 10 items are polled 30 at a time, with 200 watches to match, on one SQLite file
whose busy timeout is 0 ms, so any two of the process's transactions writing at once would fail.
"""

from __future__ import annotations

import random

import pytest

from bot.store import engine as store_engine
from tests.app.harness import open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

FEEDS = 30
ITEMS = 10
pytestmark = pytest.mark.slow

TOPICS = ["algeria", "readmission", "harbour", "election", "storm", "market", "court", "energy"]
# Distinct made-up words, so that items are distinct stories (clustering has little to compare).
VOCABULARY = [a + b + c for a in "bdgklmnprstvz" for b in "aeiou" for c in ("n", "r", "sk", "lt")]


def feed_items(feed: int, version: int) -> list[dict]:
    rand = random.Random(feed * 10 + version)
    items = []
    for n in range(ITEMS):
        words = " ".join(rand.sample(VOCABULARY, 8))
        topic = TOPICS[(feed + n) % len(TOPICS)]
        items.append(story(feed * 1000 + version * 100 + n, f"{topic.title()} {words}"))
    return items


async def test_thirty_feeds_polled_at_once_commit_without_lock_errors(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 0)
    watches = [f"{TOPICS[n % 8]} OR {VOCABULARY[n]}" for n in range(200)]
    async with FeedServer() as feeds:
        for feed in range(FEEDS):
            feeds.set_feed(f"/{feed}.xml", rss_feed(feed_items(feed, 0)))
        sources = [(f"Feed {n}", feeds.url(f"/{n}.xml")) for n in range(FEEDS)]
        h = await open_harness(
            tmp_path,
            feeds,
            sources,
            watches,
            poll={"concurrency": 30},
            fetch={"per_host_concurrency": 30},
        )
        try:
            baseline = await h.poll()
            assert [r.error for r in baseline if not r.ok] == []
            assert sum(r.new_items for r in baseline) == FEEDS * ITEMS
            for feed in range(FEEDS):
                feeds.set_feed(f"/{feed}.xml", rss_feed(feed_items(feed, 1)))
            second = await h.poll()
            assert [r.error for r in second if not r.ok] == []
            assert sum(r.new_items for r in second) == FEEDS * ITEMS
            assert sum(r.deliveries for r in second) > 0
            counts = await h.app.store.counts()
            assert counts["items"] == 2 * FEEDS * ITEMS
            assert counts["pending"] == sum(r.deliveries for r in second)
        finally:
            await h.app.aclose()
