"""The running bot: polls dispatched from the database, following sources added and removed at run
time, a prompt stop on SIGTERM, and `wirewatch poll --once` as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.app.runtime import BotRuntime
from bot.commands.service import Caller
from bot.store import Store
from tests.app.harness import Clock, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.loopback import serve_on_loopback


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


@pytest.mark.slow  # real 1 s intervals and a 3 s watch for polls that must not come
async def test_sources_added_and_removed_at_run_time_are_polled_and_dropped(tmp_path):
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

            # added from chat: polled at once, not when the dispatcher's idle sleep ends
            added = await h.app.service.sources_add(ADMIN, feeds.url("/b.xml"))
            assert added.ok, added
            source_b = added.sources[0]
            assert await wait_until(lambda: len(feeds.requests_to("/b.xml")) >= 1, timeout=5)
            assert await wait_until(lambda: len(feeds.requests_to("/b.xml")) >= 3)

            refused = await h.app.service.sources_remove(ADMIN, str(source_a.id))
            assert not refused.ok  # the config file owns A
            removed = await h.app.service.sources_remove(ADMIN, str(source_b.id))
            assert removed.ok
            await asyncio.sleep(0.5)  # a poll of B already in flight may finish
            polls = len(feeds.requests_to("/b.xml"))
            await asyncio.sleep(2.5)
            assert len(feeds.requests_to("/b.xml")) == polls
        finally:
            runtime.stop.set()
            await task
            await h.app.aclose()


@pytest.mark.slow
async def test_sigterm_stops_polls_in_flight_at_once_and_hands_their_sources_back(tmp_path):
    """A feed that never answers holds a poll; SIGTERM still ends the bot within seconds."""
    answering = asyncio.Event()
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        answering.set()
        await release.wait()
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_get("/slow.xml", hang)
    runner, port = await serve_on_loopback(app)
    config = tmp_path / "c.toml"
    config.write_text(f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path}/ww.db"
[fetch]
allow_hosts = ["127.0.0.1"]
timeout = "50s"
[[sources]]
name = "Slow"
url = "http://127.0.0.1:{port}/slow.xml"
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await asyncio.wait_for(answering.wait(), 30)
        stopped_at = asyncio.get_running_loop().time()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)
        took = asyncio.get_running_loop().time() - stopped_at
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        release.set()
        await runner.cleanup()
    assert proc.returncode == 0, (await proc.stderr.read()).decode()[-2000:]
    assert took < 10
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/ww.db")
    try:
        (source,) = await store.list_sources()
    finally:
        await store.close()
    # the poll cut short recorded nothing and its source is due again at once, not after a lease
    assert source.last_polled_at is None
    assert source.next_poll_at is not None
    assert source.next_poll_at <= datetime.now(UTC)


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
