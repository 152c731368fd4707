"""The Discord notifier through the real discord.py REST client against the local fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import discord
import pytest

from bot.chat.discord_bot import api_base
from bot.chat.discord_notifier import DiscordNotifier, delivery_nonce, parse_message_ref
from bot.chat.pacing import ChannelPacer
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError, Notifier, PermanentDeliveryError
from tests.fakes.discord_api import CHANNEL_ID, OTHER_CHANNEL_ID, USER_ID, FakeDiscord

POST = "POST /channels/{channel}/messages"
WATCH = WatchRef(3, "algeria AND readmission", f"discord:{CHANNEL_ID}", f"discord:{USER_ID}")


@dataclass
class ManualClock:
    """A monotonic clock that only moves when the pacer 'sleeps'."""

    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    fake: FakeDiscord
    notifier: DiscordNotifier
    clock: ManualClock


async def rest_client(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> discord.Client:
    """A discord.py client logged in to the fake's REST API (no gateway), as the bot's is."""
    monkeypatch.setattr(discord.http.Route, "BASE", api_base(fake.api_url))
    client = discord.Client(
        intents=discord.Intents(guilds=True),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=60.0,
    )
    await client.login(fake.token)
    return client


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with FakeDiscord() as fake:
        client = await rest_client(fake, monkeypatch)
        clock = ManualClock()
        pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
        notifier = DiscordNotifier(client, pacer=pacer)
        try:
            yield Rig(fake, notifier, clock)
        finally:
            await notifier.aclose()
            await client.close()


def alert(
    delivery_id: int = 41,
    title: str = "Algeria signs readmission deal",
    *,
    summary: str = "Algeria and France sign a readmission deal.",
    kind: str = "alert",
    **extra: object,
) -> Alert:
    item = Item(title=title, url="https://news.example/1", source="World")
    story = Story(item, Marked(summary, ((0, 7), (26, 37))))
    return Alert(delivery_id, kind, WATCH, (story,), **extra)  # type: ignore[arg-type]


def test_it_is_a_notifier_for_the_discord_scheme(rig: Rig) -> None:
    assert isinstance(rig.notifier, Notifier) and rig.notifier.scheme == "discord"


async def test_alert_is_one_post_with_embed_no_mentions_and_a_nonce(rig: Rig) -> None:
    ref = await rig.notifier.send(CHANNEL_ID, alert())
    (post,) = rig.fake.posts()
    assert post.params["channel"] == CHANNEL_ID
    assert post.body["allowed_mentions"] == {"parse": []}
    assert post.body["nonce"] == delivery_nonce(41) and post.body["enforce_nonce"] is True
    (embed,) = post.body["embeds"]
    assert embed["title"] == "Algeria signs readmission deal"
    assert embed["url"] == "https://news.example/1"
    assert "**readmission**" in embed["description"]
    (message,) = rig.fake.messages(CHANNEL_ID)
    assert ref == f"{CHANNEL_ID}:{message['id']}"


def test_nonce_is_short_and_stable() -> None:
    assert delivery_nonce(12) == delivery_nonce(12) != delivery_nonce(13)
    assert len(delivery_nonce(10**30)) <= 25


async def test_a_retried_delivery_does_not_post_twice(rig: Rig) -> None:
    first = await rig.notifier.send(CHANNEL_ID, alert(77))
    again = await rig.notifier.send(CHANNEL_ID, alert(77))
    assert first == again
    assert len(rig.fake.messages(CHANNEL_ID)) == 1
    assert len(rig.fake.posts()) == 2  # Discord answered the retry with the existing message


async def test_feed_text_with_everyone_and_user_mentions_pings_nobody(rig: Rig) -> None:
    hostile = alert(
        title="@everyone look <@123456789012345678>", summary="@here <@&555555555555555555> says hi"
    )
    await rig.notifier.send(CHANNEL_ID, hostile)
    (post,) = rig.fake.posts()
    assert post.body["allowed_mentions"] == {"parse": []}
    embed = post.body["embeds"][0]
    text = embed["title"] + embed["description"] + (post.body.get("content") or "")
    for ping in ("@everyone", "@here", "<@1", "<@&"):
        assert ping not in text


async def test_429_is_waited_out_and_the_message_posted_once(rig: Rig) -> None:
    rig.fake.fail_next(POST, 429, retry_after=0.01)
    ref = await rig.notifier.send(CHANNEL_ID, alert())
    statuses = [r.status for r in rig.fake.calls(POST)]
    assert statuses == [429, 200]
    assert len(rig.fake.messages(CHANNEL_ID)) == 1 and ref is not None


async def test_a_long_rate_limit_is_handed_to_the_relay_and_quiets_the_channel(rig: Rig) -> None:
    rig.fake.fail_next(POST, 429, retry_after=120.0)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send(CHANNEL_ID, alert(1))
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.retry_after == 120.0
    await rig.notifier.send(CHANNEL_ID, alert(2))
    assert rig.clock.slept == [120.0]


async def test_forbidden_is_permanent(rig: Rig) -> None:
    rig.fake.fail_next(POST, 403)
    with pytest.raises(PermanentDeliveryError, match="Send Messages"):
        await rig.notifier.send(CHANNEL_ID, alert())


async def test_deleted_channel_is_permanent(rig: Rig) -> None:
    rig.fake.delete_channel(OTHER_CHANNEL_ID)
    with pytest.raises(PermanentDeliveryError, match="does not exist"):
        await rig.notifier.send(OTHER_CHANNEL_ID, alert())


async def test_other_http_errors_are_temporary(rig: Rig) -> None:
    rig.fake.fail_next(POST, 400)
    with pytest.raises(DeliveryError) as caught:
        await rig.notifier.send(CHANNEL_ID, alert())
    assert not isinstance(caught.value, PermanentDeliveryError)


async def test_a_target_that_is_not_an_id_is_refused_without_a_request(rig: Rig) -> None:
    before = len(rig.fake.requests)
    with pytest.raises(PermanentDeliveryError, match="not a Discord id"):
        await rig.notifier.send("general", alert())
    assert len(rig.fake.requests) == before


async def test_dm_target_opens_the_dm_channel_once(rig: Rig) -> None:
    await rig.notifier.send(f"@{USER_ID}", alert(1))
    await rig.notifier.send(f"@{USER_ID}", alert(2))
    (opened,) = rig.fake.calls("POST /users/@me/channels")
    assert opened.body == {"recipient_id": int(USER_ID)} or opened.body == {"recipient_id": USER_ID}
    dm_posts = rig.fake.posts()
    assert len(dm_posts) == 2 and dm_posts[0].params["channel"] != CHANNEL_ID


async def test_sends_to_one_channel_are_paced(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(1))
    await rig.notifier.send(OTHER_CHANNEL_ID, alert(2))
    await rig.notifier.send(CHANNEL_ID, alert(3))
    assert rig.clock.slept == [1.0]


async def test_update_edits_the_original_with_also_reported_by(rig: Rig) -> None:
    ref = await rig.notifier.send(CHANNEL_ID, alert(1))
    update = alert(2, kind="update", updates=ref, also_reported_by=("Le Monde", "El País"))
    assert await rig.notifier.send(CHANNEL_ID, update) == ref
    assert len(rig.fake.posts()) == 1
    (edit,) = rig.fake.calls("PATCH /channels/{channel}/messages/{message}")
    assert edit.params["message"] == ref.partition(":")[2]
    (embed,) = rig.fake.messages(CHANNEL_ID)[0]["embeds"]
    assert embed["title"] == "Algeria signs readmission deal"
    assert {"name": "Also reported by", "value": "Le Monde, El País", "inline": False} in embed[
        "fields"
    ]


async def test_update_edits_without_reading_history_when_the_alert_is_remembered(rig: Rig):
    ref = await rig.notifier.send(CHANNEL_ID, alert(1))
    await rig.notifier.send(
        CHANNEL_ID, alert(2, kind="update", updates=ref, also_reported_by=("Le Monde",))
    )
    await rig.notifier.send(
        CHANNEL_ID, alert(3, kind="update", updates=ref, also_reported_by=("Le Monde", "BBC"))
    )
    assert rig.fake.calls("GET /channels/{channel}/messages/{message}") == []
    (embed,) = rig.fake.messages(CHANNEL_ID)[0]["embeds"]
    assert [f["value"] for f in embed["fields"]] == ["Le Monde, BBC"]


async def test_after_a_restart_the_alert_is_read_back_then_edited(rig: Rig):
    ref = await rig.notifier.send(CHANNEL_ID, alert(1))
    restarted = DiscordNotifier(rig.notifier.client, pacer=rig.notifier.pacer)
    await restarted.send(
        CHANNEL_ID, alert(2, kind="update", updates=ref, also_reported_by=("Le Monde",))
    )
    assert len(rig.fake.calls("GET /channels/{channel}/messages/{message}")) == 1
    (embed,) = rig.fake.messages(CHANNEL_ID)[0]["embeds"]
    assert embed["title"] == "Algeria signs readmission deal"
    assert embed["fields"][-1]["value"] == "Le Monde"


async def test_without_read_message_history_the_update_is_a_new_message(rig: Rig):
    ref = await rig.notifier.send(CHANNEL_ID, alert(1))
    restarted = DiscordNotifier(rig.notifier.client, pacer=rig.notifier.pacer)
    rig.fake.fail_next("GET /channels/{channel}/messages/{message}", 403)
    new_ref = await restarted.send(
        CHANNEL_ID, alert(2, kind="update", updates=ref, also_reported_by=("Le Monde",))
    )
    assert new_ref != ref and len(rig.fake.messages(CHANNEL_ID)) == 2


async def test_update_of_a_deleted_alert_posts_a_new_message(rig: Rig) -> None:
    update = alert(
        2,
        kind="update",
        updates=f"{CHANNEL_ID}:1999999999999999999",
        also_reported_by=("Le Monde",),
    )
    ref = await rig.notifier.send(CHANNEL_ID, update)
    (post,) = rig.fake.posts()
    assert post.body["embeds"][0]["fields"][0]["value"] == "Le Monde"
    assert ref is not None and ref.startswith(CHANNEL_ID)


async def test_thread_mode_answers_the_original(rig: Rig) -> None:
    rig.notifier.updates_mode = "thread"
    ref = await rig.notifier.send(CHANNEL_ID, alert(1))
    await rig.notifier.send(
        CHANNEL_ID, alert(2, kind="update", updates=ref, also_reported_by=("Le Monde",))
    )
    reply = rig.fake.posts()[1]
    assert reply.body["message_reference"]["message_id"] == parse_message_ref(ref)[1]  # type: ignore[index]


async def test_notify_owner_sends_a_dm_and_never_raises(rig: Rig) -> None:
    await rig.notifier.notify_owner(f"discord:{USER_ID}", "Your watch #3 was paused @everyone")
    (post,) = rig.fake.posts()
    assert post.body["content"].startswith("Your watch #3 was paused")
    assert post.body["allowed_mentions"] == {"parse": []}
    rig.fake.fail_next(POST, 403)
    await rig.notifier.notify_owner(f"discord:{USER_ID}", "again")
    await rig.notifier.notify_owner("slack:U123", "not ours")
    assert len(rig.fake.posts()) == 1
