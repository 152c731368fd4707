"""Issue #18 (follow-up): a Discord post doubled by a retry after the nonce window.

Discord drops a repeated nonce only for a few minutes and never gives a nonce back, so a retry
whose earlier attempt may have reached Discord reads the bot's own messages in the channel from
shortly before that attempt and adopts the one whose embed is this delivery's (watch in the
footer, title, link, time, thread target, a fold's part and first line, the colour marker).
All against the fake REST API with the real discord.py client; the fake forgets a nonce after
`nonce_window` seconds of its wall clock, which the tests move by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.utils import time_snowflake

from bot.chat.discord_embeds import watch_colour
from bot.chat.discord_notifier import DiscordNotifier, parse_message_ref
from bot.chat.discord_posted import HISTORY_PAGE, SKEW_S, marker_of
from bot.chat.pacing import ChannelPacer
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError
from tests.chat.test_discord_bot import open_rig
from tests.chat.test_discord_notifier import ManualClock, rest_client
from tests.chat.test_fold_messages import fold
from tests.fakes.discord_api import (
    BOT_USER,
    CHANNEL_ID,
    NONCE_WINDOW_S,
    OTHER_CHANNEL_ID,
    FakeDiscord,
)

POST = "POST /channels/{channel}/messages"
READ = "GET /channels/{channel}/messages"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)
WATCH = WatchRef(12, "algeria AND readmission", f"discord:{CHANNEL_ID}", "discord:1")
OUTAGE = timedelta(minutes=10)


@dataclass
class Wall:
    """The fake's wall clock (message ids, timestamps, the nonce window), moved by hand."""

    now: float = NOW.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta.total_seconds()


@dataclass
class Rig:
    fake: FakeDiscord
    client: discord.Client
    notifier: DiscordNotifier
    wall: Wall

    def restarted(self, **options: Any) -> DiscordNotifier:
        """A new process's notifier: no memory of what was posted or read."""
        return DiscordNotifier(self.client, pacer=self.notifier.pacer, **options)

    def reads(self) -> list[Any]:
        return self.fake.calls(READ)


@pytest.fixture
async def rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    wall = Wall()
    async with FakeDiscord(wall=wall) as fake:
        client = await rest_client(fake, monkeypatch)
        clock = ManualClock()
        notifier = DiscordNotifier(client, pacer=ChannelPacer(1.0, clock=clock, sleep=clock.sleep))
        try:
            yield Rig(fake, client, notifier, wall)
        finally:
            await notifier.aclose()
            await client.close()


def alert(
    delivery_id: int,
    *,
    n: int | None = None,
    retry_since: datetime | None = None,
    kind: str = "alert",
    **extra: Any,
) -> Alert:
    """An alert for story `n` (by default the delivery id): its own title, link and time."""
    n = delivery_id if n is None else n
    item = Item(
        title=f"Algeria readmission accord {n}",
        url=f"https://news.example/{n}",
        source="AFP",
        published=PUBLISHED,
    )
    story = Story(item, Marked("Algeria and France agreed.", ((0, 7),)))
    return Alert(delivery_id, kind, WATCH, (story,), retry_since=retry_since, **extra)  # type: ignore[arg-type]


async def test_a_first_try_never_reads_and_carries_the_colour_marker(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(41))
    assert rig.reads() == []
    (embed,) = rig.fake.messages(CHANNEL_ID)[0]["embeds"]
    base = watch_colour(WATCH.id).value
    assert marker_of(embed["color"]) == 41
    assert all(abs((embed["color"] >> s & 255) - (base >> s & 255)) <= 7 for s in (0, 8, 16))


async def test_a_retry_after_the_nonce_window_adopts_the_message_instead_of_posting(rig: Rig):
    first = await rig.notifier.send(CHANNEL_ID, alert(7))  # the process dies before recording it
    await rig.notifier.send(CHANNEL_ID, alert(8))
    rig.wall.advance(OUTAGE)  # down for 10 minutes: Discord has forgotten the nonce
    assert OUTAGE.total_seconds() > NONCE_WINDOW_S

    again = await rig.restarted().send(CHANNEL_ID, alert(7, retry_since=NOW))

    assert again == first
    assert len(rig.fake.messages(CHANNEL_ID)) == 2 and len(rig.fake.posts()) == 2
    (read,) = rig.reads()
    since = NOW - timedelta(seconds=SKEW_S)
    assert int(read.query["after"]) == time_snowflake(since) and read.query["limit"] == "100"


async def test_a_retry_whose_first_attempt_never_arrived_posts_it_once(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(1))
    rig.wall.advance(OUTAGE)
    notifier = rig.restarted()
    ref = await notifier.send(CHANNEL_ID, alert(2, retry_since=NOW))
    channel, message = parse_message_ref(ref) or (0, 0)
    assert channel == int(CHANNEL_ID) and message == int(rig.fake.messages(CHANNEL_ID)[-1]["id"])
    assert len(rig.fake.messages(CHANNEL_ID)) == 2
    # Further retries in the channel reuse what this process read and posted since.
    rig.wall.advance(OUTAGE)
    assert await notifier.send(CHANNEL_ID, alert(2, retry_since=NOW)) == ref
    await notifier.send(CHANNEL_ID, alert(3, retry_since=NOW))
    assert len(rig.reads()) == 1 and len(rig.fake.messages(CHANNEL_ID)) == 3


async def test_a_message_older_than_the_window_is_not_taken_for_the_retry(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(5))  # posted at NOW
    rig.wall.advance(OUTAGE)
    later = NOW + timedelta(seconds=SKEW_S + 30)
    await rig.restarted().send(CHANNEL_ID, alert(5, retry_since=later))
    assert len(rig.fake.messages(CHANNEL_ID)) == 2  # outside the window: posted again, as asked


async def test_a_long_fold_posts_only_its_missing_parts(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, fold(120, kind="digest"))
    parts = len(rig.fake.messages(CHANNEL_ID))
    assert parts >= 3
    for message in rig.fake.messages(CHANNEL_ID)[2:]:  # the crash came after part 2
        del rig.fake.channels[CHANNEL_ID].messages[message["id"]]
    rig.wall.advance(OUTAGE)

    await rig.restarted().send(CHANNEL_ID, fold(120, kind="digest", retry_since=NOW))

    messages = rig.fake.messages(CHANNEL_ID)
    titles = [m["embeds"][0]["title"] for m in messages]
    assert [t.rsplit("(", 1)[1] for t in titles] == [f"{p}/{parts})" for p in range(1, parts + 1)]
    assert len(rig.fake.posts()) == parts + (parts - 2)  # the first run, then the missing ones
    text = "\n".join(m["embeds"][0]["description"] for m in messages)
    assert [text.count(f"(https://news.example/{n})") for n in range(120)] == [1] * 120


async def test_messages_of_other_authors_are_ignored(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(9))
    (ours,) = rig.fake.messages(CHANNEL_ID)
    del rig.fake.channels[CHANNEL_ID].messages[ours["id"]]  # never reached Discord, after all
    rig.fake.add_message(CHANNEL_ID, {"embeds": ours["embeds"]})  # a user's copy of it
    other_bot = {**BOT_USER, "id": "1100000000000000009", "username": "Copycat"}
    rig.fake.add_message(CHANNEL_ID, {"embeds": ours["embeds"]}, author=other_bot)
    rig.wall.advance(OUTAGE)
    await rig.restarted().send(CHANNEL_ID, alert(9, retry_since=NOW))
    assert len(rig.fake.messages(CHANNEL_ID)) == 3
    assert rig.fake.messages(CHANNEL_ID)[-1]["author"]["id"] == BOT_USER["id"]


async def test_two_deliveries_that_look_the_same_are_told_apart(rig: Rig) -> None:
    # One article under two guids: two deliveries, same title, link and time. Only the first
    # reached Discord before the crash; the second must be posted, not taken for the first.
    await rig.notifier.send(CHANNEL_ID, alert(20, n=1))
    rig.wall.advance(OUTAGE)
    await rig.restarted().send(CHANNEL_ID, alert(21, n=1, retry_since=NOW))
    first, second = rig.fake.messages(CHANNEL_ID)
    assert first["embeds"][0]["title"] == second["embeds"][0]["title"]
    assert [marker_of(m["embeds"][0]["color"]) for m in (first, second)] == [20, 21]


async def test_a_message_posted_here_for_another_delivery_is_never_adopted(rig: Rig) -> None:
    # Same look and same marker (ids 512 apart), but this process posted it for delivery 30.
    notifier = rig.restarted()
    await notifier.send(CHANNEL_ID, alert(30, n=1))
    rig.wall.advance(OUTAGE)
    await notifier.send(CHANNEL_ID, alert(30 + 512, n=1, retry_since=NOW))
    assert len(rig.fake.messages(CHANNEL_ID)) == 2


async def test_a_lost_answer_makes_the_next_retry_read_again(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(1, retry_since=NOW))  # reads the (empty) channel
    held = asyncio.Event()
    arrived = asyncio.Event()

    async def hold(channel: str, message: dict[str, Any]) -> None:
        arrived.set()
        await held.wait()

    rig.fake.on_post = hold
    sending = asyncio.ensure_future(rig.notifier.send(CHANNEL_ID, alert(2)))
    await arrived.wait()
    sending.cancel()  # the answer never comes (a timeout, a stop)
    with pytest.raises(asyncio.CancelledError):
        await sending
    held.set()
    rig.fake.on_post = None
    rig.wall.advance(OUTAGE)
    await rig.notifier.send(CHANNEL_ID, alert(2, retry_since=NOW))
    assert len(rig.fake.messages(CHANNEL_ID)) == 2 and len(rig.reads()) == 2


async def test_a_thread_reply_is_adopted_and_never_the_alert_it_answers(rig: Rig) -> None:
    notifier = rig.restarted(updates_mode="thread")
    original = await notifier.send(CHANNEL_ID, alert(1))
    # The update is a copy of the same story (same title, link, time) from another outlet.
    update = alert(2, n=1, kind="update", updates=original, also_reported_by=("DW",))
    await notifier.send(CHANNEL_ID, update)
    rig.wall.advance(OUTAGE)
    retry = alert(
        2, n=1, kind="update", updates=original, also_reported_by=("DW",), retry_since=NOW
    )
    ref = await rig.restarted(updates_mode="thread").send(CHANNEL_ID, retry)
    assert len(rig.fake.messages(CHANNEL_ID)) == 2
    assert ref == f"{CHANNEL_ID}:{rig.fake.messages(CHANNEL_ID)[1]['id']}"


async def test_a_rate_limited_read_never_posts_blind(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(4))
    rig.wall.advance(OUTAGE)
    rig.fake.fail_next(READ, 429, retry_after=600)
    notifier = rig.restarted()
    with pytest.raises(DeliveryError) as caught:
        await notifier.send(CHANNEL_ID, alert(4, retry_since=NOW))
    assert caught.value.retry_after == 600
    assert len(rig.fake.posts()) == 1
    # A short one is waited out by discord.py; the read then finds the message.
    rig.fake.fail_next(READ, 429, retry_after=0.01)
    await notifier.send(CHANNEL_ID, alert(4, retry_since=NOW))
    assert [r.status for r in rig.reads()] == [429, 429, 200]
    assert len(rig.fake.posts()) == 1 and len(rig.fake.messages(CHANNEL_ID)) == 1


async def test_any_other_failed_read_is_retried_later_too(rig: Rig) -> None:
    rig.fake.fail_next(READ, 400)
    with pytest.raises(DeliveryError):
        await rig.notifier.send(CHANNEL_ID, alert(4, retry_since=NOW))
    assert rig.fake.posts() == []


@pytest.mark.parametrize("status", [200, 403])
async def test_without_read_message_history_it_warns_once_per_channel_and_posts(
    rig: Rig, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    rig.fake.deny_history(CHANNEL_ID, status=status)  # Discord answers [] (or 403 if asked)
    await rig.notifier.send(CHANNEL_ID, alert(1))
    rig.wall.advance(OUTAGE)
    notifier = rig.restarted()
    with caplog.at_level(logging.WARNING):
        await notifier.send(CHANNEL_ID, alert(1, retry_since=NOW))
        await notifier.send(CHANNEL_ID, alert(2, retry_since=NOW))
        await notifier.send(OTHER_CHANNEL_ID, alert(3, retry_since=NOW))  # readable
    assert len(rig.fake.messages(CHANNEL_ID)) == 3  # the nonce is all that is left: posted
    warnings = [r.getMessage() for r in caplog.records if "Read Message History" in r.getMessage()]
    assert len(warnings) == 1 and CHANNEL_ID in warnings[0] and "84992" in warnings[0]


async def test_an_empty_window_in_a_readable_channel_is_no_warning(rig: Rig, caplog) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(1))
    rig.wall.advance(OUTAGE)
    with caplog.at_level(logging.WARNING):
        await rig.restarted().send(CHANNEL_ID, alert(2, retry_since=NOW + OUTAGE))
    assert not [r for r in caplog.records if "Read Message History" in r.getMessage()]


async def test_a_busy_channel_is_read_page_by_page(rig: Rig) -> None:
    await rig.notifier.send(CHANNEL_ID, alert(6))
    for n in range(2 * HISTORY_PAGE + 50):
        rig.wall.advance(timedelta(seconds=1))
        rig.fake.add_message(CHANNEL_ID, {"content": f"chatter {n}"})
    await rig.notifier.send(CHANNEL_ID, alert(7))
    rig.wall.advance(OUTAGE)
    notifier = rig.restarted()
    await notifier.send(CHANNEL_ID, alert(7, retry_since=NOW + timedelta(seconds=300)))
    await notifier.send(CHANNEL_ID, alert(6, retry_since=NOW))  # needs an earlier window
    assert len(rig.fake.posts()) == 2
    afters = [int(r.query["after"]) for r in rig.reads()]
    assert len(afters) == 1 + 3  # one page from 4 min later; 252 messages from the start
    assert afters[1:] == sorted(afters[1:])


async def test_with_the_gateway_the_permission_is_known_without_reading(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeDiscord() as fake:
        fake.deny_history(CHANNEL_ID)  # the channel's overwrite, sent in GUILD_CREATE
        r = await open_rig(tmp_path, fake)
        try:
            await r.adapter.client.wait_until_ready()
            notifier = r.adapter.notifier
            since = datetime.now(UTC)
            with caplog.at_level(logging.WARNING):
                await notifier.send(CHANNEL_ID, alert(1, retry_since=since))
                await notifier.send(CHANNEL_ID, alert(2, retry_since=since))
                await notifier.send(OTHER_CHANNEL_ID, alert(3, retry_since=since))
            assert [c.params["channel"] for c in fake.calls(READ)] == [OTHER_CHANNEL_ID]
            assert len(fake.posts()) == 3
            warnings = [
                r.getMessage() for r in caplog.records if "Read Message History" in r.getMessage()
            ]
            assert len(warnings) == 1 and CHANNEL_ID in warnings[0]
        finally:
            await r.adapter.stop()
            await r.store.close()
