"""The whole bot with Discord enabled: build_app wires the real discord.py client to the fake.

A `/watch add` interaction creates a watch; a matching feed item becomes one
`POST /channels/{id}/messages` with the embed, `allowed_mentions: {"parse": []}` and a nonce;
`@everyone` and `<@123>` in a feed ping nobody; a 429 is waited out; a 403 pauses the watch and
tells its creator by DM.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from rich.console import Console

from bot.app.build import App, build_app
from bot.chat.discord_bot import DiscordAdapter
from bot.chat.discord_notifier import delivery_nonce
from bot.settings import Secrets
from tests.app.harness import Clock, make_settings, story
from tests.fakes.discord_api import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER_PERMISSIONS,
    USER_ID,
    FakeDiscord,
)
from tests.fakes.feed_server import FeedServer, rss_feed

POST = "POST /channels/{channel}/messages"
BASE = [story(1, "Markets steady in Asia"), story(2, "Algeria and readmission talks stall")]
HOSTILE = story(
    3,
    "@everyone Algeria readmission deal <@123456789012345678>",
    "Algeria agreed to the readmission of nationals, @here says <@&42>.",
)


@dataclass
class Bot:
    app: App
    adapter: DiscordAdapter
    fake: FakeDiscord
    feeds: FeedServer
    clock: Clock

    async def poll_and_deliver(self) -> int:
        self.clock.advance(minutes=5)
        sources = [s for s in await self.app.store.list_sources() if s.enabled]
        await self.app.pipeline.poll_sources(sources)
        return await self.app.relay.drain()


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    async with FeedServer() as feeds, FakeDiscord() as fake:
        feeds.set_feed("/world.xml", rss_feed(BASE))
        settings = make_settings(
            tmp_path / "ww.db",
            tmp_path / "alerts.jsonl",
            [("World", feeds.url("/world.xml"))],
            [],
            discord={"enabled": True, "api_url": fake.api_url, "guild_ids": [int(GUILD_ID)]},
        )
        clock = Clock()
        console = Console(file=io.StringIO())
        app = await build_app(
            settings, Secrets({"DISCORD_BOT_TOKEN": fake.token}), console=console, clock=clock
        )
        (adapter,) = [a for a in app.adapters if isinstance(a, DiscordAdapter)]
        assert app.notifiers["discord"] is adapter.notifier
        try:
            await app.sync_config()
            await adapter.start()
            b = Bot(app, adapter, fake, feeds, clock)
            assert await b.poll_and_deliver() == 0  # the first poll is a baseline
            yield b
        finally:
            await app.aclose()


async def add_watch(b: Bot, query: str = "Algeria AND readmission") -> None:
    payload = b.fake.interaction(
        "watch", "add", {"query": query}, permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS
    )
    answer = await b.fake.wait_final(payload)
    assert answer["embeds"][0]["title"] == "Watch #1 added"


async def test_a_matching_item_is_one_embed_post_that_pings_nobody(bot: Bot) -> None:
    await add_watch(bot)
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    assert await bot.poll_and_deliver() == 1
    (post,) = bot.fake.posts(CHANNEL_ID)
    assert post.body["allowed_mentions"] == {"parse": []}
    (delivery,) = await bot.app.store.list_deliveries(watch_id=1)
    assert post.body["nonce"] == delivery_nonce(delivery.id) and post.body["enforce_nonce"]
    (embed,) = post.body["embeds"]
    assert embed["url"] == "https://news.example/3"
    assert "readmission" in embed["description"].lower()
    assert embed["footer"]["text"].startswith("Watch #1")
    shown = embed["title"] + embed["description"]
    for ping in ("@everyone", "@here", "<@1", "<@&"):
        assert ping not in shown
    (message,) = bot.fake.messages(CHANNEL_ID)
    assert delivery.external_ref == f"{CHANNEL_ID}:{message['id']}"


async def test_a_429_is_waited_out(bot: Bot) -> None:
    await add_watch(bot)
    bot.fake.fail_next(POST, 429, retry_after=0.01)
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    assert await bot.poll_and_deliver() == 1
    assert [r.status for r in bot.fake.calls(POST)] == [429, 200]
    assert len(bot.fake.messages(CHANNEL_ID)) == 1
    (delivery,) = await bot.app.store.list_deliveries(watch_id=1)
    assert delivery.status == "sent"


async def test_a_403_pauses_the_watch_and_tells_its_creator_by_dm(bot: Bot) -> None:
    await add_watch(bot)
    bot.fake.fail_next(POST, 403)
    bot.feeds.set_feed("/world.xml", rss_feed([*BASE, HOSTILE]))
    await bot.poll_and_deliver()
    watch = await bot.app.store.get_watch(1)
    assert watch is not None and watch.paused
    assert "Send Messages" in watch.paused_reason
    assert bot.fake.messages(CHANNEL_ID) == []
    (opened,) = bot.fake.calls("POST /users/@me/channels")
    assert str(opened.body["recipient_id"]) == USER_ID
    (dm,) = bot.fake.posts()
    assert "watch #1" in dm.body["content"] and "/watch resume id:1" in dm.body["content"]


async def test_news_is_private_with_a_button_that_shares_it_in_the_channel(bot: Bot) -> None:
    payload = bot.fake.interaction("news", None, {"query": "readmission"})
    answer = await bot.fake.wait_final(payload)
    assert int(answer["flags"]) & 64
    assert answer["embeds"][1]["title"] == "Algeria and readmission talks stall"
    (row,) = answer["components"]
    (button,) = row["components"]
    assert button["label"] == "Share in channel"
    message = bot.fake.originals[payload["token"]]
    shared = await bot.fake.wait_final(bot.fake.click(message, button["custom_id"]))
    assert not int(shared.get("flags") or 0) & 64
    assert [e["title"] for e in shared["embeds"]] == [e["title"] for e in answer["embeds"]]
