"""A local fake of the Slack Web API, response URLs and Socket Mode, on 127.0.0.1.

The real `AsyncWebClient(base_url=fake.api_url)` talks to it. It records every call, keeps the
messages posted per channel, and can be scripted to answer the next call of a method with a 429
(and `Retry-After`), a 5xx, or a Slack error code. `apps.connections.open` names a local websocket
that says hello and lets a test deliver envelopes (e.g. a slash command) and read the ack.
Each call is stamped with `clock()`, so a test with an injected clock can check pacing.

Messages carry Slack's wire fields: `ts` from the wall clock (`wall()`, strictly increasing),
`bot_id`, `app_id`, `thread_ts` for replies and the `metadata` ({"event_type", "event_payload"})
given to chat.postMessage. `conversations.history` (GET, newest first, `oldest`/`latest`
exclusive unless `inclusive`, `limit` and `cursor` pagination) and `conversations.replies`
return them, with `metadata` only when asked with `include_all_metadata`, as Slack does.
Channels in `outside` answer `not_in_channel` (the bot was not invited), as Slack does.
`on_post` (an async hook) runs after a message is stored and before the answer is sent, so a
test can kill its client at the worst moment.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.loopback import serve_on_loopback

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
BOT_USER = "UBOT0001"
BOT_ID = "BFAKE"
APP_ID = "AFAKE0001"
TEAM_ID = "T0000FAKE"
HISTORY_LIMIT_MAX = 999

__all__ = ["APP_TOKEN", "BOT_ID", "BOT_TOKEN", "BOT_USER", "TEAM_ID", "Call", "FakeSlack"]


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    status: int
    token: str
    at: float = 0.0


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: float | None


@dataclass
class FakeSlack:
    """The fake Slack; use as `async with FakeSlack() as fake:`."""

    clock: Callable[[], float] = lambda: 0.0
    wall: Callable[[], float] = time.time
    on_post: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
    calls_made: list[Call] = field(default_factory=list)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    outside: set[str] = field(default_factory=set)  # channels the bot was not invited to
    _failures: dict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    _last_ts: float = 0.0
    _cursors = itertools.count(1)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    port: int = 0

    async def __aenter__(self) -> FakeSlack:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- addresses and scripting -----------------------------------------------------------
    @property
    def api_url(self) -> str:
        """The base URL to give `AsyncWebClient(base_url=...)`."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, token: str = "r1") -> str:
        """A response_url for a command or action payload."""
        return f"http://127.0.0.1:{self.port}/respond/{token}"

    def fail_next(
        self,
        method: str,
        status: int = 200,
        *,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next call of `method` with `status` (429, 5xx) or a Slack `error` code."""
        self._failures[method].append(_Failure(status, error, retry_after))

    async def wait_until(self, ready: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `ready()` holds after some call, response or ack (a guard, not a timer)."""
        assert self._changed is not None

        async def until() -> None:
            assert self._changed is not None
            async with self._changed:
                await self._changed.wait_for(ready)

        await asyncio.wait_for(until(), timeout)

    async def _record(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    def calls(self, method: str) -> list[Call]:
        """Every call of one method, in order."""
        return [c for c in self.calls_made if c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages currently in a channel (after edits)."""
        return list(self.channels.get(channel, []))

    # ---- Web API ---------------------------------------------------------------------------
    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.get("token", ""))
        failures = self._failures.get(method)
        if failures:
            failure = failures.popleft()
            self.calls_made.append(Call(method, args, failure.status, token, self.clock()))
            await self._record()
            return self._failure(failure)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            self.calls_made.append(Call(method, args, 200, token, self.clock()))
            await self._record()
            return web.json_response({"ok": False, "error": "invalid_auth"})
        self.calls_made.append(Call(method, args, 200, token, self.clock()))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        answer: dict[str, Any] = (
            handler(args) if handler else {"ok": False, "error": "unknown_method"}
        )
        await self._record()
        if method == "chat.postMessage" and answer.get("ok") and self.on_post is not None:
            await self.on_post(answer["channel"], answer["message"])
        return web.json_response(answer)

    @staticmethod
    def _failure(failure: _Failure) -> web.Response:
        if failure.status == 429:
            seconds = 1 if failure.retry_after is None else int(failure.retry_after)
            headers = {"Retry-After": str(seconds)}
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers=headers)
        if failure.status >= 500:
            return web.Response(status=failure.status, text="upstream trouble")
        return web.json_response({"ok": False, "error": failure.error or "fatal_error"})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "team_id": TEAM_ID,
            "bot_id": "BFAKE",
            "user": "ww",
        }

    def _next_ts(self) -> str:
        """A message timestamp from the wall clock, strictly increasing, as Slack's are."""
        self._last_ts = max(self._last_ts + 0.000001, self.wall())
        return f"{self._last_ts:.6f}"

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            return {"ok": False, "error": "invalid_metadata_format"}
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "ts": self._next_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if metadata is not None:
            message["metadata"] = metadata
        self.channels[channel].append(message)
        shown = {k: v for k, v in message.items() if k != "metadata"}
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": shown}

    @staticmethod
    def _flag(value: Any) -> bool:
        return str(value).lower() in {"1", "true"}

    def _page(
        self, args: dict[str, Any], messages: list[dict[str, Any]], *, newest_first: bool
    ) -> dict[str, Any]:
        """Filter by oldest/latest, order, paginate and show metadata as conversations.* do."""
        inclusive = self._flag(args.get("inclusive"))
        oldest = float(args.get("oldest") or 0)
        latest = float(args["latest"]) if args.get("latest") else float("inf")

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        chosen = [m for m in messages if within(float(m["ts"]))]
        chosen.sort(key=lambda m: float(m["ts"]), reverse=newest_first)
        limit = max(1, min(int(args.get("limit") or 100), HISTORY_LIMIT_MAX))
        start = int(str(args.get("cursor") or "0").partition(":")[2] or 0)
        page = chosen[start : start + limit]
        with_metadata = self._flag(args.get("include_all_metadata"))
        shown = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in page]
        more = start + limit < len(chosen)
        cursor = f"{next(self._cursors)}:{start + limit}" if more else ""
        return {
            "ok": True,
            "messages": shown,
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        top = [m for m in self.channels[channel] if m.get("thread_ts") in (None, m["ts"])]
        return self._page(args, top, newest_first=True)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        parent = str(args.get("ts", ""))
        thread = [
            m
            for m in self.channels.get(channel, [])
            if m["ts"] == parent or m.get("thread_ts") == parent
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(args, thread, newest_first=False)

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(args.get("channel", "")), str(args.get("user", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not user:
            return {"ok": False, "error": "user_not_in_channel"}
        self.ephemerals.append({"channel": channel, "user": user, "text": args.get("text", "")})
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        for message in self.channels.get(channel, []):
            if message["ts"] == args.get("ts"):
                message.update(text=args.get("text", ""), blocks=args.get("blocks", []))
                return {"ok": True, "channel": channel, "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        if not users or "," in users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + users.lstrip("U")}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1", **(args.get("view") or {})}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # ---- response_url ----------------------------------------------------------------------
    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["token"], await request.json()))
        await self._record()
        return web.Response(text="ok")

    # ---- Socket Mode -----------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            self.acks[str(ack.get("envelope_id"))] = ack
            await self._record()
        self._sockets.remove(ws)
        return ws

    @property
    def connected(self) -> bool:
        """True while a Socket Mode client is connected."""
        return bool(self._sockets)

    async def deliver(self, kind: str, payload: dict[str, Any], envelope_id: str) -> dict[str, Any]:
        """Send an envelope over Socket Mode and return the client's ack for it."""
        assert self._sockets, "no Socket Mode client connected"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        await self._sockets[-1].send_json(envelope)
        await self.wait_until(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]
