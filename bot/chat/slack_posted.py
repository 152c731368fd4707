"""Find alerts already in Slack, by the delivery id each one carries as message metadata.

`chat.postMessage` has no idempotency key: a post whose answer never came back (a crash, a
timeout, a shutdown) may or may not be in the channel. Every alert is posted with metadata
`{"event_type": "wirewatch_alert", "event_payload": {"delivery_id": "41", "part": 1}}`, and
before posting a delivery again whose earlier attempt may have reached Slack, the notifier asks
`PostedIndex.find` for it. That reads the channel's history (`conversations.history`, or
`conversations.replies` for a thread) with `include_all_metadata` from shortly before the first
attempt, once per channel and process: the messages of the earlier attempts (by a process that
died, or by this one before it lost an answer) are all older than that read, and this process's
own later posts are answered or, if their answer is lost, make the next look-up read again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

__all__ = [
    "EVENT_TYPE",
    "HISTORY_PAGE",
    "MAX_HISTORY_PAGES",
    "SKEW_S",
    "PostedIndex",
    "alert_metadata",
]

log = logging.getLogger(__name__)

EVENT_TYPE = "wirewatch_alert"
SKEW_S = 60.0
"""Read this much before the first attempt: our clock and Slack's may disagree a little."""
HISTORY_PAGE = 200
MAX_HISTORY_PAGES = 50
"""At most 10,000 messages are read per look-up (a channel busier than that since the first
attempt is checked for that many, newest first, and the post goes ahead with a warning)."""


def alert_metadata(delivery_id: int, part: int = 1) -> dict[str, Any]:
    """The metadata an alert (or one part of a split fold) is posted with."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"delivery_id": str(delivery_id), "part": part},
    }


def _key_of(message: dict[str, Any]) -> tuple[str, int] | None:
    """The (delivery id, part) a message carries, or None for a message that is not an alert."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    if not isinstance(payload, dict):
        return None
    delivery_id = str(payload.get("delivery_id") or "")
    part = payload.get("part", 1)
    if not delivery_id.isdigit() or not isinstance(part, int):
        return None
    return delivery_id, part


@dataclass(slots=True)
class _Read:
    """What one read of a conversation found: our alerts' ts from `since` up to the read."""

    since: float
    found: dict[tuple[str, int], str] = field(default_factory=dict)


class PostedIndex:
    """Per conversation, the alerts this app posted there since some time, read on demand."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.bot_id: str | None = None  # when known (auth.test), other apps' messages are ignored
        self._reads: dict[tuple[str, str], _Read] = {}

    async def find(
        self, channel: str, thread_ts: str | None, delivery_id: int, part: int, since: float
    ) -> str | None:
        """The ts of the alert part posted in this conversation since `since`, if there is one.

        Raises slack_sdk's errors (SlackApiError, connection errors) for the caller to judge.
        """
        key = (channel, thread_ts or "")
        read = self._reads.get(key)
        if read is None or since - SKEW_S < read.since:
            read = await self._read(channel, thread_ts, since - SKEW_S)
            self._reads[key] = read
        return read.found.get((str(delivery_id), part))

    def posted(
        self, channel: str, thread_ts: str | None, delivery_id: int, part: int, ts: str
    ) -> None:
        """Remember an alert this process just posted (its answer came back)."""
        read = self._reads.get((channel, thread_ts or ""))
        if read is not None:
            read.found[(str(delivery_id), part)] = ts

    def forget(self, channel: str, thread_ts: str | None) -> None:
        """A post's answer was lost: the next look-up in this conversation reads it again."""
        self._reads.pop((channel, thread_ts or ""), None)

    async def _read(self, channel: str, thread_ts: str | None, since: float) -> _Read:
        read = _Read(since)
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            options: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{max(0.0, since):.6f}",
                "include_all_metadata": True,
                "limit": HISTORY_PAGE,
            }
            if cursor:
                options["cursor"] = cursor
            if thread_ts:
                answer = await self.client.conversations_replies(ts=thread_ts, **options)
            else:
                answer = await self.client.conversations_history(**options)
            for message in answer.get("messages") or []:
                if self.bot_id and message.get("bot_id") not in (None, self.bot_id):
                    continue
                key = _key_of(message)
                if key is not None and "ts" in message:
                    read.found.setdefault(key, str(message["ts"]))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not answer.get("has_more") or not cursor:
                return read
        log.warning(
            "Slack %s: more than %d messages since the first attempt; only the newest were "
            "checked for an earlier post",
            channel,
            HISTORY_PAGE * MAX_HISTORY_PAGES,
        )
        return read
