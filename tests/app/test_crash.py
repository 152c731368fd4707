"""Crash safety: `kill -9` the bot at many moments, restart it, and nothing is lost or doubled.

The bot runs as a real subprocess (`python -m bot run`) against a loopback feed server.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests.app.harness import story
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.loopback import serve_on_loopback

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NEW_ITEMS = 40


def write_config(tmp: Path, feed_url: str, destination: str) -> Path:
    config = tmp / "wirewatch.toml"
    config.write_text(f"""
log_level = "INFO"
[database]
url = "sqlite+aiosqlite:///{tmp}/ww.db"
[poll]
interval = "1s"
min_interval = "1s"
adaptive = false
jitter = 0.0
[fetch]
allow_hosts = ["127.0.0.1"]
[alerts]
burst_limit = 100
delivery_lease = "2s"
[[sources]]
name = "Wire"
url = "{feed_url}"
[[watches]]
query = "readmission"
to = "{destination}"
""")
    return config


async def start_bot(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "run",
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
    )


def running_count(log: Path) -> int:
    """How many times a bot wrote its "running" line to `log` (its signal handlers are set)."""
    return log.read_text(errors="replace").count("wirewatch running") if log.exists() else 0


async def stop_cleanly(proc: asyncio.subprocess.Process, log: Path, started_before: int) -> int:
    """SIGTERM once the bot is up (before that the default handler would kill it)."""
    assert await wait_until(lambda: running_count(log) > started_before, 30), (
        "the bot never started"
    )
    proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 20)


async def kill9(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGKILL)
    await proc.wait()


async def wait_until(condition, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


def jsonl_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")
    complete = lines[:-1] if not text.endswith("\n") else [ln for ln in lines if ln]
    return [json.loads(line) for line in complete if line]


async def test_kill_9_at_many_moments_loses_nothing_and_writes_nothing_twice(tmp_path):
    baseline = [story(i, f"Baseline story {i}") for i in range(5)]
    fresh = [
        story(
            100 + i,
            f"Readmission story number {i}",
            f"Officials discussed the readmission of nationals, part {i}.",
        )
        for i in range(NEW_ITEMS)
    ]
    output = tmp_path / "alerts.jsonl"
    log = tmp_path / "bot.log"
    async with FeedServer() as feeds:
        feeds.set_feed("/wire.xml", rss_feed(baseline))
        config = write_config(tmp_path, feeds.url("/wire.xml"), f"jsonl:{output}")

        proc = await start_bot(config, log)
        assert await wait_until(lambda: len(feeds.requests_to("/wire.xml")) >= 2, 30), (
            log.read_text()
        )
        served = len(feeds.requests_to("/wire.xml"))
        feeds.set_feed("/wire.xml", rss_feed(baseline + fresh))
        # Worst moment 1: the new items were just served, the ingest transaction is under way.
        assert await wait_until(lambda: len(feeds.requests_to("/wire.xml")) > served, 30)
        await asyncio.sleep(0.05)
        await kill9(proc)
        kills = 1
        # Worst moments 2..n: in the middle of delivering, at several points of the backlog.
        for written in (1, 10, 20, 30):
            proc = await start_bot(config, log)
            if not await wait_until(lambda n=written: len(jsonl_records(output)) >= n, 30):
                break
            await kill9(proc)
            kills += 1
        before = running_count(log)
        proc = await start_bot(config, log)

        done = await wait_until(lambda: len(jsonl_records(output)) >= NEW_ITEMS, 60)
        await asyncio.sleep(3)  # anything still to come (a duplicate) would arrive now
        assert await stop_cleanly(proc, log, before) == 0
        assert done, log.read_text()[-3000:]

    records = jsonl_records(output)
    titles = [r["item"]["title"] for r in records]
    ids = [r["delivery_id"] for r in records]
    assert sorted(titles) == sorted(s["title"] for s in fresh)
    assert len(ids) == len(set(ids)) == NEW_ITEMS
    assert output.read_text().endswith("\n")
    assert kills >= 4, "the bot finished before it could be killed mid-delivery"


async def test_kill_9_during_a_webhook_post_resends_with_the_same_idempotency_key(tmp_path):
    received: list[tuple[str, dict]] = []
    first_arrived = asyncio.Event()
    release = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("Idempotency-Key", ""), await request.json()))
        if len(received) == 1:
            first_arrived.set()
            await release.wait()  # no answer until the test ends: the bot dies while waiting
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner, port = await serve_on_loopback(receiver)
    log = tmp_path / "bot.log"
    try:
        async with FeedServer() as feeds:
            feeds.set_feed("/wire.xml", rss_feed([story(1, "Baseline")]))
            config = write_config(
                tmp_path, feeds.url("/wire.xml"), f"webhook:http://127.0.0.1:{port}/hook"
            )
            proc = await start_bot(config, log)
            assert await wait_until(lambda: len(feeds.requests_to("/wire.xml")) >= 2, 30)
            feeds.set_feed(
                "/wire.xml", rss_feed([story(1, "Baseline"), story(2, "Readmission accord signed")])
            )
            await asyncio.wait_for(first_arrived.wait(), 30)
            await kill9(proc)  # the worst moment: the POST arrived, its answer never left

            before = running_count(log)
            proc = await start_bot(config, log)
            assert await wait_until(lambda: len(received) >= 2, 30), log.read_text()[-3000:]
            await asyncio.sleep(3)
            assert await stop_cleanly(proc, log, before) == 0
    finally:
        release.set()
        await runner.cleanup()
    assert len(received) == 2
    (key1, body1), (key2, body2) = received
    assert key1 and key1 == key2
    assert body1["item"]["title"] == body2["item"]["title"] == "Readmission accord signed"
