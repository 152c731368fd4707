"""The Slack adapter: slash commands, buttons and App Home in; Block Kit replies and alerts out.

A slack-bolt `AsyncApp` in Socket Mode (default: no public URL) or HTTP mode (an aiohttp server on
`[slack] host:port/path`). Every command is acknowledged within Slack's 3 seconds: with the reply
when it is ready in time, otherwise with "Working on it…" and the reply later via `response_url`.
In HTTP mode the request's headers are checked before Bolt sees it, so a bad, stale, missing or
non-numeric signature timestamp is answered 401, and a signed body Bolt could not handle (JSON
that does not parse or has the wrong shape) 400, never 500. A click whose payload has no
`response_url` is answered through the Web API.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack_blocks import (
    ACTION_HOME_PAUSE,
    ACTION_HOME_REMOVE,
    ACTION_HOME_RESUME,
    ACTION_OPEN,
    ACTION_PAUSE_WATCH,
    ACTION_SHARE,
    home_view,
    reply_blocks,
    reply_text,
)
from bot.chat.slack_notifier import SlackNotifier, error_code
from bot.chat.slack_payloads import body_problem
from bot.commands.reply import Reply
from bot.commands.service import Caller, CommandService
from bot.commands.table import GROUPS
from bot.commands.usage import plain
from bot.settings import Secrets, SlackSettings
from bot.store import is_outage

__all__ = ["COMMANDS", "SIGNATURE_MAX_AGE", "SlackAdapter", "SlackStartError", "request_is_signed"]

log = logging.getLogger(__name__)

SIGNATURE_MAX_AGE = 300
COMMANDS = tuple(f"/{group.name}" for group in GROUPS if group.on("slack"))
"""The slash commands, from the command table (`bot.commands.table`)."""
SHARED_LOOKUP = "/news"
"""The look-up whose private answer offers "Share in channel" (the button runs its text)."""
_HOW_TO_SET_BOT_CREDENTIAL = (
    "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from the app's "
    "OAuth & Permissions page, or set [slack] enabled = false"
)


class SlackStartError(RuntimeError):
    """The Slack app cannot start; the message says which token or setting to fix."""


def request_is_signed(
    signing_secret: str, headers: Any, body: str, *, now: float, max_age: int = SIGNATURE_MAX_AGE
) -> bool:
    """True when the request carries a fresh, numeric timestamp and a valid v0 signature."""
    timestamp = str(headers.get("X-Slack-Request-Timestamp") or "")
    signature = str(headers.get("X-Slack-Signature") or "")
    if not signing_secret or not signature or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if len(timestamp) > 12 or abs(now - int(timestamp)) > max_age:
        return False
    expected = SignatureVerifier(signing_secret).generate_signature(timestamp=timestamp, body=body)
    return hmac.compare_digest(expected or "", signature)


def _is_dm(channel_id: str, channel_name: str = "") -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


class SlackAdapter:
    """Slash commands in, alerts out, for one Slack app in one workspace."""

    def __init__(
        self,
        settings: SlackSettings,
        secrets: Secrets,
        service: CommandService,
        *,
        updates_mode: str = "edit",
        client: AsyncWebClient | None = None,
        ack_after: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.service = service
        self.ack_after = ack_after
        self.clock = clock
        token = secrets.slack_bot_token.get_secret_value() if secrets.slack_bot_token else None
        self.client = client or AsyncWebClient(token=token, base_url=settings.api_url)
        if not self.client.token:
            raise SlackStartError(_HOW_TO_SET_BOT_CREDENTIAL)
        signing = secrets.slack_signing_secret
        self._signing_secret = signing.get_secret_value() if signing else ""
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self._signing_secret,
            request_verification_enabled=settings.mode == "http",
            process_before_response=False,
        )
        self.notifier = SlackNotifier(self.client, updates_mode=updates_mode)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._register()

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Check the bot token with auth.test, then connect (Socket Mode) or listen (HTTP mode)."""
        await self.connect_rest()
        if self.settings.mode == "http":
            await self._start_http()
        else:
            await self._start_socket()

    async def connect_rest(self) -> None:
        """Check the bot token with auth.test, without listening for commands: enough to
        deliver alerts (`wirewatch poll --once`)."""
        try:
            identity = await self.client.auth_test()
        except SlackApiError as err:
            raise SlackStartError(
                f"Slack refused the bot token ({error_code(err)}): reinstall the app "
                "and update SLACK_BOT_TOKEN"
            ) from err
        except OSError as err:
            raise SlackStartError(
                f"could not reach Slack at {self.settings.api_url}: {err}"
            ) from err
        self.notifier.posted.bot_id = str(identity.get("bot_id") or "") or None

    async def _start_socket(self) -> None:
        app_token = self.secrets.slack_app_token
        if app_token is None:
            raise SlackStartError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with "
                "connections:write (Basic Information → App-Level Tokens), or use "
                '[slack] mode = "http"'
            )
        try:  # the socket client retries a refused token for ever: ask once ourselves first
            await self.client.apps_connections_open(app_token=app_token.get_secret_value())
        except SlackApiError as err:
            raise SlackStartError(
                f"Slack refused the app token ({error_code(err)}): create a new "
                "app-level token with connections:write and update SLACK_APP_TOKEN"
            ) from err
        self._socket = AsyncSocketModeHandler(
            self.app, app_token.get_secret_value(), web_client=self.client
        )
        await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def _start_http(self) -> None:
        if not self._signing_secret:
            raise SlackStartError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from the "
                "app's Basic Information page"
            )
        server = web.Application()
        server.router.add_post(self.settings.path, self._handle_http)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.settings.port
        log.info("Slack: listening on %s:%s%s", self.settings.host, self.port, self.settings.path)

    async def connected(self) -> bool:
        """Whether commands can reach the bot: the socket is open, or the HTTP server listens."""
        if self._socket is not None:
            return bool(await self._socket.client.is_connected())
        return self._runner is not None

    async def stop(self) -> None:
        """Disconnect the socket or stop the HTTP server, and close the Web API session."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.notifier.aclose()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    async def _handle_http(self, request: web.Request) -> web.Response:
        """Refuse unsigned or stale requests with 401, then let Bolt dispatch the rest."""
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "the body is not UTF-8"}, status=400)
        if not request_is_signed(self._signing_secret, request.headers, body, now=self.clock()):
            return web.json_response({"error": "invalid request signature"}, status=401)
        problem = body_problem(body, request.headers.get("Content-Type", ""))
        if problem is not None:
            log.warning("Slack: refused a signed request with a malformed body: %s", problem)
            return web.json_response({"error": problem}, status=400)
        try:
            bolt_request = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers={k.lower(): request.headers.getall(k) for k in request.headers},
            )
            answer = await self.app.async_dispatch(bolt_request)
        except Exception:
            log.exception("Slack: a signed request could not be handled")
            return web.json_response({"error": "the request could not be handled"}, status=400)
        if answer.status >= 500:  # Bolt's own error answer: the request was not one we handle
            log.warning("Slack: Bolt answered %s to a signed request; answering 400", answer.status)
            return web.json_response({"error": "the request could not be handled"}, status=400)
        return await to_aiohttp_response(answer)

    # ---- callers and replies -----------------------------------------------------------------
    def _caller(self, user_id: str, channel_id: str, channel_name: str, user_name: str) -> Caller:
        return Caller(
            platform="slack",
            user_id=user_id,
            channel_id=channel_id,
            is_dm=_is_dm(channel_id, channel_name),
            is_admin=user_id in self.settings.admins,
            channel_name=channel_name,
            user_name=user_name,
        )

    def command_caller(self, body: dict[str, Any]) -> Caller:
        """The caller of a slash command payload."""
        return self._caller(
            str(body.get("user_id") or ""),
            str(body.get("channel_id") or ""),
            str(body.get("channel_name") or ""),
            str(body.get("user_name") or ""),
        )

    def action_caller(self, body: dict[str, Any]) -> Caller:
        """The caller of a button click (in a message or in App Home)."""
        user = body.get("user") or {}
        channel = body.get("channel") or {}
        return self._caller(
            str(user.get("id") or ""),
            str(channel.get("id") or ""),
            str(channel.get("name") or ""),
            str(user.get("username") or user.get("name") or ""),
        )

    @staticmethod
    async def _safely(work: Awaitable[Reply], caller: Caller) -> Reply:
        try:
            return await work
        except Exception as err:
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("Slack command failed for %s", caller.owner)
            return Reply.failed(err)

    async def _answer(
        self, body: dict[str, Any], respond: AsyncRespond | None, message: dict[str, Any]
    ) -> None:
        """Answer a click through its `response_url`; when the payload has none (Slack leaves it
        out of some surfaces), through the Web API in the same channel: ephemeral to the one who
        clicked, or for everyone when the answer is shared. Failures are logged, never raised."""
        caller = self.action_caller(body)
        content = {"text": message["text"], "blocks": message["blocks"]}
        try:
            if body.get("response_url") and respond is not None:
                await respond(**message, replace_original=False)
            elif caller.channel_id and message.get("response_type") == "in_channel":
                await self.client.chat_postMessage(
                    channel=caller.channel_id, unfurl_links=False, **content
                )
            elif caller.channel_id and caller.user_id:
                await self.client.chat_postEphemeral(
                    channel=caller.channel_id, user=caller.user_id, **content
                )
            else:
                log.info("Slack: a click by %s had nowhere to be answered", caller.owner)
        except Exception as err:  # a dead response_url, a refused post: the work is done
            log.warning("Slack: could not answer %s (%s)", caller.owner, type(err).__name__)

    @staticmethod
    def _message(reply: Reply, caller: Caller, share_value: str | None) -> dict[str, Any]:
        private = reply.ephemeral or not reply.ok
        share = share_value if private and reply.shareable and not caller.is_dm else None
        return {
            "text": reply_text(reply),
            "blocks": reply_blocks(reply, share_value=share),
            "response_type": "ephemeral" if private else "in_channel",
        }

    # ---- listeners ---------------------------------------------------------------------------
    def _register(self) -> None:
        for command in COMMANDS:
            self.app.command(command)(self._on_command)
        self.app.action(ACTION_PAUSE_WATCH)(self._on_pause_button)
        self.app.action(ACTION_OPEN)(self._on_open_button)
        self.app.action(ACTION_SHARE)(self._on_share_button)
        for action in (ACTION_HOME_PAUSE, ACTION_HOME_RESUME, ACTION_HOME_REMOVE):
            self.app.action(action)(self._on_home_button)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.error(self._on_error)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Run a slash command; ack with the reply, or ack now and respond when it is ready."""
        caller = self.command_caller(body)
        command = str(body.get("command") or "")
        text = str(body.get("text") or "")
        share_value = text if command == SHARED_LOOKUP else None
        task = asyncio.ensure_future(
            self._safely(self.service.run_text(caller, command, text), caller)
        )
        done, _ = await asyncio.wait({task}, timeout=self.ack_after)
        if task in done:
            await ack(**self._message(task.result(), caller, share_value))
            return
        await ack(text="Working on it…", response_type="ephemeral")
        reply = await task
        await respond(**self._message(reply, caller, share_value), replace_original=False)

    async def _on_pause_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """ "Pause this watch" under an alert: pause it and tell only the one who clicked."""
        await ack()
        caller = self.action_caller(body)
        reply = await self._safely(
            self.service.watch_pause(caller, str(action.get("value") or "")), caller
        )
        message = self._message(reply, caller, None)
        await self._answer(body, respond, {**message, "response_type": "ephemeral"})

    async def _on_open_button(self, ack: AsyncAck) -> None:
        """The "Open" link button: Slack opens the URL itself; only acknowledge."""
        await ack()

    async def _on_share_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """ "Share in channel" under a private /news answer: post it for everyone."""
        await ack()
        caller = self.action_caller(body)
        reply = await self._safely(
            self.service.run_text(caller, SHARED_LOOKUP, str(action.get("value") or "")), caller
        )
        if not reply.ok:
            await self._answer(body, respond, self._message(reply, caller, None))
            return
        reply.ephemeral = False
        reply.shareable = False
        if caller.user_id.isalnum():
            reply.lines.insert(0, f"Shared by user {caller.user_name or caller.user_id}")
        await self._answer(body, respond, self._message(reply, caller, None))

    async def _on_home_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        """Pause, Resume or Remove in App Home, then redraw the tab."""
        await ack()
        caller = self.action_caller(body)
        watch_id = str(action.get("value") or "")
        change = {
            ACTION_HOME_PAUSE: self.service.watch_pause,
            ACTION_HOME_RESUME: self.service.watch_resume,
            ACTION_HOME_REMOVE: self.service.watch_remove,
        }[str(action.get("action_id"))]
        outcome = await self._safely(change(caller, watch_id), caller)
        await self.publish_home(caller, notice=plain(outcome.title, "slack"))

    async def _on_home_opened(self, event: dict[str, Any]) -> None:
        """Draw the App Home tab when its user opens it."""
        if event.get("tab", "home") != "home":
            return
        await self.publish_home(self._caller(str(event.get("user") or ""), "", "", ""))

    async def publish_home(self, caller: Caller, *, notice: str = "") -> None:
        """Publish the caller's App Home: their watches and their channels' watches."""
        reply = await self._safely(self.service.home(caller), caller)
        if notice:
            reply.lines.insert(0, notice)
        try:
            await self.client.views_publish(user_id=caller.user_id, view=home_view(reply))
        except SlackApiError as err:
            log.warning("could not publish App Home for %s: %s", caller.owner, err)

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Log listener errors; Slack users see the replies above, never a traceback."""
        log.error("Slack listener error (%s)", body.get("type"), exc_info=error)
