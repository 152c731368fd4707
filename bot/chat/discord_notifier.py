"""The Notifier for scheme "discord": alerts as embeds in channels or DMs, over the bot's REST.

Every message carries a nonce derived from its delivery id with `enforce_nonce`, so a retry after
an ambiguous failure returns the message already posted instead of posting twice. Discord keeps
nonces only for a few minutes: a retry whose earlier attempt may have reached Discord
(`Alert.retry_since`, e.g. after a crash and a long outage) first looks for its message among the
bot's own in the channel and adopts it (`bot/chat/discord_posted.py`; needs Read Message History,
without which it warns once per channel and relies on the nonce). Sends to one channel are paced;
discord.py's own bucket and 429 handling stays in charge of rate limits, and a rate-limited
look-up goes back to the relay, never posting blind. 403 (missing access) and 404 (channel gone)
are permanent: the relay pauses the watch.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import ClassVar

import aiohttp
import discord

from bot.chat.discord_embeds import CONTENT_LIMIT, alert_embeds, truncate, with_also_reported
from bot.chat.discord_posted import Fingerprint, PostedIndex, fingerprint, marked_colour
from bot.chat.pacing import ChannelPacer
from bot.core.alert import Alert
from bot.ports import DeliveryError, PermanentDeliveryError

__all__ = ["DiscordNotifier", "delivery_nonce", "message_ref", "parse_message_ref"]

log = logging.getLogger(__name__)

NONCE_PREFIX = "ww-"
NONCE_LIMIT = 25
SENT_EMBEDS_KEPT = 2048
FOLDS = ("digest", "burst")
_HISTORY_FIX = (
    "give the bot Read Message History in that channel (invite link permissions=84992, "
    "docs/discord.md), so a retry after a long outage can find the alert instead of posting it "
    "again"
)


def delivery_nonce(delivery_id: int, part: int = 1) -> str:
    """The nonce for a delivery (and, past the first, one part of a split fold): the same id and
    part always give the same nonce, at most 25 characters."""
    suffix = f"-{part}" if part > 1 else ""
    return f"{NONCE_PREFIX}{delivery_id}{suffix}"[:NONCE_LIMIT]


def message_ref(channel_id: int, message_id: int) -> str:
    """The external reference stored for a posted message: "CHANNEL:MESSAGE"."""
    return f"{channel_id}:{message_id}"


def parse_message_ref(ref: str | None) -> tuple[int, int] | None:
    """Split a "CHANNEL:MESSAGE" reference; None when it is not one (e.g. a delivery id)."""
    if not ref:
        return None
    channel, sep, message = ref.partition(":")
    if not sep or not channel.isdigit() or not message.isdigit():
        return None
    return int(channel), int(message)


def _snowflake(text: str, what: str) -> int:
    if not text.isdigit() or not 15 <= len(text) <= 21:
        raise PermanentDeliveryError(f"{what} {text!r} is not a Discord id (a 17-20 digit number)")
    return int(text)


class DiscordNotifier:
    """Sends alerts to Discord channels (`123…`) and users by DM (`@123…`)."""

    scheme: ClassVar[str] = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        updates_mode: str = "edit",
        pacer: ChannelPacer | None = None,
    ) -> None:
        self.client = client
        self.updates_mode = updates_mode
        self.pacer = pacer or ChannelPacer(1.0)
        self._dm_channels: dict[int, int] = {}
        self._sent_embeds: OrderedDict[str, discord.Embed] = OrderedDict()
        self.posted = PostedIndex(client)
        self._warned: set[int] = set()

    async def send(self, target: str, alert: Alert) -> str | None:
        """Post (or, for an update, edit) the alert; return "CHANNEL:MESSAGE"."""
        try:
            channel_id = await self._channel_for(target)
            original = parse_message_ref(alert.updates) if alert.kind == "update" else None
            if original is not None and self.updates_mode == "edit":
                edited = await self._edit_original(original, alert)
                if edited is not None:
                    return edited
            reference = None
            if original is not None and self.updates_mode == "thread":
                reference = discord.MessageReference(
                    message_id=original[1], channel_id=original[0], fail_if_not_exists=False
                )
            return await self._post(channel_id, alert, reference)
        except discord.Forbidden as err:
            raise PermanentDeliveryError(
                f"the bot may not post in {target} (Discord {err.status}, code {err.code}: "
                f"{err.text or 'Missing Access'}); give it View Channel, Send Messages and "
                "Embed Links there"
            ) from err
        except discord.NotFound as err:
            raise PermanentDeliveryError(
                f"{target} does not exist any more (Discord 404, code {err.code})"
            ) from err
        except discord.RateLimited as err:
            raise DeliveryError(
                f"rate limited by Discord for {err.retry_after:.0f}s", retry_after=err.retry_after
            ) from err
        except discord.HTTPException as err:
            raise DeliveryError(f"Discord answered {err.status}: {err.text[:200]}") from err
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            raise DeliveryError(f"could not reach Discord ({type(err).__name__})") from err

    async def _channel_for(self, target: str) -> int:
        """The channel id for a target; a DM channel is opened (once) for "@USER"."""
        if target.startswith("@"):
            user_id = _snowflake(target[1:], "user")
            if user_id not in self._dm_channels:
                data = await self.client.http.start_private_message(user_id)
                self._dm_channels[user_id] = int(data["id"])
            return self._dm_channels[user_id]
        return _snowflake(target, "channel")

    def _remember(self, ref: str, embed: discord.Embed) -> None:
        """Keep the embeds of recent alerts, so an update can edit one without reading history."""
        self._sent_embeds[ref] = embed
        self._sent_embeds.move_to_end(ref)
        while len(self._sent_embeds) > SENT_EMBEDS_KEPT:
            self._sent_embeds.popitem(last=False)

    async def _post(
        self, channel_id: int, alert: Alert, reference: discord.MessageReference | None
    ) -> str:
        """Post the alert (a long fold as several messages, each with its own nonce), each part
        unless an earlier attempt already did; return the first message's reference."""
        channel = self.client.get_partial_messageable(channel_id)
        reply_to = reference.message_id if reference is not None else None
        refs: list[str] = []
        for part, embed in enumerate(alert_embeds(alert), 1):
            embed.colour = marked_colour(
                embed.colour.value if embed.colour else 0, alert.delivery_id
            )
            expected = fingerprint(embed.to_dict(), reply_to)
            owner = (alert.delivery_id, part)
            message_id = await self._earlier_post(channel_id, alert, part, expected)
            if message_id is None:
                await self.pacer.wait(str(channel_id))
                try:
                    message = await channel.send(
                        embed=embed,
                        nonce=delivery_nonce(alert.delivery_id, part),
                        allowed_mentions=discord.AllowedMentions.none(),
                        reference=reference,  # type: ignore[arg-type]
                    )
                except discord.RateLimited as err:
                    self.pacer.hold(str(channel_id), err.retry_after)
                    raise
                except discord.HTTPException as err:
                    if err.status >= 500:  # Discord may have posted it all the same
                        self.posted.forget(channel_id)
                    raise
                except BaseException:  # no answer (timeout, lost connection, cancelled)
                    self.posted.forget(channel_id)
                    raise
                message_id = message.id
                self.posted.posted(channel_id, expected, message_id, owner)
            refs.append(message_ref(channel_id, message_id))
            self._remember(refs[-1], embed)
        return refs[0]

    async def _earlier_post(
        self, channel_id: int, alert: Alert, part: int, expected: Fingerprint | None
    ) -> int | None:
        """The id of this alert part's message if an earlier attempt posted it (asked on a retry
        only); None when there is none, or when the channel cannot be read (warned once)."""
        if alert.retry_since is None or expected is None:
            return None
        allowed = self._history_allowed(channel_id)
        if allowed is False:
            self._warn_unreadable(channel_id, "the bot lacks Read Message History there")
            return None
        try:
            found = await self.posted.find(
                channel_id,
                alert.retry_since,
                expected,
                (alert.delivery_id, part),
                fold=alert.kind in FOLDS,
            )
        except discord.Forbidden as err:  # 403 on the read: rate limits and the rest go up
            self._warn_unreadable(channel_id, f"Discord answered 403, code {err.code}")
            return None
        if found is not None:
            log.info(
                "delivery %s part %s is already in Discord channel %s (message %s): adopting "
                "it, not posting again",
                alert.delivery_id,
                part,
                channel_id,
                found,
            )
            return found
        if allowed is None and await self.posted.unreadable(channel_id):
            self._warn_unreadable(
                channel_id,
                "Discord returns none of its messages: the bot lacks Read Message History",
            )
        return None

    def _history_allowed(self, channel_id: int) -> bool | None:
        """Whether the bot may read the channel's history, from the gateway's cache (roles and
        overwrites); None when not known (no gateway, or the channel not cached)."""
        channel = self.client.get_channel(channel_id)
        if isinstance(channel, discord.DMChannel | discord.GroupChannel):
            return True
        if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            me = channel.guild.me
            if me is not None:
                return channel.permissions_for(me).read_message_history
        return None

    def _warn_unreadable(self, channel_id: int, why: str) -> None:
        """Say once per channel that retries there rely on the nonce alone."""
        if channel_id in self._warned:
            return
        self._warned.add(channel_id)
        log.warning(
            "cannot check Discord channel %s for an earlier post of a retried alert (%s); "
            "posting it again, which shows it twice if the earlier attempt reached Discord more "
            "than a few minutes ago: %s",
            channel_id,
            why,
            _HISTORY_FIX,
        )

    async def _original_embed(self, partial: discord.PartialMessage) -> discord.Embed | None:
        """The original alert's embed: remembered, or read back (needs Read Message History)."""
        ref = message_ref(partial.channel.id, partial.id)
        if ref in self._sent_embeds:
            return self._sent_embeds[ref]
        try:
            message = await partial.fetch()
        except discord.Forbidden:
            return None
        embeds: list[discord.Embed] = message.embeds
        return embeds[0] if embeds else None

    async def _edit_original(self, original: tuple[int, int], alert: Alert) -> str | None:
        """Add "Also reported by" to the original alert; None when it cannot be edited."""
        channel_id, message_id = original
        partial = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        ref = message_ref(channel_id, message_id)
        try:
            base = await self._original_embed(partial)
            if base is None:
                log.info("alert %s cannot be read back; posting the update as a new message", ref)
                return None
            embed = with_also_reported(base, alert.also_reported_by)
            await self.pacer.wait(str(channel_id))
            await partial.edit(embed=embed, allowed_mentions=discord.AllowedMentions.none())
        except discord.RateLimited as err:
            self.pacer.hold(str(channel_id), err.retry_after)
            raise
        except discord.NotFound:
            self._sent_embeds.pop(ref, None)
            log.info("alert %s was deleted; posting the update as a new message", ref)
            return None
        self._remember(ref, embed)
        return ref

    async def notify_owner(self, owner: str, text: str) -> None:
        """DM the owner ("discord:USER_ID"); failures are logged, never raised."""
        platform, _, user = owner.partition(":")
        if platform != self.scheme or not user.isdigit():
            log.warning("cannot tell %r on Discord: %s", owner, text)
            return
        try:
            channel_id = await self._channel_for(f"@{user}")
            await self.client.get_partial_messageable(channel_id).send(
                content=truncate(text, CONTENT_LIMIT),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (PermanentDeliveryError, discord.HTTPException, aiohttp.ClientError, OSError) as err:
            log.warning("could not DM %s (%s): %s", owner, type(err).__name__, text)

    async def aclose(self) -> None:
        """Forget cached channels and embeds; the adapter owns and closes the client."""
        self._dm_channels.clear()
        self._sent_embeds.clear()
