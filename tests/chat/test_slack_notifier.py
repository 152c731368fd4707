"""The Slack notifier against the fake Web API with the real AsyncWebClient."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.pacing import ChannelPacer
from bot.chat.slack_notifier import SlackNotifier, parse_message_ref
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError, Notifier, PermanentDeliveryError
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

WATCH = WatchRef(id=12, query="Algeria AND readmission", destination="slack:C123", owner="slack:U1")


@dataclass
class ManualTime:
    """A clock that only moves when someone sleeps on it."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    fake: FakeSlack
    notifier: SlackNotifier
    time: ManualTime


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with FakeSlack() as fake:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        time = ManualTime()
        pacer = ChannelPacer(1.0, clock=time, sleep=time.sleep)
        notifier = SlackNotifier(client, pacer=pacer, sleep=time.sleep)
        try:
            yield Rig(fake, notifier, time)
        finally:
            await notifier.aclose()
            await client.session.close() if client.session else None


def alert(n: int = 1, kind: str = "alert", **kw: object) -> Alert:
    item = Item(
        title=f"Algeria readmission {n}",
        url=f"https://news.example/{n}",
        source="Le Monde",
        published=datetime(2026, 11, 23, tzinfo=UTC),
    )
    story = Story(item=item, summary=Marked("Algeria agreed.", ((0, 7),)))
    return Alert(delivery_id=n, kind=kind, watch=WATCH, stories=(story,), **kw)  # type: ignore[arg-type]


async def test_it_is_a_notifier_and_posts_blocks_without_unfurling(rig: Rig) -> None:
    assert isinstance(rig.notifier, Notifier) and rig.notifier.scheme == "slack"
    ref = await rig.notifier.send("C123", alert())
    (call,) = rig.fake.calls("chat.postMessage")
    assert call.args["unfurl_links"] is False and call.args["unfurl_media"] is False
    assert call.args["text"] == "Algeria readmission 1 (Le Monde)"
    assert call.args["blocks"][0]["text"]["text"].startswith("*<https://news.example/1|")
    (message,) = rig.fake.messages("C123")
    assert ref == f"C123:{message['ts']}"
    assert parse_message_ref(ref) == ("C123", message["ts"])


async def test_an_update_edits_the_original_in_edit_mode(rig: Rig) -> None:
    ref = await rig.notifier.send("C123", alert())
    update = alert(kind="update", updates=ref, also_reported_by=("Al Jazeera",))
    assert await rig.notifier.send("C123", update) == ref
    assert len(rig.fake.calls("chat.postMessage")) == 1
    (message,) = rig.fake.messages("C123")
    assert "Also reported by: Al Jazeera" in str(message["blocks"])


async def test_an_update_of_a_deleted_message_is_posted_anew(rig: Rig) -> None:
    update = alert(kind="update", updates="C123:1700000099.000100", also_reported_by=("DW",))
    ref = await rig.notifier.send("C123", update)
    assert [c.method for c in rig.fake.calls_made] == ["chat.update", "chat.postMessage"]
    assert ref == f"C123:{rig.fake.messages('C123')[0]['ts']}"


async def test_an_update_is_a_thread_reply_in_thread_mode(rig: Rig) -> None:
    rig.notifier.updates_mode = "thread"
    ref = await rig.notifier.send("C123", alert())
    await rig.notifier.send("C123", alert(kind="update", updates=ref, also_reported_by=("DW",)))
    first, reply = rig.fake.messages("C123")
    assert reply["thread_ts"] == first["ts"] and not rig.fake.calls("chat.update")


async def test_a_dm_target_opens_the_conversation_once(rig: Rig) -> None:
    ref1 = await rig.notifier.send("@U777", alert(1))
    ref2 = await rig.notifier.send("@U777", alert(2))
    (opened,) = rig.fake.calls("conversations.open")
    assert opened.args["users"] == "U777"
    assert ref1.startswith("D777:") and ref2.startswith("D777:")


async def test_a_429_is_waited_out_for_its_retry_after(rig: Rig) -> None:
    rig.fake.fail_next("chat.postMessage", 429, retry_after=7)
    await rig.notifier.send("C123", alert())
    assert [c.status for c in rig.fake.calls("chat.postMessage")] == [429, 200]
    assert 7.0 in rig.time.slept
    assert len(rig.fake.messages("C123")) == 1


async def test_a_long_retry_after_is_handed_to_the_relay(rig: Rig) -> None:
    rig.fake.fail_next("chat.postMessage", 429, retry_after=600)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send("C123", alert())
    assert caught.value.retry_after == 600 and not isinstance(caught.value, PermanentDeliveryError)
    assert 600 not in rig.time.slept


async def test_server_errors_are_retried_except_on_a_post(rig: Rig) -> None:
    ref = await rig.notifier.send("C123", alert())
    rig.fake.fail_next("chat.update", 503)
    await rig.notifier.send("C123", alert(2, kind="update", updates=ref, also_reported_by=("DW",)))
    assert [c.status for c in rig.fake.calls("chat.update")] == [503, 200]
    # A post answered 5xx may have gone through: it goes back to the relay, which retries it
    # after looking for it in the channel, instead of slack_sdk posting it again blindly.
    rig.fake.fail_next("chat.postMessage", 503)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send("C123", alert(3))
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert [c.status for c in rig.fake.calls("chat.postMessage")] == [200, 503]


async def test_persistent_server_errors_are_a_transient_delivery_error(rig: Rig) -> None:
    ref = await rig.notifier.send("C123", alert())
    for _ in range(3):
        rig.fake.fail_next("chat.update", 500)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send(
            "C123", alert(2, kind="update", updates=ref, also_reported_by=("DW",))
        )
    assert not isinstance(caught.value, PermanentDeliveryError)


@pytest.mark.parametrize(
    "code", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"]
)
async def test_refusals_for_good_are_permanent(rig: Rig, code: str) -> None:
    rig.fake.fail_next("chat.postMessage", error=code)
    with pytest.raises(PermanentDeliveryError) as caught:
        await rig.notifier.send("C123", alert())
    assert code in caught.value.message


async def test_other_slack_errors_are_transient(rig: Rig) -> None:
    rig.fake.fail_next("chat.postMessage", error="internal_error")
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send("C123", alert())
    assert not isinstance(caught.value, PermanentDeliveryError)


async def test_thirty_alerts_to_one_channel_are_a_second_apart(rig: Rig) -> None:
    posted_at: list[float] = []
    for n in range(30):
        await rig.notifier.send("C123", alert(n))
        posted_at.append(rig.time.now)
    before = rig.time.now
    await rig.notifier.send("C999", alert(99))
    assert rig.time.now == before  # another channel does not wait behind C123
    gaps = [b - a for a, b in itertools.pairwise(posted_at)]
    assert len(rig.fake.messages("C123")) == 30 and min(gaps) >= 1.0
    assert rig.time.now - posted_at[0] == pytest.approx(29.0)


async def test_notify_owner_dms_escaped_text_and_never_raises(rig: Rig) -> None:
    await rig.notifier.notify_owner("slack:U42", "Watch #3 paused: <!channel> gone")
    (post,) = rig.fake.calls("chat.postMessage")
    assert post.args["channel"] == "D42" and "&lt;!channel&gt;" in post.args["text"]
    rig.fake.fail_next("conversations.open", error="user_not_found")
    await rig.notifier.notify_owner("slack:U43", "hello")
    await rig.notifier.notify_owner("discord:123", "not ours")
    assert len(rig.fake.calls("chat.postMessage")) == 1
