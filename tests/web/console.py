"""A real Wirewatch app with its web console on a loopback port, for HTTP and browser tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bot.app.build import App, build_app
from bot.settings import Secrets, settings_from_dict
from bot.web import Readiness, WebServer, build_web_app
from tests.app.harness import Clock

ADMIN_TOKEN = "test-admin-token-0123456789"
WEB_SECRET = "test-web-secret-abcdefghijklmnop"


@dataclass
class WallClock:
    """Seconds since the epoch, moved by hand (session expiry, sign-in throttling)."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Console:
    """The app, its web server and the clocks the test controls."""

    app: App
    server: WebServer
    clock: Clock
    wall: WallClock
    readiness: Readiness
    scheduler_running: list[bool] = field(default_factory=lambda: [True])

    @property
    def url(self) -> str:
        return self.server.url


def console_settings(db: Path, **sections: Any) -> Any:
    data: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{db}"},
        "fetch": {"allow_hosts": ["127.0.0.1"]},
        "web": {"enabled": True, "port": 0},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values} if isinstance(values, dict) else values
    return settings_from_dict(data, source="test", env={})


@asynccontextmanager
async def open_console(
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    clock: Clock | None = None,
    **sections: Any,
) -> AsyncIterator[Console]:
    """Start an app and its console on 127.0.0.1 (a free port); stop both afterwards."""
    clock = clock or Clock()
    wall = WallClock()
    settings = console_settings(tmp_path / "console.db", **sections)
    secrets = Secrets(
        {"WIREWATCH_WEB_TOKEN": ADMIN_TOKEN, "WIREWATCH_WEB_SECRET": WEB_SECRET, **(env or {})}
    )
    app = await build_app(settings, secrets, with_chat=False, clock=clock)
    await app.sync_config()
    http = httpx.AsyncClient(timeout=10.0, trust_env=False)
    readiness = Readiness()
    console_box: list[Console] = []

    async def database() -> str | None:
        await app.store.ping()
        return None

    async def scheduler() -> str | None:
        return None if console_box[0].scheduler_running[0] else "not running"

    readiness.add("database", database)
    readiness.add("scheduler", scheduler)
    web_app = build_web_app(
        settings,
        secrets,
        app.service,
        app.store,
        readiness,
        http=http,
        clock=clock,
        wall_clock=wall,
    )
    server = WebServer(web_app, host="127.0.0.1", port=0)
    await server.start()
    console = Console(app, server, clock, wall, readiness)
    console_box.append(console)
    try:
        yield console
    finally:
        await server.stop()
        await http.aclose()
        await app.aclose()


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token in a page's first form."""
    found = CSRF_FIELD.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(http: aiohttp.ClientSession, base: str, token: str = ADMIN_TOKEN) -> str:
    """Sign in with the admin token; return the dashboard's HTML."""
    async with http.get(f"{base}/signin") as answer:
        csrf = csrf_of(await answer.text())
    async with http.post(f"{base}/signin", data={"csrf": csrf, "token": token}) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.text()


def oauth_config(fake: Any) -> dict[str, Any]:
    """open_console keyword arguments for Sign in with Slack and Discord against `fake`
    (a tests.fakes.oauth_providers.FakeOAuth): workspace T0TEAM0001, server 111…111."""
    return {
        "env": {
            "WIREWATCH_SLACK_CLIENT_SECRET": fake.slack_client_secret,
            "WIREWATCH_DISCORD_CLIENT_SECRET": fake.discord_client_secret,
        },
        "web": {
            "slack_client_id": fake.slack_client_id,
            "slack_team_id": "T0TEAM0001",
            "slack_authorize_url": f"{fake.base}/openid/connect/authorize",
            "discord_client_id": fake.discord_client_id,
            "discord_guild_ids": [111111111111111111],
            "discord_authorize_url": f"{fake.base}/oauth2/authorize",
        },
        "slack": {"api_url": f"{fake.base}/api/"},
        "discord": {"api_url": f"{fake.base}/api"},
    }
