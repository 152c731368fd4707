"""The Notifier for scheme "discord": alerts as embeds in channels or DMs, over the bot's REST.

Every message carries a nonce derived from its delivery id with `enforce_nonce`, so a retry after
an ambiguous failure returns the message already posted instead of posting twice. Sends to one
channel are paced; discord.py's own bucket and 429 handling stays in charge of rate limits.
403 (missing access) and 404 (channel gone) are permanent: the relay pauses the watch.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import ClassVar

import aiohttp
import discord

from bot.chat.discord_embeds import CONTENT_LIMIT, alert_embeds, truncate, with_also_reported
from bot.chat.pacing import ChannelPacer
from bot.core.alert import Alert
from bot.ports import DeliveryError, PermanentDeliveryError

__all__ = ["DiscordNotifier", "delivery_nonce", "message_ref", "parse_message_ref"]

log = logging.getLogger(__name__)

NONCE_PREFIX = "ww-"
NONCE_LIMIT = 25
SENT_EMBEDS_KEPT = 2048


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
        """Post the alert (a long fold as several messages, each with its own nonce); return
        the first message's reference."""
        channel = self.client.get_partial_messageable(channel_id)
        refs: list[str] = []
        for part, embed in enumerate(alert_embeds(alert), 1):
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
            refs.append(message_ref(channel_id, message.id))
            self._remember(refs[-1], embed)
        return refs[0]

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
