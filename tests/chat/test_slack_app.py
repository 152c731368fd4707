"""The Slack adapter: signed HTTP requests and Socket Mode into the real Bolt app and command
service, answers checked at the fake Slack (response URLs, views.publish, socket acks)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.app.watch_index import WatchIndex
from bot.chat.slack_app import COMMANDS, SlackAdapter, SlackStartError, request_is_signed
from bot.commands.service import AccessPolicy, CommandService
from bot.core.item import Item
from bot.settings import Secrets, SlackSettings
from bot.store import Store
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0001"
OTHER = "U0002"
CHANNEL = "C0123ABCD"


def sign(body: str, timestamp: str, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Rig:
    fake: FakeSlack
    adapter: SlackAdapter
    store: Store
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST a body signed now (unless `headers` are given) and return status and text."""
        if headers is None:
            stamp = str(int(time.time()))
            headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp)}
        headers = {**headers, "Content-Type": content_type}
        async with self.http.post(self.url, data=body.encode(), headers=headers) as answer:
            return answer.status, await answer.text()

    async def command(
        self, command: str, text: str, *, user: str = USER, channel: str = CHANNEL
    ) -> dict[str, Any]:
        """Send a signed slash command; return the JSON it was acknowledged with."""
        status, text_body = await self.post(
            command_body(command, text, user=user, channel=channel, fake=self.fake),
            "application/x-www-form-urlencoded",
        )
        assert status == 200, text_body
        answer: dict[str, Any] = json.loads(text_body)
        return answer

    async def click(self, action_id: str, value: str, *, user: str = USER, **extra: Any) -> None:
        """Send a signed block_actions payload for one button."""
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "ana"},
            "api_app_id": "A1",
            "team": {"id": "T0000FAKE"},
            "channel": {"id": CHANNEL, "name": "desk"},
            "response_url": self.fake.response_url("click"),
            "trigger_id": "1.2.3",
            "actions": [{"action_id": action_id, "value": value, "type": "button"}],
            **extra,
        }
        status, text = await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        assert status == 200, text


def command_body(command: str, text: str, *, user: str, channel: str, fake: FakeSlack) -> str:
    return urlencode(command_fields(command, text, user=user, channel=channel, fake=fake))


def command_fields(
    command: str, text: str, *, user: str, channel: str, fake: FakeSlack
) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": "T0000FAKE",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "desk",
        "user_id": user,
        "user_name": "ana",
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "response_url": fake.response_url("cmd"),
        "trigger_id": "1.2.3",
    }


def all_text(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def open_service(tmp_path: Path) -> tuple[Store, CommandService]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    service = CommandService(store, WatchIndex(), None, policies={"slack": AccessPolicy()})
    return store, service


def http_settings(fake: FakeSlack) -> SlackSettings:
    settings = SlackSettings(enabled=True, mode="http", host="127.0.0.1", api_url=fake.api_url)
    return settings.model_copy(update={"port": 0})


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        store, service = await open_service(tmp_path)
        secrets = Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET})
        adapter = SlackAdapter(http_settings(fake), secrets, service)
        await adapter.start()
        try:
            yield Rig(fake, adapter, store, http)
        finally:
            await adapter.stop()
            await store.close()


# ---- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "{now}"},
        {"X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "v0=bad"},
        {"X-Slack-Request-Timestamp": "{old}", "X-Slack-Signature": "{sig_old}"},
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "{sig_soon}"},
        {"X-Slack-Request-Timestamp": "１２３", "X-Slack-Signature": "{sig_wide}"},
        {"X-Slack-Request-Timestamp": "{now}", "X-Slack-Signature": "{sig_other_secret}"},
    ],
    ids=["none", "no-signature", "no-timestamp", "bad", "old", "non-numeric", "wide-digits", "key"],
)
async def test_unsigned_stale_or_malformed_requests_get_401_never_500(
    rig: Rig, headers: dict[str, str]
) -> None:
    body = command_body("/watch", "add Algeria", user=USER, channel=CHANNEL, fake=rig.fake)
    now = int(time.time())
    values = {
        "now": str(now),
        "old": str(now - 301),
        "sig_old": sign(body, str(now - 301)),
        "sig_soon": sign(body, "soon"),
        "sig_wide": sign(body, "１２３"),
        "sig_other_secret": sign(body, str(now), "another-secret"),
    }
    filled = {k: v.format(**values) for k, v in headers.items()}
    status, _ = await rig.post(body, "application/x-www-form-urlencoded", filled)
    assert status == 401
    assert await rig.store.list_watches() == []


async def test_a_body_that_is_not_utf8_is_refused_not_a_crash(rig: Rig) -> None:
    stamp = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign("x", stamp),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with rig.http.post(rig.url, data=b"text=\xff\xfe", headers=headers) as answer:
        assert answer.status == 400


def test_request_is_signed_accepts_exactly_the_valid_window() -> None:
    body = "a=1"
    stamp = "1700000000"
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp)}
    assert request_is_signed(SECRET, headers, body, now=1700000000 + 300)
    assert not request_is_signed(SECRET, headers, body, now=1700000000 + 301)
    assert not request_is_signed(SECRET, headers, body + "x", now=1700000000)
    assert not request_is_signed("", headers, body, now=1700000000)


# ---- commands ---------------------------------------------------------------------------------


async def test_watch_add_in_a_channel_subscribes_that_channel(rig: Rig) -> None:
    answer = await rig.command("/watch", "add Algeria AND readmission")
    assert answer["response_type"] == "in_channel"
    assert answer["blocks"][0]["text"]["text"] == "*Watch #1 added*"
    (watch,) = await rig.store.list_watches()
    assert (watch.destination, watch.owner, watch.query) == (
        f"slack:{CHANNEL}",
        f"slack:{USER}",
        "Algeria AND readmission",
    )


async def test_watch_add_in_the_dm_is_a_personal_watch(rig: Rig) -> None:
    await rig.command("/watch", "add Algeria", channel="D0001")
    (watch,) = await rig.store.list_watches()
    assert watch.destination == f"slack:@{USER}"


async def test_a_syntax_error_is_a_private_reply_with_a_caret(rig: Rig) -> None:
    answer = await rig.command("/watch", "test Algeria AND (readmission")
    assert answer["response_type"] == "ephemeral"
    text = all_text(answer["blocks"])
    assert "⚠️" in text and "```" in text and "^" in text


async def test_a_lower_case_or_is_refused_with_the_fix(rig: Rig) -> None:
    answer = await rig.command("/watch", "add election or vote")
    assert answer["response_type"] == "ephemeral"
    text = all_text(answer["blocks"])
    assert 'write OR, or quote \\"or\\" to search the word (at column 10)' in text
    assert await rig.store.list_watches() == []


async def test_a_slow_command_is_acked_at_once_and_finished_via_response_url(rig: Rig) -> None:
    rig.adapter.ack_after = 0.0
    answer = await rig.command("/watch", "add Algeria AND readmission")
    assert answer == {"text": "Working on it…", "response_type": "ephemeral"}
    await rig.fake.wait_until(lambda: bool(rig.fake.responses))
    ((token, message),) = rig.fake.responses
    assert token == "cmd" and message["response_type"] == "in_channel"
    assert message["blocks"][0]["text"]["text"] == "*Watch #1 added*"


async def archive(store: Store, *titles: str) -> None:
    """Put items in the archive, fetched an hour ago."""
    source = await store.add_source("Wire", "https://wire.example/rss")
    now = datetime.now(UTC)
    items = [
        Item(title=t, url=f"https://wire.example/{n}", source="Wire", published=now, guid=str(n))
        for n, t in enumerate(titles)
    ]
    async with store.transaction() as tx:
        await tx.add_new_items(source.id, items, now=now - timedelta(hours=1))


async def test_news_is_private_with_a_share_button_that_posts_it_in_channel(rig: Rig) -> None:
    await archive(rig.store, "Algeria <!channel> talks", "Markets steady")
    answer = await rig.command("/news", "Algeria since 7d")
    assert answer["response_type"] == "ephemeral"
    assert "Algeria &lt;!channel&gt; talks" in all_text(answer["blocks"])
    button = answer["blocks"][-1]["elements"][0]
    assert button["text"]["text"] == "Share in channel" and button["value"] == "Algeria since 7d"
    await rig.click(button["action_id"], button["value"])
    await rig.fake.wait_until(lambda: bool(rig.fake.responses))
    ((_, shared),) = rig.fake.responses
    assert shared["response_type"] == "in_channel" and "Shared by user ana" in all_text(shared)


async def test_pause_this_watch_button_pauses_it_for_its_creator_only(rig: Rig) -> None:
    await rig.command("/watch", "add Algeria")
    await rig.click("watch_pause", "1", user=OTHER)
    await rig.fake.wait_until(lambda: len(rig.fake.responses) == 1)
    assert not (await rig.store.list_watches())[0].paused
    await rig.click("watch_pause", "1")
    await rig.fake.wait_until(lambda: len(rig.fake.responses) == 2)
    assert (await rig.store.list_watches())[0].paused
    assert all(message["response_type"] == "ephemeral" for _, message in rig.fake.responses)


async def test_open_button_is_acknowledged(rig: Rig) -> None:
    await rig.click("open_link", "")
    assert rig.fake.responses == []


async def test_app_home_lists_watches_and_its_buttons_work(rig: Rig) -> None:
    await rig.command("/watch", "add Algeria AND readmission")
    event = {
        "type": "event_callback",
        "team_id": "T0000FAKE",
        "api_app_id": "A1",
        "event_id": "Ev1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": USER, "channel": "D0001", "tab": "home"},
    }
    status, _ = await rig.post(json.dumps(event), "application/json")
    assert status == 200
    await rig.fake.wait_until(lambda: bool(rig.fake.calls("views.publish")))
    (published,) = rig.fake.calls("views.publish")
    assert published.args["user_id"] == USER
    view = all_text(published.args["view"])
    assert "Algeria AND readmission" in view and '"Pause"' in view and '"Remove"' in view
    await rig.click("home_remove", "1", view={"id": "V1", "type": "home"})
    await rig.fake.wait_until(lambda: len(rig.fake.calls("views.publish")) == 2)
    assert await rig.store.list_watches() == []
    assert "Watch #1 removed" in all_text(rig.fake.calls("views.publish")[1].args["view"])


async def test_failed_home_views_never_keep_an_earlier_notice(rig: Rig) -> None:
    """A reply for a failure is made fresh each time: a notice added to one stays there."""

    async def broken(caller: object) -> object:
        raise RuntimeError("boom")

    rig.adapter.service.home = broken  # type: ignore[method-assign]
    caller = rig.adapter.action_caller({"user": {"id": USER}})
    await rig.adapter.publish_home(caller, notice="Watch #1 paused")
    await rig.adapter.publish_home(caller, notice="Watch #2 paused")
    first, second = (all_text(c.args["view"]) for c in rig.fake.calls("views.publish"))
    assert "Something went wrong" in second and "Watch #2 paused" in second
    assert "Watch #1 paused" in first and "Watch #1 paused" not in second


async def test_hostile_command_text_is_escaped_in_the_reply(rig: Rig) -> None:
    answer = await rig.command("/watch", "add <!channel> OR <@U9>")
    assert "<!channel>" not in all_text(answer) and "<@U9>" not in all_text(answer)


# ---- start and Socket Mode --------------------------------------------------------------------


async def test_start_explains_missing_or_refused_tokens(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        store, service = await open_service(tmp_path)
        settings = SlackSettings(enabled=True, api_url=fake.api_url)
        with pytest.raises(SlackStartError, match="SLACK_BOT_TOKEN is not set"):
            SlackAdapter(settings, Secrets({}), service)
        cases = [
            (Secrets({"SLACK_BOT_TOKEN": "xoxb-wrong"}), "invalid_auth"),
            (Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN}), "SLACK_APP_TOKEN is not set"),
            (
                Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-wrong"}),
                "update SLACK_APP_TOKEN",
            ),
        ]
        for secrets, message in cases:
            adapter = SlackAdapter(settings, secrets, service)
            with pytest.raises(SlackStartError, match=message):
                await adapter.start()
            await adapter.stop()
        http = SlackAdapter(http_settings(fake), Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN}), service)
        with pytest.raises(SlackStartError, match="SLACK_SIGNING_SECRET"):
            await http.start()
        await http.stop()
        await store.close()


async def test_socket_mode_acks_a_slash_command_with_the_reply(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        store, service = await open_service(tmp_path)
        secrets = Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN})
        adapter = SlackAdapter(SlackSettings(enabled=True, api_url=fake.api_url), secrets, service)
        try:
            await adapter.start()
            assert {c.token for c in fake.calls("apps.connections.open")} == {APP_TOKEN}
            await fake.wait_until(lambda: fake.connected)
            payload = command_fields(
                "/watch", "add Algeria AND readmission", user=USER, channel=CHANNEL, fake=fake
            )
            ack = await fake.deliver("slash_commands", payload, "env-1")
            assert ack["envelope_id"] == "env-1"
            assert ack["payload"]["blocks"][0]["text"]["text"] == "*Watch #1 added*"
            (watch,) = await store.list_watches()
            assert watch.destination == f"slack:{CHANNEL}"
        finally:
            await adapter.stop()
            await store.close()


def test_the_manifest_declares_every_command_and_the_home_event() -> None:
    manifest = (Path(__file__).parents[2] / "config" / "slack-manifest.yml").read_text()
    declared = re.findall(r"^\s*- command: (\S+)$", manifest, re.MULTILINE)
    assert sorted(declared) == sorted(COMMANDS)
    assert re.search(r"^\s*- app_home_opened$", manifest, re.MULTILINE)
    assert re.search(r"^\s*socket_mode_enabled: true$", manifest, re.MULTILINE)
    for scope in ("commands", "chat:write", "im:write"):
        assert re.search(rf"^\s*- {scope}$", manifest, re.MULTILINE)
