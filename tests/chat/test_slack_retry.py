"""Issue #18 point 2: Slack has no idempotency key, so Wirewatch makes one.

Each alert carries its delivery id as message metadata (event type `wirewatch_alert`); a retry
whose earlier attempt may have reached Slack looks for it in the channel's history (with
`include_all_metadata`) from shortly before that attempt and adopts the message it finds.
All against the fake Web API with the real AsyncWebClient.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.pacing import ChannelPacer
from bot.chat.slack_notifier import SlackNotifier, parse_message_ref
from bot.chat.slack_posted import SKEW_S
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError
from tests.chat.test_slack_notifier import ManualTime
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

WATCH = WatchRef(id=12, query="Algeria AND readmission", destination="slack:C123", owner="slack:U1")
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@dataclass
class Rig:
    fake: FakeSlack
    notifier: SlackNotifier


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    wall = iter(range(10**9))
    async with FakeSlack(wall=lambda: NOW.timestamp() + next(wall)) as fake:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        time = ManualTime()
        pacer = ChannelPacer(1.0, clock=time, sleep=time.sleep)
        notifier = SlackNotifier(client, pacer=pacer, sleep=time.sleep)
        try:
            yield Rig(fake, notifier)
        finally:
            await notifier.aclose()
            if client.session:
                await client.session.close()


def alert(n: int, *, retry_since: datetime | None = None, **kw: object) -> Alert:
    item = Item(title=f"Algeria readmission {n}", url=f"https://news.example/{n}", source="AFP")
    story = Story(item=item, summary=Marked("Algeria agreed.", ((0, 7),)))
    return Alert(n, "alert", WATCH, (story,), retry_since=retry_since, **kw)  # type: ignore[arg-type]


async def test_every_alert_carries_its_delivery_id_as_metadata(rig: Rig) -> None:
    await rig.notifier.send("C123", alert(41))
    (call,) = rig.fake.calls("chat.postMessage")
    assert call.args["metadata"] == {
        "event_type": "wirewatch_alert",
        "event_payload": {"delivery_id": "41", "part": 1},
    }
    (message,) = rig.fake.messages("C123")
    assert message["metadata"]["event_payload"]["delivery_id"] == "41"
    assert not rig.fake.calls("conversations.history")  # a first try never looks


async def test_a_retry_of_a_message_that_reached_slack_adopts_it(rig: Rig) -> None:
    first = await rig.notifier.send("C123", alert(7))
    await rig.notifier.send("C123", alert(8))
    # A new process (no memory of the post), retrying delivery 7 whose answer was lost.
    restarted = SlackNotifier(rig.notifier.client, pacer=rig.notifier.pacer)
    again = await restarted.send("C123", alert(7, retry_since=NOW))
    assert again == first
    assert len(rig.fake.calls("chat.postMessage")) == 2
    (history,) = rig.fake.calls("conversations.history")
    assert history.args["include_all_metadata"] in ("1", "true")
    assert float(history.args["oldest"]) == pytest.approx(NOW.timestamp() - SKEW_S)


async def test_a_retry_of_a_message_that_never_arrived_posts_it_once(rig: Rig) -> None:
    await rig.notifier.send("C123", alert(1))
    ref = await rig.notifier.send("C123", alert(2, retry_since=NOW))
    channel, ts = parse_message_ref(ref) or ("", "")
    assert channel == "C123" and [m["ts"] for m in rig.fake.messages("C123")][-1] == ts
    assert len(rig.fake.messages("C123")) == 2
    # Further retries in the same channel reuse what this process read and posted.
    assert await rig.notifier.send("C123", alert(2, retry_since=NOW)) == ref
    await rig.notifier.send("C123", alert(3, retry_since=NOW))
    assert len(rig.fake.calls("conversations.history")) == 1
    assert len(rig.fake.messages("C123")) == 3


async def test_a_message_older_than_the_window_is_not_mistaken_for_the_retry(rig: Rig) -> None:
    await rig.notifier.send("C123", alert(5))  # posted at NOW (the fake's wall clock)
    restarted = SlackNotifier(rig.notifier.client, pacer=rig.notifier.pacer)
    later = NOW + timedelta(seconds=SKEW_S + 30)
    await restarted.send("C123", alert(5, retry_since=later))
    assert len(rig.fake.messages("C123")) == 2  # outside the window: posted again, as asked


async def test_only_our_own_alerts_count(rig: Rig) -> None:
    await rig.notifier.send("C123", alert(9))
    for message in rig.fake.messages("C123"):
        message["bot_id"] = "BOTHER"  # another app copied our metadata
    restarted = SlackNotifier(rig.notifier.client, pacer=rig.notifier.pacer)
    restarted.posted.bot_id = "BFAKE"
    await restarted.send("C123", alert(9, retry_since=NOW))
    assert len(rig.fake.messages("C123")) == 2


async def test_a_lost_answer_makes_the_next_retry_look_again(rig: Rig) -> None:
    await rig.notifier.send("C123", alert(1, retry_since=NOW))  # reads the (empty) channel

    async def crash(channel: str, message: dict) -> None:
        raise RuntimeError("the answer is lost after the post")

    rig.fake.on_post = crash
    with pytest.raises(DeliveryError):
        await rig.notifier.send("C123", alert(2))
    rig.fake.on_post = None
    assert len(rig.fake.messages("C123")) == 2  # delivery 2 is in Slack, its answer was a 500
    await rig.notifier.send("C123", alert(2, retry_since=NOW))
    assert len(rig.fake.messages("C123")) == 2
    assert len(rig.fake.calls("conversations.history")) == 2


async def test_a_thread_reply_is_looked_for_in_its_thread(rig: Rig) -> None:
    rig.notifier.updates_mode = "thread"
    original = await rig.notifier.send("C123", alert(1))
    update = alert(2, updates=original, also_reported_by=("DW",))
    update = Alert(2, "update", WATCH, update.stories, updates=original, also_reported_by=("DW",))
    await rig.notifier.send("C123", update)
    restarted = SlackNotifier(rig.notifier.client, pacer=rig.notifier.pacer, updates_mode="thread")
    retry = Alert(
        2,
        "update",
        WATCH,
        update.stories,
        updates=original,
        also_reported_by=("DW",),
        retry_since=NOW,
    )
    await restarted.send("C123", retry)
    assert len(rig.fake.messages("C123")) == 2
    (replies,) = rig.fake.calls("conversations.replies")
    assert replies.args["ts"] == parse_message_ref(original)[1]  # type: ignore[index]


async def test_a_check_that_is_rate_limited_never_posts_blind(rig: Rig) -> None:
    rig.fake.fail_next("conversations.history", 429, retry_after=600)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send("C123", alert(4, retry_since=NOW))
    assert caught.value.retry_after == 600
    assert not rig.fake.calls("chat.postMessage")


async def test_without_the_history_scope_it_warns_once_and_posts(rig: Rig, caplog) -> None:
    for _ in range(2):
        rig.fake.fail_next("conversations.history", error="missing_scope")
    await rig.notifier.send("C123", alert(1, retry_since=NOW))
    await rig.notifier.send("C123", alert(2, retry_since=NOW))
    assert len(rig.fake.messages("C123")) == 2
    warnings = [r.getMessage() for r in caplog.records if "channels:history" in r.getMessage()]
    assert len(warnings) == 1
