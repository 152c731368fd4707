"""Find alerts already in a Discord channel, by what is deterministic in their embeds.

Discord drops a repeated nonce only for "the past few minutes", and a message read back does not
carry its nonce. So before a delivery whose earlier attempt may have reached Discord (a crash, a
lost answer: `Alert.retry_since`) is posted again, `PostedIndex.find` looks for it among the
bot's own messages in the channel since shortly before that attempt (`GET
/channels/{id}/messages` with `after`, oldest first, 100 a page), once per channel and process,
as `slack_posted.py` does for Slack. The messages of earlier attempts (by a process that died, or
by this one before it lost an answer) are all older than that read; this process's later posts
are recorded as they are answered, and a post whose answer is lost makes the next look-up read
again.

A message is known by its `Fingerprint`: the watch id in the footer ("Watch #12 · …"), the
embed's title (for a fold: its kind, count and part, "(2/3)"), link and time (the item's), the
message it answers (thread updates), for a fold its first line (its first story), and a
`marker` carried by the lowest three bits of each channel of the embed's colour: the delivery
id modulo 512. The rest alone is not always unique: two distinct items of one watch may share
title, link and time (one article under two guids, in two feeds) and their alerts would be
taken for each other; two such deliveries have different markers unless their ids are 512
apart. The colour moves by at most 7/255 per channel: the watch's colour, to any eye.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import discord
from discord.utils import time_snowflake

__all__ = [
    "HISTORY_PAGE",
    "MARKER_BITS",
    "MAX_HISTORY_PAGES",
    "SKEW_S",
    "Fingerprint",
    "PostedIndex",
    "fingerprint",
    "marked_colour",
    "marker_of",
]

log = logging.getLogger(__name__)

SKEW_S = 60.0
"""Read from this much before the first attempt: our clock and Discord's may disagree a little."""
HISTORY_PAGE = 100
MAX_HISTORY_PAGES = 100
"""At most 10,000 messages are read per look-up (oldest first, so the earlier attempt's message,
within a minute or two of the window's start, is among them); past that the read is not kept."""
MARKER_BITS = 9
_MARKER_MASK = 0x070707
OWNERS_KEPT = 4096
_FOOTER = re.compile(r"Watch #(\d+) · ")

Owner = tuple[int, int]
"""(delivery id, part) of an alert message."""
Key = tuple[int, str, str, int | None, int | None, int]
"""A fingerprint without its lead: watch, title, link, time, reply target, marker."""


def marked_colour(colour: int, delivery_id: int) -> int:
    """`colour` with the delivery's marker in the lowest three bits of red, green and blue."""
    tag = delivery_id % (1 << MARKER_BITS)
    bits = ((tag >> 6) & 7) << 16 | ((tag >> 3) & 7) << 8 | (tag & 7)
    return (colour & ~_MARKER_MASK & 0xFFFFFF) | bits


def marker_of(colour: int) -> int:
    """The marker carried by a colour (see `marked_colour`)."""
    return ((colour >> 16) & 7) << 6 | ((colour >> 8) & 7) << 3 | (colour & 7)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What identifies an alert message; `lead` is compared for folds only (a single alert's
    summary may be rewritten between attempts by the abstractive summariser)."""

    watch_id: int
    title: str
    url: str
    when: int | None
    reply_to: int | None
    marker: int
    lead: str

    @property
    def key(self) -> Key:
        return (self.watch_id, self.title, self.url, self.when, self.reply_to, self.marker)


def _seconds(timestamp: Any) -> int | None:
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        return int(datetime.fromisoformat(timestamp).timestamp())
    except ValueError:
        return None


def fingerprint(embed: Mapping[str, Any], reply_to: int | None = None) -> Fingerprint | None:
    """The fingerprint of an embed in Discord's wire form (ours as sent, or read back);
    None for an embed that is not an alert's (no "Watch #N · " footer)."""
    footer = embed.get("footer")
    text = footer.get("text") if isinstance(footer, Mapping) else None
    found = _FOOTER.match(text) if isinstance(text, str) else None
    if found is None:
        return None
    colour = embed.get("color")
    description = embed.get("description")
    lead = description.strip().split("\n", 1)[0].strip() if isinstance(description, str) else ""
    url = embed.get("url")
    return Fingerprint(
        watch_id=int(found[1]),
        title=str(embed.get("title") or "").strip(),
        url=unquote(url).rstrip("/") if isinstance(url, str) else "",
        when=_seconds(embed.get("timestamp")),
        reply_to=reply_to,
        marker=marker_of(colour) if isinstance(colour, int) else -1,
        lead=lead,
    )


def _reply_to(message: Mapping[str, Any]) -> int | None:
    reference = message.get("message_reference")
    if not isinstance(reference, Mapping):
        return None
    target = str(reference.get("message_id") or "")
    return int(target) if target.isdigit() else None


@dataclass(slots=True)
class _Found:
    message_id: int
    lead: str


@dataclass(slots=True)
class _Read:
    """The bot's alert messages in one channel from `since` up to the read (and posted since)."""

    since: datetime
    found: dict[Key, list[_Found]] = field(default_factory=dict)
    messages: int = 0  # every message read, by anyone
    unreadable: bool | None = None  # known once asked (`PostedIndex.unreadable`)

    def add(self, print_: Fingerprint, message_id: int) -> None:
        self.found.setdefault(print_.key, []).append(_Found(message_id, print_.lead))


class PostedIndex:
    """Per channel, the alerts this bot posted there since some time, read on demand."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._bot_id: int | None = None
        self._reads: dict[int, _Read] = {}
        self._owners: OrderedDict[int, Owner] = OrderedDict()

    async def find(
        self, channel_id: int, since: datetime, expected: Fingerprint, owner: Owner, *, fold: bool
    ) -> int | None:
        """The id of the message an earlier attempt posted for `owner` (delivery, part), if the
        channel has one since `since`; it is then this owner's, never another delivery's.

        Raises discord.py's errors (Forbidden, RateLimited, HTTPException…) for the caller.
        """
        read = self._reads.get(channel_id)
        start = since - timedelta(seconds=SKEW_S)
        if read is None or start < read.since:
            read = await self._read(channel_id, start)
        candidates = sorted(
            (
                f
                for f in read.found.get(expected.key, [])
                if (not fold or f.lead == expected.lead)
                and self._owners.get(f.message_id, owner) == owner
            ),
            key=lambda f: f.message_id,
        )
        mine = [f for f in candidates if self._owners.get(f.message_id) == owner]
        if not (mine or candidates):
            return None
        chosen = (mine or candidates)[0]
        self._own(chosen.message_id, owner)
        return chosen.message_id

    async def unreadable(self, channel_id: int) -> bool:
        """Whether the last read missed messages that are there: it returned none at all while
        the channel's last message is newer than the read's start. Discord answers a read
        without Read Message History that way (200, no messages), not with a 403."""
        read = self._reads.get(channel_id)
        if read is None or read.messages:
            return False
        if read.unreadable is None:
            channel = await self.client.http.get_channel(channel_id)
            last = str(channel.get("last_message_id") or "")
            read.unreadable = last.isdigit() and int(last) > time_snowflake(read.since)
        return read.unreadable

    def posted(
        self, channel_id: int, sent: Fingerprint | None, message_id: int, owner: Owner
    ) -> None:
        """Record a message this process posted for `owner` (its answer came back)."""
        self._own(message_id, owner)
        read = self._reads.get(channel_id)
        if read is not None and sent is not None:
            read.add(sent, message_id)

    def forget(self, channel_id: int) -> None:
        """A post's answer was lost: the next look-up in this channel reads it again."""
        self._reads.pop(channel_id, None)

    def _own(self, message_id: int, owner: Owner) -> None:
        self._owners[message_id] = owner
        self._owners.move_to_end(message_id)
        while len(self._owners) > OWNERS_KEPT:
            self._owners.popitem(last=False)

    async def bot_id(self) -> int:
        """The bot's user id (known after a full login; asked once after a REST-only one)."""
        if self._bot_id is None:
            user = self.client.user
            if user is not None:
                self._bot_id = user.id
            else:
                me = await self.client.http.request(discord.http.Route("GET", "/users/@me"))
                self._bot_id = int(me["id"])
        return self._bot_id

    async def _read(self, channel_id: int, since: datetime) -> _Read:
        bot_id = await self.bot_id()
        read = _Read(since)
        after = time_snowflake(since)
        for _ in range(MAX_HISTORY_PAGES):
            page: list[Mapping[str, Any]] = list(
                await self.client.http.logs_from(channel_id, HISTORY_PAGE, after=after)
            )
            read.messages += len(page)
            for message in page:
                author = message.get("author")
                if not isinstance(author, Mapping) or str(author.get("id")) != str(bot_id):
                    continue
                for embed in message.get("embeds") or []:
                    print_ = fingerprint(embed, _reply_to(message))
                    if print_ is not None:
                        read.add(print_, int(message["id"]))
            if len(page) < HISTORY_PAGE:
                self._reads[channel_id] = read
                return read
            after = max(int(m["id"]) for m in page)
        log.warning(
            "Discord channel %s: more than %d messages since the first attempt; an earlier "
            "post of a delivery past those may not be found",
            channel_id,
            HISTORY_PAGE * MAX_HISTORY_PAGES,
        )
        return read  # not kept: the next look-up reads again
