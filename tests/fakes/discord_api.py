"""A local fake of Discord's REST API and gateway, speaking the real wire format, for discord.py.

async with FakeDiscord() as fake:
    settings = DiscordSettings(enabled=True, api_url=fake.api_url)
    ...  # start the real discord.py client against it
    await fake.send_command("watch", "add", {"query": "Algeria"})
    callback = await fake.wait_for(lambda r: r.route == "POST /interactions/{id}/{token}/callback")

REST answers carry `Content-Type: application/json` exactly, `Via` and `X-RateLimit-*` headers;
`fail_next()` scripts a 429 (with `retry_after` and bucket headers), 403 or 404. The gateway does
HELLO, IDENTIFY, READY, GUILD_CREATE and heartbeat ACKs, and dispatches what a test sends.

Messages are Discord's: ids are snowflakes from the wall clock (`wall()`, strictly increasing),
so `GET /channels/{id}/messages` pages with `before` / `after` / `around` as Discord does (newest
first, `limit` 1 to 100, no `nonce` in what is read back). A repeated nonce with `enforce_nonce`
gets the message already posted only within `nonce_window` seconds ("the past few minutes").
`deny_history()` takes Read Message History from the bot in a channel: Discord then answers the
read with no messages (200, `[]`), or 403 when asked to; the bot's own member, with its role
and the channel's overwrite, is in GUILD_CREATE, so discord.py computes the same permissions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.loopback import serve_on_loopback

__all__ = ["Failure", "FakeDiscord", "Recorded"]

API_PREFIX = "/api/v10"
APP_ID = "1100000000000000001"
BOT_ID = "1100000000000000001"
GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1300000000000000001"
OTHER_CHANNEL_ID = "1300000000000000002"
OWNER_ID = "1400000000000000001"
USER_ID = "1400000000000000002"
ADMIN_ROLE_ID = "1500000000000000001"
BOT_ROLE_ID = "1500000000000000002"
MANAGE_CHANNELS = 1 << 4
READ_MESSAGE_HISTORY = 1 << 16
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14)  # view, send, embed links
BOT_PERMISSIONS = MEMBER_PERMISSIONS | READ_MESSAGE_HISTORY  # 84992, the recommended invite
DISCORD_EPOCH_MS = 1_420_070_400_000
NONCE_WINDOW_S = 300.0
BOT_USER = {
    "id": BOT_ID,
    "username": "Wirewatch",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "flags": 0,
    "verified": True,
    "mfa_enabled": False,
}

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", p) + "$"), p)
    for m, p in [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("GET", "/gateway/bot"),
        ("GET", "/gateway"),
        ("PUT", "/applications/{app}/commands"),
        ("PUT", "/applications/{app}/guilds/{guild}/commands"),
        ("POST", "/interactions/{id}/{token}/callback"),
        ("POST", "/webhooks/{app}/{token}"),
        ("PATCH", "/webhooks/{app}/{token}/messages/@original"),
        ("DELETE", "/webhooks/{app}/{token}/messages/@original"),
        ("GET", "/channels/{channel}"),
        ("POST", "/channels/{channel}/messages"),
        ("GET", "/channels/{channel}/messages"),
        ("GET", "/channels/{channel}/messages/{message}"),
        ("PATCH", "/channels/{channel}/messages/{message}"),
        ("POST", "/users/@me/channels"),
    ]
]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One REST request: `route` is the template ("POST /channels/{channel}/messages")."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int


@dataclass(slots=True)
class Failure:
    """A scripted error answer for the next `times` requests to `route`."""

    route: str
    status: int
    retry_after: float = 0.05
    code: int = 0
    times: int = 1
    is_global: bool = False


@dataclass
class _Channel:
    id: str
    kind: int = 0
    name: str = "news-desk"
    guild_id: str | None = GUILD_ID
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: int | None = None  # None: readable; 200 or 403: how a read is answered without it


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with Content-Type exactly application/json (no charset), as Discord sends."""
    body = b"" if data is None else json.dumps(data).encode()
    return web.Response(
        body=body, status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _read_back(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as GET returns it: Discord does not give the nonce back."""
    return {k: v for k, v in message.items() if k != "nonce"}


class FakeDiscord:
    """Discord's REST API and gateway on a free loopback port; records every request."""

    def __init__(
        self, *, wall: Callable[[], float] = time.time, nonce_window: float | None = NONCE_WINDOW_S
    ) -> None:
        self.wall = wall  # seconds since the epoch: message ids and timestamps
        self.nonce_window = nonce_window  # None: a nonce is remembered for ever
        self.token = "test-token"
        self.requests: list[Recorded] = []
        self.identify: dict[str, Any] | None = None
        self.heartbeats = 0
        self.failures: list[Failure] = []
        self.channels: dict[str, _Channel] = {
            CHANNEL_ID: _Channel(CHANNEL_ID),
            OTHER_CHANNEL_ID: _Channel(OTHER_CHANNEL_ID, name="alerts"),
        }
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.originals: dict[str, dict[str, Any]] = {}
        self.nonces: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._ids = itertools.count(1_600_000_000_000_000_001)
        self._last_snowflake = 0
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Runs after a channel message is stored and before it is answered (a test can kill
        # its client at the worst moment).
        self.on_post: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """What `[discord] api_url` should say: the REST base, version included."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The websocket URL answered by GET /gateway/bot."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- scripting and inspection ------------------------------------------------------------
    def fail_next(
        self,
        route: str,
        status: int,
        *,
        retry_after: float = 0.05,
        code: int = 0,
        times: int = 1,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` requests to `route` with `status` (429, 403, 404, 500...)."""
        self.failures.append(Failure(route, status, retry_after, code, times, is_global))

    def add_channel(self, channel_id: str, *, name: str = "extra", kind: int = 0) -> None:
        """Make a channel exist (messages to unknown channels get 404 Unknown Channel)."""
        self.channels[channel_id] = _Channel(channel_id, kind=kind, name=name)

    def deny_history(self, channel_id: str = CHANNEL_ID, *, status: int = 200) -> None:
        """Take Read Message History from the bot in a channel: a read of its messages is then
        answered with no messages (200, as Discord does) or with `status` (403)."""
        self.channels[channel_id].history = status

    def add_message(
        self,
        channel_id: str,
        body: dict[str, Any],
        *,
        author: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a message as if someone (by default another user) had posted it now."""
        user = author or {
            "id": USER_ID,
            "username": "someone",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        message = self._message(channel_id, body, author=user)
        self.channels[channel_id].messages[message["id"]] = message
        return message

    def delete_channel(self, channel_id: str) -> None:
        """Remove a channel, as if deleted by a moderator."""
        self.channels.pop(channel_id, None)

    def messages(self, channel_id: str = CHANNEL_ID) -> list[dict[str, Any]]:
        """The messages currently in a channel, oldest first."""
        channel = self.channels.get(channel_id)
        return list(channel.messages.values()) if channel else []

    def posts(self, channel_id: str | None = None) -> list[Recorded]:
        """Successful POST /channels/{id}/messages requests (optionally to one channel)."""
        return [
            r
            for r in self.requests
            if r.route == "POST /channels/{channel}/messages"
            and r.status == 200
            and (channel_id is None or r.params["channel"] == channel_id)
        ]

    def calls(self, route: str) -> list[Recorded]:
        """Every recorded request to a route template, whatever its answer."""
        return [r for r in self.requests if r.route == route]

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, timeout: float = 10.0
    ) -> Recorded:
        """Wait until a recorded request satisfies `predicate`; return it."""

        async def found() -> Recorded:
            async with self._changed:
                while True:
                    for request in self.requests:
                        if predicate(request):
                            return request
                    await self._changed.wait()

        return await asyncio.wait_for(found(), timeout)

    async def _record(self, request: Recorded) -> None:
        async with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    # ---- gateway -----------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                if payload.get("op") == 1:
                    self.heartbeats += 1
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif payload.get("op") == 2:
                    self.identify = payload["d"]
                    await self._ready(ws)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await self._send_event(
            ws,
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": GUILD_ID, "unavailable": True}],
                "session_id": "fake-session",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": APP_ID, "flags": 0},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "shard": [0, 1],
            },
        )
        await self._send_event(ws, "GUILD_CREATE", self._guild())

    def _guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID,
            "name": "Newsroom",
            "icon": None,
            "owner_id": OWNER_ID,
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "system_channel_flags": 0,
            "joined_at": _now(),
            "emojis": [],
            "stickers": [],
            "members": [
                {
                    "user": BOT_USER,
                    "roles": [BOT_ROLE_ID],
                    "joined_at": _now(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "roles": [
                {
                    "id": GUILD_ID,
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": ADMIN_ROLE_ID,
                    "name": "Wirewatch admin",
                    "permissions": "0",
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": BOT_ROLE_ID,
                    "name": "Wirewatch",
                    "permissions": str(BOT_PERMISSIONS),
                    "position": 2,
                    "color": 0,
                    "hoist": False,
                    "managed": True,
                    "mentionable": False,
                    "flags": 0,
                    "tags": {"bot_id": BOT_ID},
                },
            ],
            "channels": [
                self._channel_payload(c) for c in self.channels.values() if c.guild_id == GUILD_ID
            ],
        }

    @staticmethod
    def _channel_payload(channel: _Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "type": channel.kind,
            "name": channel.name,
            "guild_id": channel.guild_id,
            "position": 0,
            "permission_overwrites": (
                []
                if channel.history is None
                else [{"id": BOT_ID, "type": 1, "allow": "0", "deny": str(READ_MESSAGE_HISTORY)}]
            ),
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": max(channel.messages, key=int, default=None),
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    async def _send_event(self, ws: web.WebSocketResponse, name: str, data: Any) -> None:
        await ws.send_json({"op": 0, "t": name, "s": next(self._seq), "d": data})

    async def dispatch(self, name: str, data: Any) -> None:
        """Send a gateway DISPATCH event to every connected client."""
        for ws in list(self._sockets):
            await self._send_event(ws, name, data)

    # ---- interactions ------------------------------------------------------------------------
    def interaction(
        self,
        command: str,
        sub: str | None = None,
        options: dict[str, Any] | None = None,
        *,
        user_id: str = USER_ID,
        dm: bool = False,
        permissions: int = MEMBER_PERMISSIONS,
        roles: tuple[str, ...] = (),
        channel_id: str = CHANNEL_ID,
        focused: str | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a slash command (or its autocomplete, `focused`)."""
        leaf = [
            {
                "name": k,
                "type": 7 if k == "channel" else 3,
                "value": v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in (options or {}).items()
        ]
        top = [{"name": sub, "type": 1, "options": leaf}] if sub else leaf
        registered = {c["name"]: c["id"] for cmds in self.commands.values() for c in cmds}
        data: dict[str, Any] = {
            "id": registered.get(command, "1700000000000000001"),
            "name": command,
            "type": 1,
            "options": top,
        }
        if resolved:
            data["resolved"] = resolved
        user = {
            "id": user_id,
            "username": f"user{user_id[-3:]}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        token = f"tok{next(self._ids)}"
        payload: dict[str, Any] = {
            "id": str(next(self._ids)),
            "application_id": APP_ID,
            "type": 4 if focused else 2,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(MEMBER_PERMISSIONS),
            "attachment_size_limit": 8_388_608,
        }
        if dm:
            payload.update(
                channel_id=f"18{user_id[2:]}",
                user=user,
                context=1,
                channel={"id": f"18{user_id[2:]}", "type": 1, "recipients": [user]},
                authorizing_integration_owners={"0": GUILD_ID},
            )
        else:
            channel = self.channels.get(channel_id, _Channel(channel_id))
            payload.update(
                guild_id=GUILD_ID,
                channel_id=channel_id,
                context=0,
                channel=self._channel_payload(channel),
                guild_locale="en-US",
                guild={"id": GUILD_ID, "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": GUILD_ID},
                member={
                    "user": user,
                    "roles": list(roles),
                    "joined_at": _now(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions),
                    "nick": None,
                    "avatar": None,
                    "pending": False,
                },
            )
        return payload

    def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: str = USER_ID
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a click on a button of `message` (a guild channel)."""
        payload = self.interaction("click", user_id=user_id)
        payload.update(type=3, message=message, data={"custom_id": custom_id, "component_type": 2})
        return payload

    async def send_interaction(self, payload: dict[str, Any]) -> Recorded:
        """Dispatch an interaction and wait for its callback (the first answer)."""
        await self.dispatch("INTERACTION_CREATE", payload)
        return await self.wait_for(
            lambda r: (
                r.route == "POST /interactions/{id}/{token}/callback"
                and r.params["id"] == payload["id"]
            )
        )

    async def wait_final(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The final answer to an interaction: the callback's message, or after a defer the edit
        of the original or an ephemeral follow-up."""
        callback = await self.send_interaction(payload)
        if callback.body["type"] != 5:
            return dict(callback.body.get("data") or {})
        token = payload["token"]
        final = await self.wait_for(
            lambda r: (
                r.params.get("token") == token
                and r.route
                in (
                    "PATCH /webhooks/{app}/{token}/messages/@original",
                    "POST /webhooks/{app}/{token}",
                )
            )
        )
        return dict(final.body)

    # ---- REST --------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body = {"multipart": raw.decode(errors="replace")}
        for method, pattern, template in _ROUTES:
            match = pattern.match(path)
            if method == request.method and match:
                route, params = f"{method} {template}", match.groupdict()
                break
        else:
            route, params = f"{request.method} {path}", {}
        status, answer, extra = self._answer(route, params, body, request)
        await self._record(
            Recorded(
                request.method,
                path,
                route,
                params,
                dict(request.query),
                body,
                dict(request.headers),
                status,
            )
        )
        headers = {
            "Via": "1.1 google",
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset-After": "1.0",
            "X-RateLimit-Reset": "1900000000.0",
            "X-RateLimit-Bucket": f"bucket-{route.split(' ')[1].split('/')[1]}",
            **extra,
        }
        if route == "POST /channels/{channel}/messages" and status == 200 and self.on_post:
            await self.on_post(params["channel"], answer)
        if status == 204:
            return web.Response(status=204, headers=headers)
        return _json(answer, status, headers)

    def _scripted(self, route: str) -> Failure | None:
        for failure in self.failures:
            if failure.route == route and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    def _answer(
        self, route: str, params: dict[str, str], body: Any, request: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        by_token = route.startswith(
            ("POST /interactions/", "POST /webhooks/", "PATCH /webhooks/", "DELETE /webhooks/")
        )
        if not by_token and request.headers.get("Authorization") != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        failure = self._scripted(route)
        if failure is not None:
            return self._failure(failure)
        handler = getattr(self, "_" + re.sub(r"\W+", "_", route).strip("_").lower(), None)
        if handler is None:
            return 404, {"message": "404: Not Found", "code": 0}, {}
        result: tuple[int, Any, dict[str, str]] = handler(params, body, request)
        return result

    @staticmethod
    def _failure(failure: Failure) -> tuple[int, Any, dict[str, str]]:
        if failure.status == 429:
            return (
                429,
                {
                    "message": "You are being rate limited.",
                    "retry_after": failure.retry_after,
                    "global": failure.is_global,
                },
                {
                    "Retry-After": str(max(1, round(failure.retry_after))),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(failure.retry_after),
                    "X-RateLimit-Scope": "global" if failure.is_global else "user",
                },
            )
        messages = {403: ("Missing Access", 50001), 404: ("Unknown Channel", 10003)}
        text, code = messages.get(failure.status, ("Internal Server Error", 0))
        return failure.status, {"message": text, "code": failure.code or code}, {}

    # one method per route, named after it
    def _get_users_me(self, *_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, BOT_USER, {}

    def _get_oauth2_applications_me(self, *_: Any) -> tuple[int, Any, dict[str, str]]:
        owner = {"id": OWNER_ID, "username": "owner", "discriminator": "0", "avatar": None}
        return (
            200,
            {
                "id": APP_ID,
                "name": "Wirewatch",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "verify_key": "00" * 32,
                "flags": 0,
                "team": None,
            },
            {},
        )

    def _get_gateway_bot(self, *_: Any) -> tuple[int, Any, dict[str, str]]:
        return (
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            },
            {},
        )

    def _get_gateway(self, *_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"url": self.gateway_url}, {}

    def _sync(self, key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        registered = [
            {**c, "id": str(next(self._ids)), "application_id": APP_ID, "version": "1"}
            for c in body or []
        ]
        self.commands[key] = registered
        return 200, registered, {}

    def _put_applications_app_commands(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        return self._sync("global", body)

    def _put_applications_app_guilds_guild_commands(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        return self._sync(params["guild"], body)

    def _snowflake(self) -> str:
        """A message id from the wall clock, strictly increasing, as Discord's are."""
        now = ((int(self.wall() * 1000) - DISCORD_EPOCH_MS) << 22) | 1
        self._last_snowflake = max(self._last_snowflake + 1, now)
        return str(self._last_snowflake)

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self.wall(), UTC).isoformat()

    def _message(
        self, channel_id: str, body: dict[str, Any], *, author: dict[str, Any] = BOT_USER
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self._snowflake(),
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content") or "",
            "timestamp": self._stamp(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
            **({"nonce": body["nonce"]} if body.get("nonce") is not None else {}),
        }
        reference = body.get("message_reference")
        if isinstance(reference, dict) and reference.get("message_id"):
            channel = self.channels.get(channel_id)
            replied = channel.messages.get(str(reference["message_id"])) if channel else None
            message["type"] = 19  # REPLY
            message["message_reference"] = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id") or channel_id),
                **({"guild_id": channel.guild_id} if channel and channel.guild_id else {}),
            }
            message["referenced_message"] = _read_back(replied) if replied else None
        return message

    def _post_interactions_id_token_callback(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        kind = int(body["type"])
        data = body.get("data") or {}
        interaction = {
            "id": params["id"],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }
        if kind not in (4, 5):
            return 200, {"interaction": interaction}, {}
        message = self._message(CHANNEL_ID, data)
        self.originals[params["token"]] = message
        interaction["response_message_id"] = message["id"]
        return 200, {"interaction": interaction, "resource": {"type": kind, "message": message}}, {}

    def _post_webhooks_app_token(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        return 200, self._message(CHANNEL_ID, body or {}), {}

    def _patch_webhooks_app_token_messages_original(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        original = self.originals.get(params["token"])
        if original is None:
            return 404, {"message": "Unknown Message", "code": 10008}, {}
        original.update({k: v for k, v in (body or {}).items() if k in ("content", "embeds")})
        return 200, original, {}

    def _delete_webhooks_app_token_messages_original(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        if self.originals.pop(params["token"], None) is None:
            return 404, {"message": "Unknown Message", "code": 10008}, {}
        return 204, None, {}

    def _get_channels_channel(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        channel = self.channels.get(params["channel"])
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}, {}
        return 200, self._channel_payload(channel), {}

    def _post_channels_channel_messages(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        channel = self.channels.get(params["channel"])
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}, {}
        body = body or {}
        key = (channel.id, str(body.get("nonce")))
        if body.get("enforce_nonce") and key in self.nonces:
            when, known = self.nonces[key]
            if self.nonce_window is None or self.wall() - when <= self.nonce_window:
                return 200, known, {}
        message = self._message(channel.id, body)
        channel.messages[message["id"]] = message
        if body.get("nonce") is not None:
            self.nonces[key] = (self.wall(), message)
        return 200, message, {}

    def _get_channels_channel_messages(
        self, params: dict[str, str], body: Any, request: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        """Discord's paging: newest first; `after` gives the oldest `limit` after an id,
        `before` the newest before it, `around` about half on each side."""
        channel = self.channels.get(params["channel"])
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}, {}
        query = request.query
        anchors = [k for k in ("before", "after", "around") if k in query]
        limit_text = query.get("limit", "50")
        if (
            len(anchors) > 1
            or not limit_text.isdigit()
            or not 1 <= int(limit_text) <= 100
            or any(not query[k].isdigit() for k in anchors)
        ):
            return 400, {"message": "Invalid Form Body", "code": 50035}, {}
        if channel.history == 403:
            return 403, {"message": "Missing Access", "code": 50001}, {}
        if channel.history is not None:
            return 200, [], {}
        limit = int(limit_text)
        ordered = sorted(channel.messages.values(), key=lambda m: int(m["id"]))
        if "after" in query:
            page = [m for m in ordered if int(m["id"]) > int(query["after"])][:limit]
        elif "before" in query:
            page = [m for m in ordered if int(m["id"]) < int(query["before"])][-limit:]
        elif "around" in query:
            pivot, half = int(query["around"]), limit // 2
            older = [m for m in ordered if int(m["id"]) < pivot][-half:] if half else []
            newer = [m for m in ordered if int(m["id"]) >= pivot]
            page = older + newer[: limit - len(older)]
        else:
            page = ordered[-limit:]
        return 200, [_read_back(m) for m in reversed(page)], {}

    def _find_message(self, params: dict[str, str]) -> dict[str, Any] | None:
        channel = self.channels.get(params["channel"])
        return channel.messages.get(params["message"]) if channel else None

    def _get_channels_channel_messages_message(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        message = self._find_message(params)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}, {}
        if self.channels[params["channel"]].history is not None:
            return 403, {"message": "Missing Access", "code": 50001}, {}
        return 200, _read_back(message), {}

    def _patch_channels_channel_messages_message(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        message = self._find_message(params)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}, {}
        message.update({k: v for k, v in (body or {}).items() if k in ("content", "embeds")})
        message["edited_timestamp"] = self._stamp()
        return 200, message, {}

    def _post_users_me_channels(
        self, params: dict[str, str], body: Any, _: web.Request
    ) -> tuple[int, Any, dict[str, str]]:
        recipient = str((body or {}).get("recipient_id", ""))
        if not recipient.isdigit():
            return 400, {"message": "Invalid Form Body", "code": 50035}, {}
        dm_id = f"18{recipient[2:]}"
        if dm_id not in self.channels:
            self.channels[dm_id] = _Channel(dm_id, kind=1, name="", guild_id=None)
        user = {
            "id": recipient,
            "username": f"user{recipient[-3:]}",
            "discriminator": "0",
            "avatar": None,
            "global_name": None,
        }
        return 200, {"id": dm_id, "type": 1, "recipients": [user], "last_message_id": None}, {}
