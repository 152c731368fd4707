"""The whole bot with Slack enabled: build_app wires the real Bolt app and AsyncWebClient to the fake.

`/watch add Algeria AND readmission` arrives over Socket Mode; a matching feed item becomes one
`chat.postMessage` with the alert's blocks and no unfurling; `<!channel>` and `<@U123>` in a feed
ping nobody; `not_in_channel` pauses the watch and tells its creator by DM.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from bot.app.build import App, build_app
from bot.chat.pacing import ChannelPacer
from bot.chat.slack_app import SlackAdapter
from bot.settings import Secrets
from tests.app.harness import Clock, make_settings, story
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack

USER = "U0001"
CHANNEL = "C0123ABCD"
BASE = [story(1, "Markets steady in Asia"), story(2, "Algeria and readmission talks stall")]
HOSTILE = story(
    3,
    "<!channel> Algeria readmission deal <@U123>",
    "Algeria agreed to the readmission of nationals, <!here> says <@U123> & <!subteam^S1>.",
)
PINGS = ("<!channel>", "<!here>", "<@U123>", "<!subteam")


@dataclass
class ManualTime:
    """A monotonic clock that only moves when the pacer sleeps on it."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Bot:
    app: App
    adapter: SlackAdapter
    fake: FakeSlack
    feeds: FeedServer
    clock: Clock

    async def poll_and_deliver(self) -> int:
        self.clock.advance(minutes=5)
        sources = [s for s in await self.app.store.list_sources() if s.enabled]
        await self.app.pipeline.poll_sources(sources)
        return await self.app.relay.drain()

    async def command(self, command: str, text: str, envelope: str) -> dict[str, object]:
        payload = {
            "team_id": "T0000FAKE",
            "channel_id": CHANNEL,
            "channel_name": "desk",
            "user_id": USER,
            "user_name": "ana",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": self.fake.response_url(envelope),
            "trigger_id": "1.2.3",
        }
        ack = await self.fake.deliver("slash_commands", payload, envelope)
        answer: dict[str, object] = ack["payload"]
        return answer


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with FeedServer() as feeds, FakeSlack() as fake:
        feeds.set_feed("/world.xml", rss_feed(BASE))
        settings = make_settings(
            tmp_path / "ww.db",
            tmp_path / "alerts.jsonl",
            [("World", feeds.url("/world.xml"))],
            [],
            slack={"enabled": True, "api_url": fake.api_url},
        )
        clock = Clock()
        app = await build_app(
            settings,
            Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}),
            console=Console(file=io.StringIO()),
            clock=clock,
        )
        (adapter,) = [a for a in app.adapters if isinstance(a, SlackAdapter)]
        assert app.notifiers["slack"] is adapter.notifier
        try:
            await app.sync_config()
            await adapter.start()
            await fake.wait_until(lambda: fake.connected)
            b = Bot(app, adapter, fake, feeds, clock)
            assert await b.poll_and_deliver() == 0  # the first poll is a baseline
            yield b
        finally:
            await adapter.stop()
            await app.aclose()


async def test_a_matching_item_is_one_post_with_the_alert_blocks_that_pings_nobody(
    bot: Bot,
) -> None:
    answer = await bot.command("/watch", "add Algeria AND readmission", "env-1")
    assert answer["blocks"][0]["text"]["text"] == "*Watch #1 added*"  # type: ignore[index]
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    assert await bot.poll_and_deliver() == 1
    (post,) = bot.fake.calls("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert post.args["unfurl_links"] is False and post.args["unfurl_media"] is False
    head, summary, context, actions = post.args["blocks"]
    assert head["text"]["text"].startswith("*<https://news.example/3|")
    assert "Algeria readmission deal &lt;@U123&gt;>*" in head["text"]["text"]
    assert "*readmission*" in summary["text"]["text"]
    assert context["elements"][0]["text"] == "#1 · Algeria AND readmission"
    assert [b["text"]["text"] for b in actions["elements"]] == ["Pause this watch", "Open"]
    shown = json.dumps(post.args, ensure_ascii=False)
    for ping in PINGS:
        assert ping not in shown
    (delivery,) = await bot.app.store.list_deliveries(watch_id=1)
    (message,) = bot.fake.messages(CHANNEL)
    assert delivery.external_ref == f"{CHANNEL}:{message['ts']}"


async def test_not_in_channel_pauses_the_watch_and_tells_its_creator_by_dm(bot: Bot) -> None:
    await bot.command("/watch", "add Algeria AND readmission", "env-1")
    bot.fake.fail_next("chat.postMessage", error="not_in_channel")
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    await bot.poll_and_deliver()
    watch = await bot.app.store.get_watch(1)
    assert watch is not None and watch.paused and "not_in_channel" in watch.paused_reason
    (opened,) = bot.fake.calls("conversations.open")
    assert opened.args["users"] == USER
    dm = bot.fake.calls("chat.postMessage")[-1]
    assert dm.args["channel"] == "D0001" and "1" in dm.args["text"]


async def test_a_429_is_waited_out(bot: Bot) -> None:
    await bot.command("/watch", "add Algeria AND readmission", "env-1")
    bot.fake.fail_next("chat.postMessage", 429, retry_after=0)
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    assert await bot.poll_and_deliver() == 1
    assert [c.status for c in bot.fake.calls("chat.postMessage")] == [429, 200]
    (delivery,) = await bot.app.store.list_deliveries(watch_id=1)
    assert delivery.status == "sent"


async def test_a_burst_of_thirty_matches_is_paced_and_folded(bot: Bot) -> None:
    time = ManualTime()
    bot.adapter.notifier.pacer = ChannelPacer(1.0, clock=time, sleep=time.sleep)
    bot.fake.clock = time
    await bot.command("/watch", "add readmission", "env-1")
    burst = [story(10 + n, f"Readmission update {n}") for n in range(30)]
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, *burst]))
    await bot.poll_and_deliver()
    posts = [c for c in bot.fake.calls("chat.postMessage") if c.args["channel"] == CHANNEL]
    alerts = [d for d in await bot.app.store.list_deliveries(watch_id=1) if d.kind == "alert"]
    assert len(alerts) >= 20  # (near-duplicate headlines may become updates instead)
    assert len(posts) == 6  # five alerts, then one message folding the rest
    folded = len(alerts) - 5
    assert posts[-1].args["blocks"][0]["text"]["text"] == f"*{folded} more matches for #1*"
    times = [c.at for c in posts]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] == pytest.approx(5.0)
