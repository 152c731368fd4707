"""Sign in with Slack (OpenID Connect) and with Discord (OAuth 2.0): the authorization-code flow.

Each provider builds the address the browser is sent to, then turns the code it comes back
with into the user, by two server-to-server calls: the token endpoint, then the user endpoint.
The user is the same id the bot stores as an owner (`slack:U…`, `discord:123…`). Slack users
must belong to the configured workspace and Discord users to one of the configured servers,
or anyone with an account could sign in.

Slack: `openid/connect/authorize` → `openid.connect.token` → `openid.connect.userInfo`
(https://api.slack.com/authentication/sign-in-with-slack). Discord: `oauth2/authorize` →
`POST /oauth2/token` (client credentials by HTTP Basic) → `GET /users/@me` and
`GET /users/@me/guilds` (https://discord.com/developers/docs/topics/oauth2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from bot.web.sessions import User

__all__ = ["DiscordSignIn", "OAuthProvider", "SignInError", "SlackSignIn"]


class SignInError(Exception):
    """Sign-in failed; the message says why, for the person signing in."""


class OAuthProvider(Protocol):
    """One "Sign in with …" button."""

    name: str
    label: str

    def authorize_url(self, *, state: str, redirect_uri: str) -> str: ...

    async def user_for(self, code: str, *, redirect_uri: str) -> User: ...


async def _json(answer: httpx.Response, what: str) -> Any:
    if answer.status_code >= 400:
        raise SignInError(f"{what} answered HTTP {answer.status_code}; try signing in again")
    try:
        return answer.json()
    except ValueError:
        raise SignInError(f"{what} did not answer JSON; try signing in again") from None


@dataclass
class SlackSignIn:
    """Sign in with Slack (OpenID Connect); only members of `team_id` are let in."""

    client_id: str
    client_secret: str
    team_id: str
    authorize_endpoint: str
    api_url: str
    http: httpx.AsyncClient
    name: str = "slack"
    label: str = "Sign in with Slack"

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        """Where to send the browser: Slack's consent page for the openid and profile scopes."""
        query = urlencode(
            {
                "response_type": "code",
                "scope": "openid profile",
                "client_id": self.client_id,
                "state": state,
                "team": self.team_id,
                "redirect_uri": redirect_uri,
            }
        )
        return f"{self.authorize_endpoint}?{query}"

    def _method(self, name: str) -> str:
        return self.api_url.rstrip("/") + "/" + name

    async def user_for(self, code: str, *, redirect_uri: str) -> User:
        """Exchange the code for a token, then read who signed in; refuse other workspaces."""
        try:
            token_answer = await self.http.post(
                self._method("openid.connect.token"),
                data={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "grant_type": "authorization_code",
                },
            )
            token = await _json(token_answer, "Slack's token endpoint")
            if not isinstance(token, dict) or not token.get("ok") or not token.get("access_token"):
                error = token.get("error", "no token") if isinstance(token, dict) else "no token"
                raise SignInError(f"Slack refused the sign-in ({error}); try again")
            info_answer = await self.http.post(
                self._method("openid.connect.userInfo"),
                headers={"Authorization": f"Bearer {token['access_token']}"},
            )
        except httpx.HTTPError as err:
            raise SignInError(f"Slack could not be reached ({type(err).__name__})") from None
        info = await _json(info_answer, "Slack's userInfo endpoint")
        if not isinstance(info, dict) or not info.get("ok"):
            raise SignInError("Slack did not say who signed in; try again")
        user_id = str(info.get("https://slack.com/user_id") or "")
        team = str(info.get("https://slack.com/team_id") or "")
        if not user_id:
            raise SignInError("Slack did not say who signed in; try again")
        if team != self.team_id:
            raise SignInError(
                "That Slack account belongs to another workspace: sign in with your account "
                "in the workspace where Wirewatch runs"
            )
        return User("slack", user_id, str(info.get("name") or user_id))


@dataclass
class DiscordSignIn:
    """Sign in with Discord (OAuth 2.0, scopes identify and guilds); only members of
    `guild_ids` are let in."""

    client_id: str
    client_secret: str
    guild_ids: frozenset[str]
    authorize_endpoint: str
    api_base: str
    http: httpx.AsyncClient
    name: str = "discord"
    label: str = "Sign in with Discord"

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        """Where to send the browser: Discord's consent page for identify and guilds."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "scope": "identify guilds",
                "state": state,
                "redirect_uri": redirect_uri,
                "prompt": "none",
            }
        )
        return f"{self.authorize_endpoint}?{query}"

    async def user_for(self, code: str, *, redirect_uri: str) -> User:
        """Exchange the code for a token, read the user and their servers; refuse strangers."""
        base = self.api_base.rstrip("/")
        try:
            token_answer = await self.http.post(
                f"{base}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                },
                auth=(self.client_id, self.client_secret),
            )
            token = await _json(token_answer, "Discord's token endpoint")
            if not isinstance(token, dict) or not token.get("access_token"):
                raise SignInError("Discord refused the sign-in; try again")
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            me = await _json(
                await self.http.get(f"{base}/users/@me", headers=headers), "Discord's /users/@me"
            )
            guilds = await _json(
                await self.http.get(f"{base}/users/@me/guilds", headers=headers),
                "Discord's /users/@me/guilds",
            )
        except httpx.HTTPError as err:
            raise SignInError(f"Discord could not be reached ({type(err).__name__})") from None
        if not isinstance(me, dict) or not me.get("id"):
            raise SignInError("Discord did not say who signed in; try again")
        member_of = {str(g.get("id")) for g in guilds if isinstance(g, dict)} if guilds else set()
        if not member_of & self.guild_ids:
            raise SignInError(
                "That Discord account is not a member of a server where Wirewatch runs"
            )
        name = str(me.get("global_name") or me.get("username") or me["id"])
        return User("discord", str(me["id"]), name)
