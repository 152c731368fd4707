"""Several `wirewatch run` workers on one PostgreSQL, as real processes against a loopback newsroom.

- Two and three workers share the polls: no feed is fetched twice within its interval, every
  worker polls some, and every alert reaches the webhook exactly once.
- kill -9 of the worker holding a source's lease: another worker polls it when the lease runs
  out (its interval is an hour: only the lease brings it back). Then kill -9 of the leader:
  another worker takes the lead and the daily digest goes out once, with every story.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import socket
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.app.dispatch import LEASE_S
from tests.app.bot_process import BotProcess, bot_env
from tests.app.postgres import private_database
from tests.fakes.feed_server import rss_feed
from tests.fakes.loopback import serve_on_loopback

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INTERVAL_S = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Newsroom:
    """Feeds (each fetch logged with its time and worker), a feed that hangs, two webhooks."""

    feeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fetches: list[tuple[float, str, str]] = field(default_factory=list)  # time, path, worker
    posts: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # hook -> (Idempotency-Key, body)
    hang: asyncio.Event = field(default_factory=asyncio.Event)
    hung_by: str = ""
    port: int = 0

    async def _feed(self, request: web.Request) -> web.Response:
        path, worker = request.path, request.headers.get("User-Agent", "")
        self.fetches.append((time.monotonic(), path, worker))
        if path == "/hang.xml" and not self.hung_by:
            self.hung_by = worker
            await self.hang.wait()  # held until the test releases it (its worker is dead)
        return web.Response(
            body=rss_feed(self.feeds.get(path, [])).encode(),
            content_type="application/rss+xml",
        )

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts[request.match_info["name"]].append(
            (request.headers.get("Idempotency-Key", ""), body)
        )
        return web.Response(text="ok")

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/hook/{name}", self._hook)
        app.router.add_get("/{tail:.*}", self._feed)
        runner, self.port = await serve_on_loopback(app)
        return runner

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fetched_by(self, path: str) -> list[tuple[float, str]]:
        return [(t, w) for t, p, w in self.fetches if p == path]

    def stories(self, hook: str) -> dict[str, set[str]]:
        """Story URLs per delivery key posted to `hook` (a retry carries the same key)."""
        out: dict[str, set[str]] = defaultdict(set)
        for key, body in self.posts[hook]:
            out[key] |= {s["item"]["url"] for s in body["stories"]}
        return out


def story(feed: int, n: int) -> dict[str, Any]:
    """A matching story whose words are its own (no two are one story to the clusterer)."""
    words = " ".join(uuid.uuid4().hex[:8] for _ in range(6))
    return {
        "title": f"Algeria {words}",
        "link": f"https://news.example/{feed}/{n}",
        "guid": f"feed{feed}-item{n}",
        "description": f"Algeria {words} {uuid.uuid4().hex[:10]}.",
        "pubDate": datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=n),
    }


def write_configs(
    tmp: Path,
    room: Newsroom,
    database: str,
    workers: int,
    paths: list[str],
    *,
    digest_at: datetime | None = None,
    hang: bool = False,
) -> list[tuple[Path, int]]:
    """One config per worker: the same sources and watches; its own user agent and web port."""
    sources = "".join(f'[[sources]]\nname = "Feed {p}"\nurl = "{room.url(p)}"\n' for p in paths)
    if hang:
        sources += f'[[sources]]\nname = "Hang"\nurl = "{room.url("/hang.xml")}"\ninterval = "1h"\n'
    watches = f'[[watches]]\nquery = "Algeria"\nto = "webhook:{room.url("/hook/now")}"\n'
    if digest_at is not None:
        watches += (
            f'[[watches]]\nquery = "Algeria"\nto = "webhook:{room.url("/hook/digest")}"\n'
            f'mode = "daily {digest_at:%H:%M}"\ntz = "UTC"\n'
        )
    out = []
    for n in range(1, workers + 1):
        port = free_port()
        config = tmp / f"worker{n}.toml"
        config.write_text(
            f"""log_level = "INFO"
[database]
url = "{database}"
[poll]
interval = "{INTERVAL_S:g}s"
min_interval = "1s"
jitter = 0.0
adaptive = false
concurrency = 3
backfill = 10
[fetch]
allow_hosts = ["127.0.0.1"]
user_agent = "worker-{n}"
timeout = "120s"
[alerts]
burst_limit = 100
delivery_lease = "20s"
[web]
enabled = true
port = {port}
{sources}{watches}"""
        )
        out.append((config, port))
    return out


async def wait_for(condition, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting ({timeout:.0f}s) for {what}")


async def metrics_of(port: int) -> dict[str, float]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(wirewatch_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


async def is_leader(port: int) -> bool:
    try:
        return (await metrics_of(port)).get("wirewatch_is_leader") == 1.0
    except httpx.HTTPError:
        return False


async def start_workers(
    configs: list[tuple[Path, int]], tmp: Path, database_url: str
) -> list[BotProcess]:
    """Start the first worker and wait for it to lead, then the others, each until running."""
    bots = [BotProcess(c, tmp / f"{c.stem}.log", env=bot_env()) for c, _ in configs]
    await bots[0].start()
    leader_port = configs[0][1]
    end = time.monotonic() + 60
    while not await is_leader(leader_port):
        assert time.monotonic() < end, (tmp / "worker1.log").read_text()
        await asyncio.sleep(0.2)
    for bot in bots[1:]:
        await bot.start()
    for bot in bots:
        await wait_for(lambda bot=bot: bot.started() >= 1, 60, f"{bot.log.name} running")
    return bots


async def stop_all(bots: list[BotProcess]) -> None:
    for bot in bots:
        if bot.running:
            await bot.terminate(15)


@pytest.mark.parametrize("workers", [2, 3])
async def test_workers_share_the_polls_and_deliver_each_alert_once(tmp_path, workers):
    room = Newsroom()
    paths = [f"/feed{n}.xml" for n in range(12)]
    for n, path in enumerate(paths):
        room.feeds[path] = [story(n, 0)]
    runner = await room.start()
    try:
        async with private_database() as db:
            configs = write_configs(tmp_path, room, db.url, workers, paths)
            bots = await start_workers(configs, tmp_path, db.url)
            try:
                await asyncio.sleep(4 * INTERVAL_S)
                for n, path in enumerate(paths):  # news arrives while they all run
                    room.feeds[path] = [story(n, 1), *room.feeds[path]]
                expected = {s["link"] for items in room.feeds.values() for s in items}
                await wait_for(
                    lambda: set().union(*room.stories("now").values()) >= expected,
                    60,
                    "every alert",
                )
                await asyncio.sleep(2 * INTERVAL_S)  # a double would have arrived by now
                per_worker = [await metrics_of(port) for _, port in configs]
            finally:
                stopping = time.monotonic()  # a stopping worker hands its claims back, due now
                await stop_all(bots)
    finally:
        await runner.cleanup()
    logs = "\n".join(b.log.read_text() for b in bots)
    assert "Traceback" not in logs, logs
    # No feed is fetched twice within its interval: one worker at a time polls each source.
    for path in paths:
        times = sorted(t for t, _ in room.fetched_by(path) if t < stopping)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) >= 4 and min(gaps) > INTERVAL_S / 2, (path, gaps)
    # The work is shared: every worker polled, as its /metrics said (scraped before the end).
    polled = {w: sum(1 for _, _, who in room.fetches if who == w) for w in _names(workers)}
    oks = [m['wirewatch_polls_total{outcome="ok"}'] for m in per_worker]
    assert all(0 < ok <= n for ok, n in zip(oks, polled.values(), strict=True)), (oks, polled)
    assert sum(m["wirewatch_is_leader"] for m in per_worker) == 1
    # Every alert exactly once: one message per story, one POST per message.
    delivered = room.stories("now")
    urls = [u for stories in delivered.values() for u in stories]
    assert sorted(urls) == sorted(expected)
    assert len(room.posts["now"]) == len(delivered)


def _names(workers: int) -> list[str]:
    return [f"worker-{n}" for n in range(1, workers + 1)]


async def test_kill9_a_worker_then_the_leader_sources_and_digests_carry_on(tmp_path):
    room = Newsroom()
    paths = [f"/feed{n}.xml" for n in range(6)]
    for n, path in enumerate(paths):
        room.feeds[path] = [story(n, 0), story(n, 1)]
    room.feeds["/hang.xml"] = [story(99, 0)]
    now = datetime.now(UTC)
    digest_at = datetime.fromtimestamp(
        math.ceil((now + timedelta(seconds=100)).timestamp() / 60) * 60, UTC
    )
    runner = await room.start()
    try:
        async with private_database() as db:
            configs = write_configs(
                tmp_path, room, db.url, 3, paths, digest_at=digest_at, hang=True
            )
            bots = await start_workers(configs, tmp_path, db.url)
            try:
                await wait_for(lambda: bool(room.hung_by), 60, "the hanging feed to be fetched")
                holder = _names(3).index(room.hung_by)
                await bots[holder].kill9()
                killed_at = time.monotonic()
                room.hang.set()  # the dead worker's request no longer matters
                await wait_for(
                    lambda: len(room.fetched_by("/hang.xml")) >= 2, 3 * LEASE_S, "a takeover"
                )
                taken_at, taker = room.fetched_by("/hang.xml")[1]
                assert taker != room.hung_by
                takeover_s = taken_at - killed_at
                # Now the leader (worker 1) dies too, unless it was the one already killed.
                if holder != 0:
                    await bots[0].kill9()
                alive = [(b, p) for b, (_, p) in zip(bots, configs, strict=True) if b.running]
                end = time.monotonic() + 60
                while not any([await is_leader(p) for _, p in alive]):
                    assert time.monotonic() < end, "no worker took the lead"
                    await asyncio.sleep(0.5)
                expected = {s["link"] for items in room.feeds.values() for s in items}
                await wait_for(
                    lambda: set().union(*room.stories("now").values()) >= expected,
                    90,
                    "every immediate alert",
                )
                due_in = (digest_at - datetime.now(UTC)).total_seconds()
                assert due_in > 0, "the kills took longer than planned: raise the digest delay"
                await wait_for(lambda: bool(room.posts["digest"]), due_in + 60, "the digest")
                await asyncio.sleep(3)  # a second digest would come now
            finally:
                await stop_all(bots)
    finally:
        await runner.cleanup()
    print(f"takeover after kill -9: {takeover_s:.1f}s (lease {LEASE_S}s)")
    digests = room.posts["digest"]
    assert len(digests) == 1, [json.dumps(b)[:200] for _, b in digests]
    assert {s["item"]["url"] for s in digests[0][1]["stories"]} == expected
    assert digests[0][1]["type"] == "digest"
    # Immediate alerts: each story in exactly one message (a retry after a kill keeps its key).
    delivered = room.stories("now")
    urls = [u for stories in delivered.values() for u in stories]
    assert sorted(urls) == sorted(expected)
