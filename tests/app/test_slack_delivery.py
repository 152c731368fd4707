"""Issue #18 point 2 through the relay: a Slack post whose answer was lost is retried by
looking for it first, so the channel shows it once and the outbox records its real ts."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.pacing import ChannelPacer
from bot.chat.slack_notifier import SlackNotifier, parse_message_ref
from tests.app.harness import open_harness, story
from tests.app.test_refusals import HEADLINES
from tests.chat.test_slack_notifier import ManualTime
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

BASE = [story(1, "Markets steady in Asia")]


async def test_a_lost_answer_is_found_in_the_channel_instead_of_posted_again(tmp_path):
    async with FeedServer() as feeds, FakeSlack() as slack:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        h = await open_harness(tmp_path, feeds, [("F", feeds.url("/f.xml"))], [])
        slack.wall = lambda: h.clock.now.timestamp()
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        time = ManualTime()
        notifier = SlackNotifier(
            client, pacer=ChannelPacer(1.0, clock=time, sleep=time.sleep), sleep=time.sleep
        )
        h.app.notifiers["slack"] = notifier
        try:
            await h.app.store.add_watch("readmission", "slack:C123")
            await h.app.refresh_watches()
            await h.poll()
            feeds.set_feed("/f.xml", rss_feed([*BASE, story(5, HEADLINES[0])]))
            await h.poll()

            async def lose_the_answer(channel: str, message: dict) -> None:
                raise RuntimeError("the connection broke after Slack posted the message")

            slack.on_post = lose_the_answer
            await h.deliver()
            slack.on_post = None
            (pending,) = await h.app.store.list_deliveries()
            assert pending.status == "pending" and len(slack.messages("C123")) == 1

            h.clock.advance(minutes=5)
            await h.app.notifiers["slack"].aclose()
            h.app.notifiers["slack"] = SlackNotifier(client, pacer=notifier.pacer)  # a restart
            await h.deliver()
            (message,) = slack.messages("C123")
            (sent,) = await h.app.store.list_deliveries()
            assert sent.status == "sent"
            assert parse_message_ref(sent.external_ref) == ("C123", message["ts"])
            assert len(slack.calls("chat.postMessage")) == 1
            assert len(slack.calls("conversations.history")) == 1
        finally:
            await h.app.aclose()
            if client.session:
                await client.session.close()
