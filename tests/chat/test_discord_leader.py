"""A follower worker's Discord: REST only (no gateway session); when it becomes the leader, the
gateway opens on the same client and slash commands are answered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app.watch_index import WatchIndex
from bot.chat.discord_bot import DiscordAdapter
from bot.commands.service import CommandService
from bot.settings import DiscordSettings, Secrets
from bot.store import Store
from tests.fakes.discord_api import GUILD_ID, FakeDiscord

pytestmark = pytest.mark.usefixtures("discord_endpoints_restored")


async def test_a_rest_only_follower_opens_the_gateway_when_it_leads(tmp_path: Path):
    async with FakeDiscord() as fake:
        store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
        settings = DiscordSettings(enabled=True, api_url=fake.api_url, guild_ids=[int(GUILD_ID)])
        adapter = DiscordAdapter(
            settings,
            Secrets({"DISCORD_BOT_TOKEN": fake.token}),
            CommandService(store, WatchIndex(), None),
            guild_ready_timeout=0.01,
        )
        assert adapter.leader_only
        try:
            await adapter.connect_rest()  # a follower: posts alerts, holds no session
            assert fake.identify is None and not await adapter.connected()
            assert GUILD_ID not in fake.commands
            await adapter.open_gateway()  # it became the leader
            assert fake.identify is not None
            for _ in range(100):  # READY, then the guilds (guild_ready_timeout)
                if await adapter.connected():
                    break
                await asyncio.sleep(0.05)
            assert await adapter.connected()
            assert {c["name"] for c in fake.commands[GUILD_ID]} == {"watch", "news", "sources"}
            answer = await fake.wait_final(fake.interaction("watch", "list"))
            assert "watch" in str(answer).lower()
            await adapter.open_gateway()  # already open: nothing happens
            assert await adapter.connected()
        finally:
            await adapter.stop()
            await store.close()
