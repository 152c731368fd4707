"""The `[web]` server: the console, /healthz and /readyz, on one aiohttp application.

`build_web_app` wires the pages, sign-in and health routes; `WebServer` runs it on
`[web] host:port` (127.0.0.1:8080 by default) for as long as `wirewatch run` runs. Another
route (e.g. /metrics) is one `server.add_routes([...])` before `start()`; routes under
/healthz, /readyz, /metrics and /static/ are public, all others need a signed-in user.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiohttp import web

from bot.commands.service import CommandService
from bot.settings import Secrets, Settings
from bot.store import Store
from bot.web import auth, pages
from bot.web.context import CONTEXT, SignInThrottle, WebContext
from bot.web.health import Readiness, healthz, readyz
from bot.web.oauth import DiscordSignIn, OAuthProvider, SlackSignIn
from bot.web.render import make_templates
from bot.web.sessions import SessionCodec

__all__ = ["STATIC_DIR", "WebServer", "build_web_app", "sign_in_providers"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
DISCORD_API = "https://discord.com/api/v10"


def _session_secret(secrets_: Secrets) -> str:
    """WIREWATCH_WEB_SECRET, else a key derived from the admin token, else a random one
    (sessions then end when the process stops)."""
    if secrets_.web_secret is not None:
        return secrets_.web_secret.get_secret_value()
    if secrets_.web_token is not None:
        token = secrets_.web_token.get_secret_value().encode()
        return hashlib.sha256(b"wirewatch session key\x00" + token).hexdigest()
    log.warning(
        "web: WIREWATCH_WEB_SECRET is not set: sessions are signed with a random key and end "
        "when the bot stops"
    )
    return secrets.token_hex(32)


def sign_in_providers(
    settings: Settings, secrets_: Secrets, http: httpx.AsyncClient
) -> dict[str, OAuthProvider]:
    """The OAuth sign-in methods configured: a client id in [web] and its secret in the env."""
    web_settings = settings.web
    providers: dict[str, OAuthProvider] = {}
    if web_settings.slack_client_id and web_settings.slack_team_id:
        if secrets_.slack_client_secret is None:
            log.warning(
                "web: [web] slack_client_id is set but WIREWATCH_SLACK_CLIENT_SECRET "
                "is not: Sign in with Slack is off"
            )
        else:
            providers["slack"] = SlackSignIn(
                client_id=web_settings.slack_client_id,
                client_secret=secrets_.slack_client_secret.get_secret_value(),
                team_id=web_settings.slack_team_id,
                authorize_endpoint=web_settings.slack_authorize_url,
                api_url=settings.slack.api_url,
                http=http,
            )
    if web_settings.discord_client_id:
        if secrets_.discord_client_secret is None:
            log.warning(
                "web: [web] discord_client_id is set but "
                "WIREWATCH_DISCORD_CLIENT_SECRET is not: Sign in with Discord is off"
            )
        else:
            from bot.chat.discord_bot import api_base

            providers["discord"] = DiscordSignIn(
                client_id=web_settings.discord_client_id,
                client_secret=secrets_.discord_client_secret.get_secret_value(),
                guild_ids=frozenset(str(g) for g in settings.web_discord_guilds),
                authorize_endpoint=web_settings.discord_authorize_url,
                api_base=api_base(settings.discord.api_url or DISCORD_API),
                http=http,
            )
    return providers


def build_web_app(
    settings: Settings,
    secrets_: Secrets,
    service: CommandService,
    store: Store,
    readiness: Readiness,
    *,
    http: httpx.AsyncClient,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    wall_clock: Callable[[], float] = time.time,
) -> web.Application:
    """The aiohttp application: health routes, static files, sign-in and every page."""
    context = WebContext(
        settings=settings,
        service=service,
        store=store,
        codec=SessionCodec(
            _session_secret(secrets_),
            max_age_s=settings.web.session_lifetime,
            clock=wall_clock,
        ),
        templates=make_templates(),
        clock=clock,
        throttle=SignInThrottle(wall_clock),
        admin_token=(
            secrets_.web_token.get_secret_value() if secrets_.web_token is not None else None
        ),
        providers=sign_in_providers(settings, secrets_, http),
    )
    app = web.Application(
        middlewares=[
            auth.security_headers_middleware,
            auth.session_middleware,
            auth.auth_middleware,
        ],
        client_max_size=1024**2,
    )
    app[CONTEXT] = context
    app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz(readiness))])
    app.add_routes([web.static("/static", STATIC_DIR, append_version=True)])
    app.add_routes(auth.routes())
    app.add_routes(pages.routes())
    return app


class WebServer:
    """Serves the web application on `[web] host:port` until stopped."""

    def __init__(self, app: web.Application, *, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def add_routes(self, routes: list[web.RouteDef]) -> None:
        """Add routes (before `start`), e.g. /metrics."""
        self.app.add_routes(routes)

    async def start(self) -> None:
        """Listen; `port` is the real one afterwards (useful with port 0)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as err:
            await self._runner.cleanup()
            self._runner = None
            raise RuntimeError(
                f"the web console cannot listen on {self.host}:{self.port} ({err.strerror or err}):"
                " set [web] port to a free port, or [web] enabled = false"
            ) from err
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("web console on http://%s:%s/", self.host, self.port)

    @property
    def url(self) -> str:
        """The base URL it listens on."""
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
