"""/metrics of a running bot: polls, fetch times, items, matches, deliveries and their latency,
the outbox, leases and leadership, in the Prometheus text format; /healthz and /readyz beside it."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.app.metrics import Metrics
from bot.app.runtime import BotRuntime
from tests.app.harness import open_harness, story
from tests.app.test_runtime import RealClock, wait_until
from tests.fakes.feed_server import FeedServer, rss_feed


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_each_metrics_has_its_own_registry():
    one, two = Metrics(), Metrics()  # the global registry would refuse the second
    one.polls.labels("ok").inc()
    assert b'wirewatch_polls_total{outcome="ok"} 1.0' in one.render()
    assert b'wirewatch_polls_total{outcome="ok"} 0.0' in two.render()


async def test_metrics_count_what_the_running_bot_did(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed(
            "/a.xml", rss_feed([story(1, "Algeria readmission deal"), story(2, "Weather")])
        )
        h = await open_harness(
            tmp_path,
            feeds,
            [("A", feeds.url("/a.xml"))],
            ["Algeria"],
            clock=RealClock(),
            poll={"backfill": 5},
            web={"enabled": True, "port": 0},
        )
        runtime = BotRuntime(h.app)
        task = asyncio.create_task(runtime.run())
        try:
            assert await wait_until(lambda: len(h.records()) == 1)
            assert runtime.web is not None
            base = f"http://127.0.0.1:{runtime.web.server.port}"
            async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
                answer = await http.get("/metrics")
                ready = await http.get("/readyz")
                alive = await http.get("/healthz")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/plain; version=")
            got = samples(answer.text)
            assert got[("wirewatch_polls_total", (("outcome", "ok"),))] == 1
            assert got[("wirewatch_polls_total", (("outcome", "error"),))] == 0
            assert got[("wirewatch_fetch_seconds_count", ())] == 1
            assert got[("wirewatch_items_total", ())] == 2
            assert got[("wirewatch_matches_total", ())] == 1
            sent = (("destination", "jsonl"), ("status", "sent"))
            assert got[("wirewatch_deliveries_total", sent)] == 1
            assert got[("wirewatch_delivery_latency_seconds_count", ())] == 1
            assert got[("wirewatch_outbox_pending", ())] == 0
            assert got[("wirewatch_sources_leased", ())] == 0
            assert got[("wirewatch_is_leader", ())] == 1
            assert "python_gc_objects_collected_total" not in answer.text  # not the global one
            assert ready.status_code == 200 and "scheduler: ok" in ready.text
            assert alive.status_code == 200 and alive.text == "ok\n"
        finally:
            runtime.stop.set()
            await task
            await h.app.aclose()
