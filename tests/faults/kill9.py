"""The kill -9 fault scenario: the real bot as a subprocess, killed at random points while it
delivers to JSONL, a webhook, Slack and Discord (local fakes), then run to the end; every story
is then counted in every output. Used by tests/faults/test_kill9.py and bench/faults.py.

Each cycle publishes a wave of new stories, starts `python -m bot run` and kills it with SIGKILL
at a moment drawn from a seeded random generator:

* `timer`: at a random time after the process starts (during start-up, migrations, polling,
  ingesting, composing or sending);
* `in flight` (Slack, Discord, webhook): the moment the platform has stored a message and before
  its answer leaves, the worst moment for exactly-once delivery.

The Discord fake forgets a nonce after `discord_nonce_window` seconds (1 s by default, where
Discord keeps one "a few minutes"), so every Discord retry after a kill comes past the nonce
window, as after a long outage: only the look-up in the channel's history can stop a double.

After the last kill the bot runs until every output has every story, waits for stragglers, and
is stopped with SIGTERM. A story counted 0 times in an output
is lost; more than once, doubled. For the webhook a repeat with the same `Idempotency-Key` is
the documented retry (counted apart as a resend); a story under two keys would be doubled.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.app.bot_process import BotProcess, bot_env
from tests.app.harness import story
from tests.fakes.discord_api import CHANNEL_ID, FakeDiscord
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack

__all__ = ["OUTPUTS", "Figures", "Outcome", "distinct_stories", "run_scenario", "ways_text"]

OUTPUTS = ("jsonl", "webhook", "slack", "discord")
SLACK_CHANNEL = "C0FAULTS01"
MODES = ("timer", "timer", "in flight slack", "in flight discord", "in flight webhook")
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "gor", "fen", "bri"]


@dataclass
class Outcome:
    """One output's count: how often each story arrived."""

    counts: Counter[str]
    stories: list[str]
    resends: int = 0  # same message sent again and dropped as designed (key, nonce, metadata)
    ways: Counter[str] = field(default_factory=Counter)  # resends by what dropped them

    @property
    def how(self) -> str:
        """The resends by way, when an output has more than one ("4 adopted from history, …")."""
        return ways_text(self.ways)

    @property
    def lost(self) -> list[str]:
        return [s for s in self.stories if self.counts[s] == 0]

    @property
    def doubled(self) -> list[str]:
        return [s for s in self.stories if self.counts[s] > 1]


@dataclass
class Figures:
    """What a run did and found."""

    seed: int
    kills: int = 0
    modes: Counter[str] = field(default_factory=Counter)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    stop_exit_code: int | None = None
    log_tail: str = ""

    def table(self) -> str:
        """The figures as a Markdown table."""
        rows = [
            "| output | kills | alerts | lost | doubled | resends dropped |",
            "|---|---|---|---|---|---|",
        ]
        for name in OUTPUTS:
            out = self.outcomes[name]
            rows.append(
                f"| {name} | {self.kills} | {len(out.stories)} | {len(out.lost)} | "
                f"{len(out.doubled)} | {out.resends}{f' ({out.how})' if out.how else ''} |"
            )
        modes = ", ".join(f"{mode} {n}" for mode, n in sorted(self.modes.items()))
        return "\n".join(rows) + f"\n\nseed {self.seed}; kill moments: {modes}"


def ways_text(ways: Counter[str]) -> str:
    """Resends by what dropped them: "4 adopted from history, 0 by nonce" ("" for none)."""
    return ", ".join(f"{n} {way}" for way, n in ways.items())


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def distinct_stories(rng: random.Random, count: int, first: int) -> list[dict[str, Any]]:
    """Stories that all match `readmission` and share no other word (no two cluster)."""
    out = []
    for n in range(first, first + count):
        title = " ".join(_word(rng) for _ in range(6)) + f" readmission {n}"
        lede = " ".join(_word(rng) for _ in range(12)) + " readmission."
        out.append(story(n, title, lede))
    return out


def _config(tmp: Path, feed: str, hook: str, slack: FakeSlack, discord: FakeDiscord) -> Path:
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
delivery_lease = "2s"
[slack]
enabled = true
api_url = "{slack.api_url}"
[discord]
enabled = true
api_url = "{discord.api_url}"
guild_ids = []
[[sources]]
name = "Wire"
url = "{feed}"
[[watches]]
query = "readmission"
to = "jsonl:{tmp}/alerts.jsonl"
[[watches]]
query = "readmission"
to = "webhook:{hook}"
[[watches]]
query = "readmission"
to = "slack:{SLACK_CHANNEL}"
[[watches]]
query = "readmission"
to = "discord:{CHANNEL_ID}"
""")
    return config


class _Receiver:
    """The webhook receiver: records every POST; can hold one answer until the bot is killed."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.armed: asyncio.Event | None = None
        self.release = asyncio.Event()

    async def hook(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ConnectionResetError:  # the bot was killed while sending the body: not received
            return web.Response(status=400)
        self.posts.append((request.headers.get("Idempotency-Key", ""), body))
        if self.armed is not None and not self.armed.is_set():
            self.armed.set()
            await self.release.wait()
        return web.Response(status=204)


async def _until(condition: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def _jsonl_titles(path: Path) -> list[str]:
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")[:-1]  # a torn last line (no newline) is not delivered
    return [s["item"]["title"] for line in lines if line for s in json.loads(line)["stories"]]


def _slack_titles(fake: FakeSlack, titles: list[str]) -> Counter[str]:
    text = "\n".join(json.dumps(m.get("blocks", [])) for m in fake.messages(SLACK_CHANNEL))
    return Counter({t: text.count(f"|{t}>") for t in titles})


def _discord_titles(fake: FakeDiscord, titles: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for message in fake.messages(CHANNEL_ID):
        for embed in message.get("embeds", []):
            if embed.get("title") in titles:
                counts[embed["title"]] += 1
            description = embed.get("description") or ""
            for title in titles:
                counts[title] += description.count(f"[{title}](")
    return counts


def _webhook(receiver: _Receiver, titles: list[str]) -> Outcome:
    by_key: dict[str, dict[str, Any]] = {}
    for key, body in receiver.posts:
        by_key.setdefault(key, body)  # a receiver drops a repeat of a key it has seen
    counts = Counter(s["item"]["title"] for body in by_key.values() for s in body["stories"])
    return Outcome(counts, titles, resends=len(receiver.posts) - len(by_key))


def _all_arrived(
    titles: list[str], tmp: Path, receiver: _Receiver, slack: FakeSlack, discord: FakeDiscord
) -> bool:
    jsonl = set(_jsonl_titles(tmp / "alerts.jsonl"))
    hooked = _webhook(receiver, titles).counts
    slack_counts = _slack_titles(slack, titles)
    discord_counts = _discord_titles(discord, titles)
    return all(t in jsonl and hooked[t] and slack_counts[t] and discord_counts[t] for t in titles)


async def run_scenario(
    tmp: Path,
    *,
    kills: int,
    seed: int,
    per_kill: int = 4,
    settle_s: float = 4.0,
    discord_nonce_window: float | None = 1.0,
) -> Figures:
    """Run the scenario in `tmp`; return the figures (the caller asserts on them).

    Before each kill a wave of `per_kill` new stories is published, so every restart has new
    work (polling, ingesting, composing, sending) as well as the retries of the last kill.
    """
    rng = random.Random(seed)
    figures = Figures(seed)
    receiver = _Receiver()
    hook_app = web.Application()
    hook_app.router.add_post("/hook", receiver.hook)
    runner, port = await serve_on_loopback(hook_app)
    baseline = [story(1, "Markets steady in Asia")]
    published: list[dict[str, Any]] = []
    pending_waves = [distinct_stories(rng, per_kill, 100 + w * per_kill) for w in range(kills)]
    log = tmp / "bot.log"
    try:
        async with (
            FeedServer() as feeds,
            FakeSlack() as slack,
            FakeDiscord(nonce_window=discord_nonce_window) as discord,
        ):
            feeds.set_feed("/wire.xml", rss_feed(baseline))
            config = _config(
                tmp, feeds.url("/wire.xml"), f"http://127.0.0.1:{port}/hook", slack, discord
            )
            env = bot_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_APP_TOKEN=APP_TOKEN,
                DISCORD_BOT_TOKEN=discord.token,
            )
            bot = BotProcess(config, log, env)

            # The baseline poll first: no story is new yet.
            await bot.start()
            await _until(lambda: len(feeds.requests_to("/wire.xml")) >= 2, 60)

            def publish_next() -> None:
                if pending_waves:
                    published.extend(pending_waves.pop(0))
                    feeds.set_feed("/wire.xml", rss_feed(baseline + published))

            for _ in range(kills):
                publish_next()
                if not bot.running:
                    await bot.start()
                mode = rng.choice(MODES)
                caught = await _kill_at(mode, rng, bot, receiver, slack, discord)
                figures.kills += 1
                figures.modes[mode if caught else f"{mode} (nothing in flight: at 20 s)"] += 1

            titles = [s["title"] for s in published]
            before = bot.started()
            await bot.start()
            await _until(lambda: bot.started() > before, 60)
            await _until(lambda: _all_arrived(titles, tmp, receiver, slack, discord), 240)
            await asyncio.sleep(settle_s)  # a late duplicate would arrive now
            figures.stop_exit_code = await bot.terminate(20)

            figures.outcomes["jsonl"] = Outcome(
                Counter(_jsonl_titles(tmp / "alerts.jsonl")), titles
            )
            figures.outcomes["webhook"] = _webhook(receiver, titles)
            lines = log.read_text(errors="replace").splitlines()
            figures.outcomes["slack"] = Outcome(
                _slack_titles(slack, titles),
                titles,
                resends=sum("already in Slack" in line for line in lines),
            )
            posts = [
                c for c in discord.calls("POST /channels/{channel}/messages") if c.status == 200
            ]
            by_nonce = len(posts) - len(discord.messages(CHANNEL_ID))
            adopted = sum("already in Discord" in line for line in lines)
            figures.outcomes["discord"] = Outcome(
                _discord_titles(discord, titles),
                titles,
                resends=by_nonce + adopted,
                ways=Counter({"adopted from history": adopted, "by nonce": by_nonce}),
            )
    finally:
        receiver.release.set()
        await runner.cleanup()
        figures.log_tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    return figures


async def _kill_at(
    mode: str,
    rng: random.Random,
    bot: BotProcess,
    receiver: _Receiver,
    slack: FakeSlack,
    discord: FakeDiscord,
) -> bool:
    """Kill the bot at the moment `mode` names (a timer, or a message arriving somewhere);
    False when no message arrived in time and the kill came at the time-out instead."""
    if mode == "timer":
        await asyncio.sleep(rng.uniform(0.2, 6.0))
        await bot.kill9()
        return True
    arrived = asyncio.Event()
    held = asyncio.Event()

    async def hold(channel: str, message: dict[str, Any]) -> None:
        if not arrived.is_set():
            arrived.set()
            await held.wait()

    if mode == "in flight slack":
        slack.on_post = hold
    elif mode == "in flight discord":
        discord.on_post = hold
    else:
        receiver.armed = arrived
        receiver.release = held
    try:
        caught = await _until(arrived.is_set, 20)  # nothing to send in time: kill anyway
        await bot.kill9()
        return caught
    finally:
        slack.on_post = None
        discord.on_post = None
        receiver.armed = None
        held.set()
