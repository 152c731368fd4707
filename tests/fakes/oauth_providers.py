"""Local fakes of Slack's (OpenID Connect) and Discord's (OAuth 2.0) sign-in endpoints.

They speak the real wire formats: the authorize page answers 302 to `redirect_uri` with `code`
and `state` (as after the person clicks "Allow"), or with `error=access_denied`; the token
endpoints take form bodies (Discord: client credentials by HTTP Basic) and answer JSON (Slack:
HTTP 200 with `ok: false` and an `error` code on failure; Discord: 400/401 with an OAuth error);
the user endpoints need `Authorization: Bearer`.

Slack: GET /openid/connect/authorize, POST /api/openid.connect.token,
POST|GET /api/openid.connect.userInfo. Discord: GET /oauth2/authorize, POST /api/v10/oauth2/token,
GET /api/v10/users/@me, GET /api/v10/users/@me/guilds.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.loopback import serve_on_loopback

__all__ = ["DiscordAccount", "FakeOAuth", "SlackAccount"]


@dataclass
class SlackAccount:
    user_id: str = "U0WEBUSER1"
    team_id: str = "T0TEAM0001"
    name: str = "Nadia Web"


@dataclass
class DiscordAccount:
    id: str = "412345678901234567"
    username: str = "nadia"
    global_name: str = "Nadia D."
    guilds: list[str] = field(default_factory=lambda: ["111111111111111111"])


def _json(payload: Any, status: int = 200) -> web.Response:
    # Exactly application/json, as the real APIs answer (no charset parameter).
    return web.Response(
        body=json.dumps(payload).encode(), status=status, content_type="application/json"
    )


@dataclass
class FakeOAuth:
    """Both providers on one loopback server; `slack_user` / `discord_user` is who "signs in"."""

    slack_client_id: str = "1234.5678"
    slack_client_secret: str = "slack-client-secret"
    discord_client_id: str = "998877665544332211"
    discord_client_secret: str = "discord-client-secret"
    slack_user: SlackAccount = field(default_factory=SlackAccount)
    discord_user: DiscordAccount = field(default_factory=DiscordAccount)
    deny: bool = False
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (who, redirect)
    _tokens: dict[str, str] = field(default_factory=dict)  # access token -> who
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid/connect/authorize", self._slack_authorize)
        app.router.add_post("/api/openid.connect.token", self._slack_token)
        app.router.add_route("*", "/api/openid.connect.userInfo", self._slack_userinfo)
        app.router.add_get("/oauth2/authorize", self._discord_authorize)
        app.router.add_post("/api/v10/oauth2/token", self._discord_token)
        app.router.add_get("/api/v10/users/@me", self._discord_me)
        app.router.add_get("/api/v10/users/@me/guilds", self._discord_guilds)
        self._runner, self.port = await serve_on_loopback(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- shared -----------------------------------------------------------------------------
    def _authorize(self, request: web.Request, who: str, client_id: str) -> web.Response:
        query = request.query
        self.requests.append(("authorize", who, dict(query)))
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != client_id or not redirect_uri:
            return web.Response(status=400, text="invalid client_id or redirect_uri")
        if self.deny:
            params = {"error": "access_denied", "state": query.get("state", "")}
        else:
            code = secrets.token_urlsafe(12)
            self._codes[code] = (who, redirect_uri)
            params = {"code": code, "state": query.get("state", "")}
        return web.Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(params)}"})

    def _redeem(self, code: str, redirect_uri: str, who: str) -> bool:
        found = self._codes.pop(code, None)  # a code works once
        return found == (who, redirect_uri)

    def _bearer(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return self._tokens.get(header.removeprefix("Bearer ").strip())

    # ---- Slack ----------------------------------------------------------------------------
    async def _slack_authorize(self, request: web.Request) -> web.Response:
        return self._authorize(request, "slack", self.slack_client_id)

    async def _slack_token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(("token", "slack", form))
        if (form.get("client_id"), form.get("client_secret")) != (
            self.slack_client_id,
            self.slack_client_secret,
        ):
            return _json({"ok": False, "error": "invalid_client_id"})
        if not self._redeem(form.get("code", ""), form.get("redirect_uri", ""), "slack"):
            return _json({"ok": False, "error": "invalid_code"})
        token = "xoxp-" + secrets.token_hex(8)
        self._tokens[token] = "slack"
        return _json(
            {
                "ok": True,
                "access_token": token,
                "token_type": "Bearer",
                "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
            }
        )

    async def _slack_userinfo(self, request: web.Request) -> web.Response:
        self.requests.append(("userinfo", "slack", {}))
        if self._bearer(request) != "slack":
            return _json({"ok": False, "error": "invalid_auth"})
        account = self.slack_user
        return _json(
            {
                "ok": True,
                "sub": account.user_id,
                "https://slack.com/user_id": account.user_id,
                "https://slack.com/team_id": account.team_id,
                "name": account.name,
                "email_verified": False,
            }
        )

    # ---- Discord --------------------------------------------------------------------------
    async def _discord_authorize(self, request: web.Request) -> web.Response:
        return self._authorize(request, "discord", self.discord_client_id)

    async def _discord_token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(("token", "discord", form))
        expected = base64.b64encode(
            f"{self.discord_client_id}:{self.discord_client_secret}".encode()
        ).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _json({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "authorization_code" or not self._redeem(
            form.get("code", ""), form.get("redirect_uri", ""), "discord"
        ):
            return _json(
                {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'},
                status=400,
            )
        token = secrets.token_hex(15)
        self._tokens[token] = "discord"
        return _json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_hex(15),
                "scope": "identify guilds",
            }
        )

    async def _discord_me(self, request: web.Request) -> web.Response:
        if self._bearer(request) != "discord":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        user = self.discord_user
        return _json(
            {
                "id": user.id,
                "username": user.username,
                "global_name": user.global_name,
                "discriminator": "0",
                "avatar": None,
            }
        )

    async def _discord_guilds(self, request: web.Request) -> web.Response:
        if self._bearer(request) != "discord":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(
            [
                {
                    "id": gid,
                    "name": f"Server {gid[-4:]}",
                    "icon": None,
                    "owner": False,
                    "permissions": "0",
                    "features": [],
                }
                for gid in self.discord_user.guilds
            ]
        )
