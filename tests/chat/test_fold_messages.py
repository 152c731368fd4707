"""Issue #18 point 7 at the platforms: a fold too long for one message is split into parts, each
posted once (a retry posts only the parts that are missing), and every story is in one of them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.discord_notifier import delivery_nonce
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError
from tests.chat.test_discord_notifier import POST
from tests.chat.test_discord_notifier import Rig as DiscordRig
from tests.chat.test_discord_notifier import rig as discord_rig  # noqa: F401 (fixture)
from tests.chat.test_slack_retry import (
    NOW,
    rig,  # noqa: F401 (fixture)
)
from tests.chat.test_slack_retry import Rig as SlackRig
from tests.fakes.discord_api import CHANNEL_ID

WHEN = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def fold(count: int, *, kind: str = "burst", retry_since: datetime | None = None) -> Alert:
    stories = tuple(
        Story(
            Item(
                title=f"Story {n} about the readmission accord and its many consequences",
                url=f"https://news.example/{n}",
                source="Wire",
                published=WHEN,
            ),
            Marked("" if n >= 3 else "Algeria agreed.", ((0, 7),) if n < 3 else ()),
        )
        for n in range(count)
    )
    watch = WatchRef(3, "readmission", f"discord:{CHANNEL_ID}")
    return Alert(9, kind, watch, stories, retry_since=retry_since)  # type: ignore[arg-type]


def shown(messages: list[dict]) -> str:
    return "\n".join(str(m) for m in messages)


async def test_slack_posts_a_long_fold_in_parts_and_a_retry_adds_only_the_missing_ones(
    rig: SlackRig,  # noqa: F811
) -> None:
    alert = fold(2500)
    first = await rig.notifier.send("C123", fold(10))  # a short fold: one message
    assert len(rig.fake.messages("C123")) == 1 and first

    calls = {"n": 0}

    async def fail_second(channel: str, message: dict) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the connection broke after the second part")

    rig.fake.on_post = fail_second
    with pytest.raises(DeliveryError):
        await rig.notifier.send("C123", alert)
    rig.fake.on_post = None
    parts_posted = len(rig.fake.messages("C123")) - 1
    assert parts_posted == 2  # the second part is in Slack, its answer was lost

    retry = fold(2500, retry_since=NOW)
    await rig.notifier.send("C123", retry)
    messages = rig.fake.messages("C123")[1:]
    parts = [m["metadata"]["event_payload"]["part"] for m in messages]
    assert parts == sorted(set(parts)) and len(parts) >= 3  # each part once, in order
    text = shown(messages)
    assert [text.count(f"news.example/{n}|") for n in range(2500)] == [1] * 2500


async def test_discord_posts_a_long_fold_in_parts_each_with_its_own_nonce(
    discord_rig: DiscordRig,  # noqa: F811
) -> None:
    alert = fold(120, kind="digest")
    await discord_rig.notifier.send(CHANNEL_ID, alert)
    posts = discord_rig.fake.posts(CHANNEL_ID)
    assert len(posts) > 1
    assert [p.body["nonce"] for p in posts] == [
        delivery_nonce(9, part) for part in range(1, len(posts) + 1)
    ]
    assert delivery_nonce(9, 1) == "ww-9" and delivery_nonce(9, 2) == "ww-9-2"
    await discord_rig.notifier.send(CHANNEL_ID, alert)  # a retry: the nonces are known
    text = shown(discord_rig.fake.messages(CHANNEL_ID))
    assert len(discord_rig.fake.messages(CHANNEL_ID)) == len(posts)
    assert [text.count(f"(https://news.example/{n})") for n in range(120)] == [1] * 120
    assert [c.status for c in discord_rig.fake.calls(POST)].count(200) == 2 * len(posts)
