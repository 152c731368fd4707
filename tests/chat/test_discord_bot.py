"""The Discord adapter: the real discord.py client, the real command service, the local fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app.watch_index import WatchIndex
from bot.chat.discord_bot import DiscordAdapter, DiscordStartError, api_base
from bot.commands.reply import Reply
from bot.commands.service import AccessPolicy, CommandService
from bot.settings import DiscordSettings, Secrets
from bot.store import Store
from tests.fakes.discord_api import (
    ADMIN_ROLE_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    MEMBER_PERMISSIONS,
    OTHER_CHANNEL_ID,
    USER_ID,
    FakeDiscord,
)

CALLBACK = "POST /interactions/{id}/{token}/callback"
EPHEMERAL = 64
MANAGER = MEMBER_PERMISSIONS | MANAGE_CHANNELS


@dataclass
class Rig:
    fake: FakeDiscord
    adapter: DiscordAdapter
    store: Store
    service: CommandService

    async def run(
        self, command: str, sub: str | None = None, options: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Send a slash command and return the message it was finally answered with."""
        return await self.fake.wait_final(self.fake.interaction(command, sub, options, **kw))


pytestmark = pytest.mark.usefixtures("discord_endpoints_restored")


async def open_rig(tmp_path: Path, fake: FakeDiscord, **options: Any) -> Rig:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    service = CommandService(
        store,
        WatchIndex(),
        None,
        policies={"discord": AccessPolicy(channel_watch_needs_manage=True)},
    )
    fields: dict[str, Any] = {"guild_ids": [int(GUILD_ID)], "admin_role": "Wirewatch admin"}
    fields.update(options.pop("settings", {}))
    settings = DiscordSettings(enabled=True, api_url=fake.api_url, **fields)
    adapter = DiscordAdapter(
        settings,
        Secrets({"DISCORD_BOT_TOKEN": fake.token}),
        service,
        guild_ready_timeout=0.01,
        **options,
    )
    try:
        await adapter.start()
    except DiscordStartError:
        await store.close()
        raise
    return Rig(fake, adapter, store, service)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with FakeDiscord() as fake:
        r = await open_rig(tmp_path, fake)
        try:
            yield r
        finally:
            await r.adapter.stop()
            await r.store.close()


def description(message: dict[str, Any]) -> str:
    return str(message["embeds"][0].get("description", ""))


def test_api_base_adds_the_version_once() -> None:
    assert api_base("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/v10"
    assert api_base("http://127.0.0.1:9/api/v10/") == "http://127.0.0.1:9/api/v10"


async def test_start_identifies_without_privileged_intents_and_syncs_to_the_guild(rig: Rig):
    assert rig.fake.identify is not None
    intents = discord.Intents._from_value(rig.fake.identify["intents"])
    assert intents.guilds and not intents.message_content and not intents.members
    assert rig.fake.heartbeats >= 1  # sent on HELLO, before IDENTIFY
    synced = {c["name"]: c for c in rig.fake.commands[GUILD_ID]}
    assert set(synced) == {"watch", "news", "sources"}
    assert int(synced["watch"]["default_member_permissions"]) == MANAGE_CHANNELS
    subs = {o["name"] for o in synced["watch"]["options"]}
    assert subs == {"add", "list", "remove", "pause", "resume", "test"}
    assert {o["name"] for o in synced["sources"]["options"]} == {"add", "list", "remove"}


async def test_watch_add_creates_a_channel_watch_and_answers_in_public(rig: Rig):
    answer = await rig.run(
        "watch", "add", {"query": "Algeria AND readmission"}, permissions=MANAGER
    )
    assert answer["embeds"][0]["title"] == "Watch #1 added"
    assert not int(answer.get("flags") or 0) & EPHEMERAL
    assert answer["allowed_mentions"] == {"parse": []}
    (watch,) = await rig.store.list_watches()
    assert watch.destination.endswith(rig.fake.interaction("x")["channel_id"])
    assert watch.owner == f"discord:{USER_ID}" and watch.label == "news-desk"


async def test_watch_add_to_another_channel_with_a_digest(rig: Rig):
    resolved = {
        "channels": {
            OTHER_CHANNEL_ID: {
                "id": OTHER_CHANNEL_ID,
                "name": "alerts",
                "type": 0,
                "permissions": str(MANAGER),
            }
        }
    }
    await rig.run(
        "watch",
        "add",
        {"query": "Algeria", "channel": OTHER_CHANNEL_ID, "digest": "daily 08:00 Europe/Paris"},
        permissions=MANAGER,
        resolved=resolved,
    )
    (watch,) = await rig.store.list_watches()
    assert watch.destination == f"discord:{OTHER_CHANNEL_ID}"
    assert watch.mode == "daily 08:00" and watch.tz == "Europe/Paris"


async def test_a_category_is_refused_as_an_alert_channel(rig: Rig):
    resolved = {
        "channels": {
            OTHER_CHANNEL_ID: {
                "id": OTHER_CHANNEL_ID,
                "name": "news",
                "type": 4,
                "permissions": str(MANAGER),
            }
        }
    }
    answer = await rig.run(
        "watch",
        "add",
        {"query": "Algeria", "channel": OTHER_CHANNEL_ID},
        permissions=MANAGER,
        resolved=resolved,
    )
    assert int(answer["flags"]) & EPHEMERAL
    assert "cannot receive alerts" in answer["embeds"][0]["title"]
    assert await rig.store.list_watches() == []


async def test_syntax_error_is_ephemeral_with_a_caret_in_a_code_block(rig: Rig):
    answer = await rig.run(
        "watch", "add", {"query": "Algeria AND (readmission"}, permissions=MANAGER
    )
    assert int(answer["flags"]) & EPHEMERAL
    assert "```\nAlgeria AND (readmission\n            ^\n```" in description(answer)
    assert await rig.store.list_watches() == []


async def test_a_lower_case_or_is_refused_with_the_fix(rig: Rig):
    answer = await rig.run("watch", "add", {"query": "election or vote"}, permissions=MANAGER)
    assert int(answer["flags"]) & EPHEMERAL
    assert 'write OR, or quote "or" to search the word (at column 10)' in description(answer)
    assert await rig.store.list_watches() == []


async def test_channel_watch_needs_manage_channels_or_the_admin_role(rig: Rig):
    refused = await rig.run("watch", "add", {"query": "Algeria"})
    assert int(refused["flags"]) & EPHEMERAL
    assert "cannot add watches" in refused["embeds"][0]["title"]
    assert await rig.store.list_watches() == []
    allowed = await rig.run("watch", "add", {"query": "Algeria"}, roles=(ADMIN_ROLE_ID,))
    assert allowed["embeds"][0]["title"] == "Watch #1 added"


async def test_anyone_adds_a_personal_watch_by_dm(rig: Rig):
    answer = await rig.run("watch", "add", {"query": "Algeria"}, dm=True)
    assert answer["embeds"][0]["title"] == "Watch #1 added"
    (watch,) = await rig.store.list_watches()
    assert watch.destination == f"discord:@{USER_ID}"


async def test_list_is_ephemeral_and_autocomplete_offers_the_ids(rig: Rig):
    await rig.run("watch", "add", {"query": "Algeria"}, dm=True)
    await rig.run("watch", "add", {"query": "Tunisia"}, dm=True)
    listed = await rig.run("watch", "list", dm=True)
    assert int(listed["flags"]) & EPHEMERAL
    text = description(listed).lower()  # the canonical form's case belongs to the rule parser
    assert "`algeria`" in text and "`tunisia`" in text
    callback = await rig.fake.send_interaction(
        rig.fake.interaction("watch", "remove", {"id": "tun"}, dm=True, focused="id")
    )
    assert callback.body["type"] == 8
    (choice,) = callback.body["data"]["choices"]
    assert choice["value"] == "2" and choice["name"].lower() == "#2 · tunisia"


async def test_pause_resume_remove_by_id(rig: Rig):
    await rig.run("watch", "add", {"query": "Algeria"}, dm=True)
    paused = await rig.run("watch", "pause", {"id": "#1"}, dm=True)
    assert paused["embeds"][0]["title"] == "Watch #1 paused"
    assert (await rig.store.get_watch(1)).paused  # type: ignore[union-attr]
    await rig.run("watch", "resume", {"id": "1"}, dm=True)
    assert not (await rig.store.get_watch(1)).paused  # type: ignore[union-attr]
    timed = await rig.run("watch", "pause", {"id": "1", "until": "for 2h"}, dm=True)
    assert timed["embeds"][0]["title"].startswith("Watch #1 paused until ")
    assert (await rig.store.get_watch(1)).paused_until is not None  # type: ignore[union-attr]
    await rig.run("watch", "resume", {"id": "1"}, dm=True)
    await rig.run("watch", "remove", {"id": "1"}, dm=True)
    assert await rig.store.list_watches() == []
    missing = await rig.run("watch", "remove", {"id": "abc"}, dm=True)
    assert int(missing["flags"]) & EPHEMERAL and "not a watch id" in missing["embeds"][0]["title"]


async def test_news_and_watch_test_are_ephemeral_lookups(rig: Rig):
    news = await rig.run("news", None, {"query": "Algeria", "since": "24h"})
    assert int(news["flags"]) & EPHEMERAL
    assert news["embeds"][0]["title"].lower().startswith("0 items for `algeria`")
    bad = await rig.run("news", None, {"query": "Algeria", "since": "forever"})
    assert "period cannot be used" in bad["embeds"][0]["title"]
    tested = await rig.run("watch", "test", {"query": "Algeria OR Tunisia"}, permissions=MANAGER)
    assert int(tested["flags"]) & EPHEMERAL and tested["embeds"][0]["title"] == "The rule is valid"


async def test_sources_are_for_admins_and_their_ids_autocomplete(rig: Rig):
    refused = await rig.run("sources", "add", {"url": "https://feeds.example/rss"})
    assert "Only Wirewatch admins" in refused["embeds"][0]["title"]
    added = await rig.run(
        "sources", "add", {"url": "https://feeds.example/rss"}, roles=(ADMIN_ROLE_ID,)
    )
    assert added["embeds"][0]["title"].startswith("Source #1 added")
    bad = await rig.run("sources", "add", {"url": "file:///etc/passwd"}, roles=(ADMIN_ROLE_ID,))
    assert bad["embeds"][0]["title"] == "That source cannot be added"
    assert "only http:// and https:// URLs can be polled" in description(bad)
    listed = await rig.run("sources", "list")
    assert int(listed["flags"]) & EPHEMERAL and "**#1**" in description(listed)
    callback = await rig.fake.send_interaction(
        rig.fake.interaction("sources", "remove", {"id": "feeds"}, focused="id")
    )
    assert callback.body["data"]["choices"][0]["value"] == "1"
    await rig.run("sources", "remove", {"id": "1"}, roles=(ADMIN_ROLE_ID,))
    assert await rig.store.list_sources() == []


async def test_slow_commands_are_deferred_then_answered(tmp_path: Path):
    async with FakeDiscord() as fake:
        r = await open_rig(tmp_path, fake, defer_after=0.0)
        try:
            payload = fake.interaction("watch", "add", {"query": "Algeria"}, permissions=MANAGER)
            callback = await fake.send_interaction(payload)
            assert callback.body["type"] == 5
            final = await fake.wait_final(payload)
            assert final["embeds"][0]["title"] == "Watch #1 added"

            error = fake.interaction("watch", "remove", {"id": "99"}, permissions=MANAGER)
            assert (await fake.send_interaction(error)).body["type"] == 5
            answer = await fake.wait_final(error)
            assert answer["embeds"][0]["title"] == "There is no watch #99 here"
            assert int(answer["flags"]) & EPHEMERAL  # the public "thinking" message was removed
            assert fake.calls("DELETE /webhooks/{app}/{token}/messages/@original")
        finally:
            await r.adapter.stop()
            await r.store.close()


class _Broken:
    """A service whose every call fails, to prove a bug never reaches the channel raw."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Reply]]:
        def fail(*args: Any, **kwargs: Any) -> Awaitable[Reply]:
            # raises at the call, so a method the adapter calls without awaiting fails too
            raise RuntimeError("boom")

        return fail


async def test_an_internal_error_answers_politely(rig: Rig):
    rig.adapter.service = _Broken()  # type: ignore[assignment]
    rig.adapter.tree.clear_commands(guild=None)
    rig.adapter._register_commands()
    answer = await rig.run("news", None, {"query": "x"}, dm=True)
    assert int(answer["flags"]) & EPHEMERAL
    assert answer["embeds"][0]["title"] == "Something went wrong on our side"
    assert "boom" not in str(answer)


async def test_start_without_a_token_says_what_to_set(tmp_path: Path):
    adapter = DiscordAdapter(DiscordSettings(enabled=True), Secrets({}), None)  # type: ignore[arg-type]
    with pytest.raises(DiscordStartError, match="DISCORD_BOT_TOKEN"):
        await adapter.start()


async def test_a_wrong_token_is_reported(tmp_path: Path):
    async with FakeDiscord() as fake:
        settings = DiscordSettings(enabled=True, api_url=fake.api_url)
        adapter = DiscordAdapter(settings, Secrets({"DISCORD_BOT_TOKEN": "wrong"}), None)  # type: ignore[arg-type]
        with pytest.raises(DiscordStartError, match="refused the bot token"):
            await adapter.start()


async def test_sharded_client_asks_the_gateway_and_syncs_globally(tmp_path: Path):
    async with FakeDiscord() as fake:
        r = await open_rig(tmp_path, fake, settings={"shards": True, "guild_ids": []})
        try:
            assert isinstance(r.adapter.client, discord.AutoShardedClient)
            assert {c["name"] for c in fake.commands["global"]} == {"watch", "news", "sources"}
            answer = await r.run("watch", "add", {"query": "Algeria"}, dm=True)
            assert answer["embeds"][0]["title"] == "Watch #1 added"
        finally:
            await r.adapter.stop()
            await r.store.close()


async def test_digest_autocomplete_suggests_modes_and_keeps_what_was_typed(rig: Rig):
    callback = await rig.fake.send_interaction(
        rig.fake.interaction(
            "watch", "add", {"query": "x", "digest": "daily 07:30 Asia/Tokyo"}, focused="digest"
        )
    )
    values = [c["value"] for c in callback.body["data"]["choices"]]
    assert values[0] == "daily 07:30 Asia/Tokyo"
    callback = await rig.fake.send_interaction(
        rig.fake.interaction("watch", "add", {"query": "x", "digest": "hour"}, focused="digest")
    )
    assert [c["value"] for c in callback.body["data"]["choices"]] == ["hour", "hourly"]


async def test_a_guild_the_bot_cannot_register_in_is_named(tmp_path: Path):
    async with FakeDiscord() as fake:
        fake.fail_next("PUT /applications/{app}/guilds/{guild}/commands", 403)
        with pytest.raises(DiscordStartError, match=f"server {GUILD_ID}.*applications.commands"):
            await open_rig(tmp_path, fake)
