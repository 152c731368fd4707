"""The running bot: one scheduler job per source, following sources added and removed at run time,
and `wirewatch poll --once` as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.runtime import BotRuntime
from bot.commands import Caller
from tests.app.harness import Clock, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed


class RealClock(Clock):
    """The scheduler runs in real time here, so the app must too."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


ROOT = Path(__file__).resolve().parents[2]
ADMIN = Caller(platform="cli", user_id="ops", is_admin=True)


async def wait_until(condition, timeout: float = 15.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_sources_added_and_removed_at_run_time_get_and_lose_their_jobs(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/a.xml", rss_feed([story(1, "First")]))
        feeds.set_feed("/b.xml", rss_feed([story(2, "Second")]))
        h = await open_harness(
            tmp_path,
            feeds,
            [("A", feeds.url("/a.xml"))],
            [],
            clock=RealClock(),
            poll={"interval": "1s", "min_interval": "1s"},
        )
        runtime = BotRuntime(h.app)
        task = asyncio.create_task(runtime.run())
        try:
            assert await wait_until(lambda: len(feeds.requests_to("/a.xml")) >= 2)
            (source_a,) = await h.app.store.list_sources()
            assert runtime.scheduler.scheduled_sources() == {source_a.id}

            added = await h.app.service.sources_add(ADMIN, feeds.url("/b.xml"))
            assert added.ok, added
            source_b = added.sources[0]
            assert source_b.id in runtime.scheduler.scheduled_sources()
            assert await wait_until(lambda: len(feeds.requests_to("/b.xml")) >= 3)

            removed = await h.app.service.sources_remove(ADMIN, str(source_a.id))
            assert removed.ok
            assert runtime.scheduler.scheduled_sources() == {source_b.id}
            polls = len(feeds.requests_to("/a.xml"))
            await asyncio.sleep(2.5)
            assert len(feeds.requests_to("/a.xml")) == polls
        finally:
            runtime.stop.set()
            await task
            await h.app.aclose()


@pytest.mark.slow
async def test_poll_once_polls_every_source_delivers_and_exits(tmp_path):
    output = tmp_path / "alerts.jsonl"
    async with FeedServer() as feeds:
        feeds.set_feed("/wire.xml", rss_feed([story(1, "Readmission accord signed")]))
        feeds.set_response("/broken.xml", 500, b"down")
        config = tmp_path / "c.toml"
        config.write_text(f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path}/ww.db"
[poll]
backfill = 5
[fetch]
allow_hosts = ["127.0.0.1"]
[[sources]]
name = "Wire"
url = "{feeds.url("/wire.xml")}"
[[sources]]
name = "Broken"
url = "{feeds.url("/broken.xml")}"
[[watches]]
query = "readmission"
to = "jsonl:{output}"
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "poll",
            "--once",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "polled 2 sources: 1 new items, 1 messages sent, 1 failed" in text
    assert "500" in text
    (record,) = [json.loads(line) for line in output.read_text().splitlines()]
    assert record["item"]["title"] == "Readmission accord signed"
