"""Issue #18 point 7 through the relay: a backlog folded by the burst guard (or a digest) lists
every story; none is reduced to a count."""

from __future__ import annotations

from tests.app.harness import open_harness, story
from tests.app.test_refusals import HEADLINES
from tests.fakes.feed_server import FeedServer, rss_feed

BASE = [story(1, "Markets steady in Asia")]
FRESH = [story(10 + n, title) for n, title in enumerate(HEADLINES)]


async def test_a_burst_fold_lists_every_story_with_the_first_ones_summarised(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(
            tmp_path,
            feeds,
            [("F", feeds.url("/f.xml"))],
            ["readmission"],
            alerts={"burst_limit": 2, "digest_limit": 3, "updates": "off"},
        )
        try:
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed(BASE + FRESH))
            await h.poll()
            await h.deliver()
            records = h.records()
            assert [r["type"] for r in records] == ["alert", "alert", "burst"]
            burst = records[-1]
            assert burst["more"] == 0 and len(burst["stories"]) == len(FRESH) - 2
            summaries = [s["summary"] for s in burst["stories"]]
            assert all(summaries[:3]) and not any(summaries[3:])  # the rest: headline and link
            titles = [s["item"]["title"] for r in records for s in r["stories"]]
            assert sorted(titles) == sorted(HEADLINES)
            assert all(s["item"]["url"] for r in records for s in r["stories"])
        finally:
            await h.app.aclose()
