"""The `[web]` server of a running bot: its readiness checks and its lifecycle (`BotRuntime`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.app.build import App, ChatAdapter
from bot.web import Readiness, WebServer, build_web_app

__all__ = ["ConsoleServer", "runtime_readiness"]


def runtime_readiness(
    app: App,
    scheduler_running: Callable[[], bool],
    *,
    gateway_elsewhere: Callable[[ChatAdapter], bool] = lambda adapter: False,
) -> Readiness:
    """The checks of /readyz: the database answers, the scheduler runs, each chat adapter is
    connected (on a follower, Discord is REST only: its gateway is the leader's)."""
    readiness = Readiness()

    async def database() -> str | None:
        await app.store.ping()
        return None

    async def scheduler() -> str | None:
        return None if scheduler_running() else "not running"

    readiness.add("database", database)
    readiness.add("scheduler", scheduler)
    for adapter in app.adapters:
        name = type(adapter).__name__.removesuffix("Adapter").lower()

        async def connected(adapter: ChatAdapter = adapter) -> str | None:
            if gateway_elsewhere(adapter):
                return None
            return None if await adapter.connected() else "not connected"

        readiness.add(name, connected)
    return readiness


class ConsoleServer:
    """The web server of a running bot, with the HTTP client its sign-in methods use."""

    def __init__(self, app: App, readiness: Readiness) -> None:
        self.http = httpx.AsyncClient(timeout=15.0, trust_env=False, follow_redirects=False)
        self.readiness = readiness
        self.server = WebServer(
            build_web_app(
                app.settings,
                app.secrets,
                app.service,
                app.store,
                readiness,
                http=self.http,
                clock=app.clock,
            ),
            host=app.settings.web.host,
            port=app.settings.web.port,
        )

    async def start(self) -> None:
        """Listen on [web] host:port."""
        try:
            await self.server.start()
        except BaseException:
            await self.http.aclose()
            raise

    async def stop(self) -> None:
        """Stop listening and close the sign-in client."""
        await self.server.stop()
        await self.http.aclose()
