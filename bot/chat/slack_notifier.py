"""The Notifier for scheme "slack": alerts as Block Kit messages in channels or DMs.

Sends to one channel are paced (one a second); a 429 is waited out for its `Retry-After` and
server errors are retried, both through slack_sdk's retry handlers with an injectable sleep.
Errors that mean the bot can never post there pause the watch (PermanentDeliveryError).
An update either edits the original message (mode "edit") or replies in its thread ("thread").
Every alert carries its delivery id as message metadata; a retry whose earlier attempt may have
reached Slack looks for that message first and adopts it (`bot/chat/slack_posted.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.pacing import ChannelPacer
from bot.chat.slack_blocks import TEXT_LIMIT, alert_pages, alert_text, escape_mrkdwn, fit
from bot.chat.slack_posted import PostedIndex, alert_metadata
from bot.core.alert import Alert
from bot.ports import DeliveryError, PermanentDeliveryError

__all__ = [
    "PERMANENT_ERRORS",
    "SlackNotifier",
    "error_code",
    "message_ref",
    "parse_message_ref",
    "retry_handlers",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "cannot_dm_bot",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "restricted_action",
    }
)
MAX_RETRY_AFTER = 60.0
_FIXES = {
    "not_in_channel": "invite the bot with /invite @Wirewatch in that channel",
    "channel_not_found": "the channel was deleted or the bot cannot see it; invite the bot",
    "is_archived": "the channel is archived; unarchive it or move the watch",
    "account_inactive": "the bot's token was deactivated; reinstall the app",
}
_HISTORY_SCOPES = (
    "add the channels:history, groups:history, im:history and mpim:history scopes "
    "(config/slack-manifest.yml) and reinstall the app, so a retry can check for it"
)


def message_ref(channel: str, ts: str) -> str:
    """The external reference stored for a posted message: "CHANNEL:ts"."""
    return f"{channel}:{ts}"


def parse_message_ref(ref: str | None) -> tuple[str, str] | None:
    """Split a "CHANNEL:ts" reference; None when it is not one (e.g. a bare delivery id)."""
    if not ref:
        return None
    channel, sep, ts = ref.partition(":")
    if not sep or not channel or not ts.replace(".", "", 1).isdigit():
        return None
    return channel, ts


class _RateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """Wait exactly `Retry-After` seconds (through `sleep`), if it is short enough to wait."""

    def __init__(self, sleep: Sleep, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return _retry_after(response.headers) <= MAX_RETRY_AFTER

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        await self._sleep(_retry_after(response.headers if response else {}))
        state.increment_current_attempt()


def _is_post(request: HttpRequest) -> bool:
    """A chat.postMessage: repeating it blindly may post twice (Slack has no idempotency key)."""
    return request.url.rstrip("/").endswith("chat.postMessage")


class _NeverRepost(AsyncRetryHandler):
    """A retry handler that leaves posts alone: one that may have gone through goes back to the
    relay, which retries it after looking for it in the channel."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _is_post(request):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _ConnectionErrorHandler(_NeverRepost, AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry of a lost connection, except for posts."""


class _ServerErrorHandler(_NeverRepost, AsyncServerErrorRetryHandler):
    """Retry 5xx answers with backoff (through `sleep`), except for posts."""

    def __init__(self, sleep: Sleep, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        await self._sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


def _retry_after(headers: Any) -> float:
    """Seconds from a Retry-After header (slack_sdk gives lists of values); 1 when absent or bad."""
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def error_code(err: SlackApiError) -> str:
    """Slack's error code, or "HTTP 503" when the answer was not JSON (a proxy's error page)."""
    data = err.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {err.response.status_code}")


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    """slack_sdk retry handlers: 429 honouring Retry-After, 5xx with backoff."""
    return [_RateLimitHandler(sleep), _ServerErrorHandler(sleep)]


class SlackNotifier:
    """Sends alerts to Slack channels (`C123`) and users by DM (`@U123`)."""

    scheme: ClassVar[str] = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        updates_mode: str = "edit",
        pacer: ChannelPacer | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.updates_mode = updates_mode
        self.pacer = pacer or ChannelPacer(1.0)
        self._dm_channels: dict[str, str] = {}
        self.posted = PostedIndex(client)
        self._warned: set[str] = set()
        client.retry_handlers[:] = [
            _ConnectionErrorHandler() if type(h) is AsyncConnectionErrorRetryHandler else h
            for h in client.retry_handlers
        ]
        for handler in retry_handlers(sleep):
            if not any(type(h) is type(handler) for h in client.retry_handlers):
                client.retry_handlers.append(handler)

    async def send(self, target: str, alert: Alert) -> str | None:
        """Post (or, for an update, edit or thread) the alert; return "CHANNEL:ts".

        A fold too long for one message is posted as several, each part with its own metadata
        (so a retry posts only the parts that are missing); the reference is the first part's.
        """
        try:
            channel = await self._channel_for(target)
            original = parse_message_ref(alert.updates) if alert.kind == "update" else None
            pages = alert_pages(alert)
            text = alert_text(alert)
            if original is not None and self.updates_mode == "edit":
                edited = await self._edit(original, pages[0], text)
                if edited is not None:
                    return edited
            thread_ts = original[1] if original and self.updates_mode == "thread" else None
            refs = []
            for part, blocks in enumerate(pages, 1):
                shown = text if len(pages) == 1 else f"{text} ({part}/{len(pages)})"
                refs.append(await self._post(channel, blocks, shown, thread_ts, alert, part))
            return refs[0]
        except SlackApiError as err:
            raise self._delivery_error(target, err) from err
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            raise DeliveryError(f"could not reach Slack ({type(err).__name__})") from err

    def _delivery_error(self, target: str, err: SlackApiError) -> DeliveryError:
        code = error_code(err)
        if code in PERMANENT_ERRORS:
            fix = _FIXES.get(code, "check the app's installation and scopes")
            return PermanentDeliveryError(f"Slack refused to post in {target} ({code}): {fix}")
        if err.response.status_code == 429 or code == "ratelimited":
            seconds = _retry_after(err.response.headers)
            self.pacer.hold(target, seconds)
            return DeliveryError(f"rate limited by Slack for {seconds:.0f}s", retry_after=seconds)
        return DeliveryError(f"Slack answered {code}")

    async def _channel_for(self, target: str) -> str:
        """The conversation id for a target; a DM is opened (once) for "@U123"."""
        if not target or target == "@":
            raise PermanentDeliveryError("empty Slack target: use a channel id or @USERID")
        if not target.startswith("@"):
            return target.lstrip("#")
        user = target[1:]
        if user not in self._dm_channels:
            answer = await self.client.conversations_open(users=user)
            self._dm_channels[user] = str(answer["channel"]["id"])
        return self._dm_channels[user]

    async def _post(
        self,
        channel: str,
        blocks: list[dict[str, Any]],
        text: str,
        thread_ts: str | None,
        alert: Alert,
        part: int = 1,
    ) -> str:
        """Post one message of an alert, unless an earlier attempt already did; "CHANNEL:ts"."""
        earlier = await self._earlier_post(channel, thread_ts, alert, part)
        if earlier is not None:
            log.info(
                "delivery %s is already in Slack %s (ts %s): adopting it, not posting again",
                alert.delivery_id,
                channel,
                earlier,
            )
            return message_ref(channel, earlier)
        await self.pacer.wait(channel)
        options: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        try:
            answer = await self.client.chat_postMessage(
                channel=channel,
                blocks=blocks,
                text=text,
                unfurl_links=False,
                unfurl_media=False,
                metadata=alert_metadata(alert.delivery_id, part),
                **options,
            )
        except SlackApiError as err:
            if err.response.status_code >= 500:  # Slack may have posted it all the same
                self.posted.forget(channel, thread_ts)
            raise
        except BaseException:  # no answer (timeout, lost connection, cancelled): maybe posted
            self.posted.forget(channel, thread_ts)
            raise
        ts = str(answer["ts"])
        self.posted.posted(channel, thread_ts, alert.delivery_id, part, ts)
        return message_ref(str(answer.get("channel") or channel), ts)

    async def _earlier_post(
        self, channel: str, thread_ts: str | None, alert: Alert, part: int
    ) -> str | None:
        """The ts of this alert part if an earlier attempt posted it (only asked on a retry)."""
        if alert.retry_since is None:
            return None
        since = alert.retry_since.timestamp()
        try:
            return await self.posted.find(channel, thread_ts, alert.delivery_id, part, since)
        except SlackApiError as err:
            code = error_code(err)
            if err.response.status_code == 429 or code == "ratelimited":
                raise  # never post blind while the check is only delayed: retry later
            if code not in self._warned:
                self._warned.add(code)
                fix = _HISTORY_SCOPES if code == "missing_scope" else "see the Slack error"
                log.warning(
                    "cannot check Slack %s for an earlier post of delivery %s (%s); posting it "
                    "again, which may show it twice: %s",
                    channel,
                    alert.delivery_id,
                    code,
                    fix,
                )
            return None

    async def _edit(
        self, original: tuple[str, str], blocks: list[dict[str, Any]], text: str
    ) -> str | None:
        """Replace the original alert with its updated blocks; None when it is gone."""
        channel, ts = original
        await self.pacer.wait(channel)
        try:
            await self.client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
        except SlackApiError as err:
            if error_code(err) in {"message_not_found", "cant_update_message"}:
                log.info("alert %s:%s cannot be edited; posting the update as new", channel, ts)
                return None
            raise
        return message_ref(channel, ts)

    async def notify_owner(self, owner: str, text: str) -> None:
        """DM the owner ("slack:U123"); failures are logged, never raised."""
        platform, _, user = owner.partition(":")
        if platform != self.scheme or not user.isalnum():
            log.warning("cannot tell %r on Slack: %s", owner, text)
            return
        try:
            channel = await self._channel_for(f"@{user}")
            await self.pacer.wait(channel)
            await self.client.chat_postMessage(
                channel=channel,
                text=fit(escape_mrkdwn(text), TEXT_LIMIT),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, DeliveryError, aiohttp.ClientError, OSError) as err:
            log.warning("could not DM %s (%s): %s", owner, type(err).__name__, text)

    async def aclose(self) -> None:
        """Forget opened DM channels; the adapter owns and closes the client."""
        self._dm_channels.clear()
