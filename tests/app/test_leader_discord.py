"""Two running bots on one PostgreSQL with Discord on: only the leader holds a gateway session;
the follower posts over REST and is ready; when the leader loses its lock it stops, and the
follower takes the lead and opens the gateway."""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console

from bot.app.build import build_app
from bot.app.runtime import BotRuntime
from bot.app.web_console import runtime_readiness
from bot.settings import Secrets, settings_from_dict
from tests.app.postgres import private_database
from tests.app.test_runtime import wait_until
from tests.fakes.discord_api import GUILD_ID, FakeDiscord

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("discord_endpoints_restored")]


async def test_only_the_leader_holds_discords_gateway(tmp_path):
    async with FakeDiscord() as fake, private_database() as db:
        settings = settings_from_dict(
            {
                "database": {"url": db.url},
                "discord": {"enabled": True, "api_url": fake.api_url, "guild_ids": [GUILD_ID]},
            },
            source="test",
            env={},
        )
        secrets = Secrets({"DISCORD_BOT_TOKEN": fake.token})
        quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115
        apps = [await build_app(settings, secrets, console=quiet) for _ in range(2)]
        leader, follower = (BotRuntime(app) for app in apps)
        runs = [asyncio.create_task(leader.run())]
        try:
            assert await wait_until(lambda: leader.scheduler.running)
            runs.append(asyncio.create_task(follower.run()))
            assert await wait_until(lambda: follower.scheduler.running)
            assert leader.leadership.is_leader and not follower.leadership.is_leader
            assert len(fake._sockets) == 1  # one gateway session: the leader's
            ready = await runtime_readiness(
                apps[1], lambda: True, gateway_elsewhere=lambda a: a in follower._gateway_later
            ).problems()
            assert ready == {"database": None, "scheduler": None, "discord": None}
            assert apps[1].notifiers["discord"] is apps[1].adapters[0].notifier  # REST posts

            # The leader's database session ends (its lock with it): holding the gateway, it
            # stops rather than let two workers answer one interaction.
            await leader.leadership.lock._drop()  # type: ignore[attr-defined]
            await leader.leadership.tick()
            with pytest.raises(RuntimeError, match="lost the leader lock"):
                await asyncio.wait_for(runs[0], 30)
            await apps.pop(0).aclose()  # the process exits: its gateway session closes
            assert await wait_until(lambda: not fake._sockets)
            await follower.leadership.tick()
            assert follower.leadership.is_leader
            assert await wait_until(lambda: len(fake._sockets) == 1)
            assert await wait_until(lambda: not follower._gateway_later)
        finally:
            for runtime in (leader, follower):
                runtime.stop.set()
            await asyncio.gather(*runs, return_exceptions=True)
            for app in apps:
                await app.aclose()
