"""Issue #18 (follow-up) through the relay: a Discord post whose answer never came back, retried
after Discord has forgotten its nonce, is found in the channel instead of posted again, and the
outbox records the message that is there."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.chat.discord_notifier import DiscordNotifier, parse_message_ref
from bot.chat.pacing import ChannelPacer
from tests.app.harness import open_harness, story
from tests.app.test_refusals import HEADLINES
from tests.chat.test_discord_notifier import ManualClock, rest_client
from tests.fakes.discord_api import CHANNEL_ID, NONCE_WINDOW_S, FakeDiscord
from tests.fakes.feed_server import FeedServer, rss_feed

BASE = [story(1, "Markets steady in Asia")]


async def test_a_post_cut_off_by_a_stop_is_found_after_a_long_outage(tmp_path, monkeypatch):
    async with FeedServer() as feeds, FakeDiscord() as fake:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [])
        fake.wall = lambda: h.clock.now.timestamp()
        client = await rest_client(fake, monkeypatch)
        clock = ManualClock()
        pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
        h.app.notifiers["discord"] = DiscordNotifier(client, pacer=pacer)
        h.app.relay.shutdown_grace = 0.0
        try:
            await h.app.store.add_watch("readmission", f"discord:{CHANNEL_ID}")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed([*BASE, story(5, HEADLINES[0])]))
            await h.poll()

            arrived, held = asyncio.Event(), asyncio.Event()

            async def hold_the_answer(channel: str, message: dict[str, Any]) -> None:
                arrived.set()
                await held.wait()

            fake.on_post = hold_the_answer
            stop = asyncio.Event()
            relaying = asyncio.ensure_future(h.app.relay.run_once(stop))
            await arrived.wait()
            stop.set()  # a stop while the message is in flight: it is cut off, kept for retry
            await relaying
            held.set()
            fake.on_post = None
            (pending,) = await h.app.store.list_deliveries()
            assert pending.status == "pending" and len(fake.messages(CHANNEL_ID)) == 1

            h.clock.advance(minutes=10)  # down for longer than Discord keeps a nonce
            assert NONCE_WINDOW_S < 600
            await h.app.notifiers["discord"].aclose()
            h.app.notifiers["discord"] = DiscordNotifier(client, pacer=pacer)  # a restart
            await h.deliver()

            (message,) = fake.messages(CHANNEL_ID)
            (sent,) = await h.app.store.list_deliveries()
            assert sent.status == "sent"
            assert parse_message_ref(sent.external_ref) == (int(CHANNEL_ID), int(message["id"]))
            assert len(fake.posts()) == 1
            assert len(fake.calls("GET /channels/{channel}/messages")) == 1
        finally:
            await h.app.aclose()
            await client.close()
