"""The Discord adapter: a discord.py client with slash commands, and the "discord" notifier.

Commands are an `app_commands` tree (no message-content intent, no prefix commands) generated
from the command table by `bot.chat.discord_commands`: /watch add|list|remove|pause|resume|test,
/news, /sources add|list|remove. Each command becomes a `Caller` and a `CommandService` call
(`bot.commands.invoke`); the `Reply` is rendered as embeds. Look-ups and errors are
ephemeral. When the service takes longer than `defer_after` seconds the interaction is deferred
so Discord's 3-second limit is never missed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.chat.discord_commands import table_commands
from bot.chat.discord_embeds import reply_message
from bot.chat.discord_notifier import DiscordNotifier
from bot.chat.pacing import ChannelPacer
from bot.commands.invoke import invoke
from bot.commands.reply import Reply
from bot.commands.service import Caller, CommandService
from bot.commands.spec import Command
from bot.settings import DiscordSettings, Secrets
from bot.store import is_outage

__all__ = ["API_VERSION", "DiscordAdapter", "DiscordStartError", "ShareView", "api_base"]

log = logging.getLogger(__name__)

API_VERSION = 10
_VERSIONED = re.compile(r"/v\d+$")
_TEXT_CHANNELS = {
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
}
ReplyWork = Callable[[Caller], Awaitable[Reply]]


class ShareView(discord.ui.View):
    """A "Share in channel" button under an ephemeral look-up: posts the same embeds publicly."""

    def __init__(self, embeds: list[discord.Embed], *, timeout: float = 840.0) -> None:
        super().__init__(timeout=timeout)
        self.embeds = embeds

    @discord.ui.button(label="Share in channel", style=discord.ButtonStyle.primary)
    async def share(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ShareView]
    ) -> None:
        """Post the look-up in the channel for everyone, once."""
        self.stop()
        await interaction.response.send_message(embeds=self.embeds)


class DiscordStartError(RuntimeError):
    """The bot could not log in or connect; the message says what to fix."""


def api_base(api_url: str) -> str:
    """The REST base discord.py should use for `[discord] api_url` (adds /v10 when absent)."""
    base = api_url.rstrip("/")
    return base if _VERSIONED.search(base) else f"{base}/v{API_VERSION}"


def _make_client(sharded: bool, guild_ready_timeout: float) -> discord.Client:
    options: dict[str, Any] = {
        "intents": discord.Intents(guilds=True),
        "allowed_mentions": discord.AllowedMentions.none(),
        "max_ratelimit_timeout": 60.0,
        "guild_ready_timeout": guild_ready_timeout,
    }
    if sharded:
        return discord.AutoShardedClient(**options)
    return discord.Client(**options)


class DiscordAdapter:
    """Slash commands in, alerts out, for one Discord application."""

    leader_only = True
    """With several workers only the leader holds the gateway (else each interaction would be
    answered by every worker); the others post alerts over REST (`connect_rest`)."""

    def __init__(
        self,
        settings: DiscordSettings,
        secrets: Secrets,
        service: CommandService,
        *,
        updates_mode: str = "edit",
        defer_after: float = 2.0,
        ready_timeout: float = 60.0,
        guild_ready_timeout: float = 2.0,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.service = service
        self.defer_after = defer_after
        self.ready_timeout = ready_timeout
        self.client = _make_client(settings.shards, guild_ready_timeout)
        self.client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.notifier = DiscordNotifier(self.client, updates_mode=updates_mode, pacer=pacer)
        self._connection: asyncio.Task[None] | None = None
        self._register_commands()

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Log in, sync the commands, connect in the background; return once READY arrives."""
        await self._log_in(rest_only=False)
        ready = asyncio.ensure_future(self.client.wait_for("connect", timeout=self.ready_timeout))
        self._connection = asyncio.create_task(self.client.connect(reconnect=True))
        done, _ = await asyncio.wait({ready, self._connection}, return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.exception() is None:
            log.info("Discord: connected as %s", self.client.user)
            return
        ready.cancel()
        problem = self._connection.exception() if self._connection.done() else None
        await self.stop()
        raise DiscordStartError(
            f"could not connect to the Discord gateway: {problem or 'no READY in time'}"
        )

    async def connect_rest(self) -> None:
        """Log in to the REST API only, without a gateway session: enough to deliver alerts
        (`wirewatch poll --once`), without registering commands or going online."""
        await self._log_in(rest_only=True)

    async def open_gateway(self) -> None:
        """Become the gateway's holder after a REST-only login (a follower became the leader):
        the REST session is closed and the full login (commands synced) and gateway follow."""
        if self._connection is not None:
            return
        await self.client.http.close()  # its session and connector: login opens new ones
        self.client.http.connector = discord.utils.MISSING
        await self.start()

    async def _log_in(self, *, rest_only: bool) -> None:
        """Log in with the bot token (REST only, or the full login that syncs the commands);
        raise DiscordStartError saying what to fix."""
        token = self.secrets.discord_bot_token
        if token is None:
            raise DiscordStartError(
                "DISCORD_BOT_TOKEN is not set: copy the bot token from the Developer Portal "
                "(Bot → Reset Token) into the environment, or set [discord] enabled = false"
            )
        if self.settings.api_url:
            discord.http.Route.BASE = api_base(self.settings.api_url)
        try:
            if rest_only:
                await self.client.http.static_login(token.get_secret_value())
            else:
                await self.client.login(token.get_secret_value())
        except discord.LoginFailure as err:
            await self.client.close()
            raise DiscordStartError(
                "Discord refused the bot token (401): reset it in the Developer Portal and "
                "update DISCORD_BOT_TOKEN"
            ) from err
        except DiscordStartError:
            await self.client.close()
            raise
        except (discord.HTTPException, OSError) as err:
            await self.client.close()
            raise DiscordStartError(f"could not log in to Discord: {err}") from err

    async def connected(self) -> bool:
        """Whether the gateway session is up (READY received and not closed)."""
        return self.client.is_ready() and not self.client.is_closed()

    async def stop(self) -> None:
        """Close the gateway connection and the REST session."""
        await self.client.close()
        if self._connection is not None:
            try:
                await self._connection
            except (discord.DiscordException, OSError, asyncio.CancelledError) as err:
                log.debug("Discord connection ended: %r", err)
            self._connection = None

    async def _setup_hook(self) -> None:
        """After login: point the gateway at the configured API, then sync the commands."""
        if self.settings.api_url:
            _, url, _ = await self.client.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        if not self.settings.guild_ids:
            await self.tree.sync()
            return
        for guild_id in self.settings.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                await self.tree.sync(guild=guild)
            except discord.Forbidden as err:
                raise DiscordStartError(
                    f"cannot register commands in server {guild_id} ([discord] guild_ids): the "
                    "bot is not in it or was invited without the applications.commands scope; "
                    "invite it with the URL in docs/discord.md, or remove the id"
                ) from err

    # ---- callers and replies -------------------------------------------------------------------
    def caller_of(self, interaction: discord.Interaction[Any]) -> Caller:
        """Who typed the command, where, and what they may do."""
        user = interaction.user
        is_dm = interaction.guild_id is None
        return Caller(
            platform="discord",
            user_id=str(user.id),
            channel_id=str(interaction.channel_id or ""),
            is_dm=is_dm,
            is_admin=self._is_admin(user),
            can_manage_channel=not is_dm and interaction.permissions.manage_channels,
            channel_name=str(getattr(interaction.channel, "name", "") or ""),
            user_name=user.name,
        )

    def _is_admin(self, user: discord.User | discord.Member) -> bool:
        if str(user.id) in self.settings.admins:
            return True
        role = (self.settings.admin_role or "").strip()
        if not role or not isinstance(user, discord.Member):
            return False
        return any(r.name == role or str(r.id) == role for r in user.roles)

    async def _safely(self, work: ReplyWork, caller: Caller) -> Reply:
        try:
            return await work(caller)
        except Exception as err:
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("Discord command failed for %s", caller.owner)
            return Reply.failed(err)

    async def respond(
        self, interaction: discord.Interaction[Any], work: ReplyWork, *, lookup: bool
    ) -> None:
        """Run `work` and answer; defer first when it is slower than `defer_after` seconds."""
        caller = self.caller_of(interaction)
        task = asyncio.ensure_future(self._safely(work, caller))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if task in done:
            reply = task.result()
            embeds = reply_message(reply)
            private = reply.ephemeral or not reply.ok
            share = self._share_view(reply, embeds, caller, private=private)
            if share is None:
                await interaction.response.send_message(embeds=embeds, ephemeral=private)
            else:
                await interaction.response.send_message(embeds=embeds, ephemeral=True, view=share)
            return
        await interaction.response.defer(ephemeral=lookup, thinking=True)
        reply = await task
        embeds = reply_message(reply)
        private = reply.ephemeral or not reply.ok
        if private and not lookup:
            await interaction.delete_original_response()
            await interaction.followup.send(embeds=embeds, ephemeral=True)
            return
        share = self._share_view(reply, embeds, caller, private=lookup)
        if share is None:
            await interaction.edit_original_response(embeds=embeds)
        else:
            await interaction.edit_original_response(embeds=embeds, view=share)

    @staticmethod
    def _share_view(
        reply: Reply, embeds: list[discord.Embed], caller: Caller, *, private: bool
    ) -> ShareView | None:
        """A share button for a private, shareable answer typed in a server channel."""
        if not (private and reply.ok and reply.shareable) or caller.is_dm:
            return None
        return ShareView(embeds)

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Answer a failed command with an ephemeral explanation, never a traceback."""
        if isinstance(error, app_commands.TransformerError):
            reply = Reply.error("That option could not be used", str(error))
        else:
            log.error("Discord command error", exc_info=error)
            reply = Reply.error(
                "Something went wrong on our side",
                "The error was logged; please try again in a moment.",
            )
        try:
            if interaction.response.is_done():
                await interaction.followup.send(embeds=reply_message(reply), ephemeral=True)
            else:
                await interaction.response.send_message(embeds=reply_message(reply), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not report the error to the user")

    # ---- commands (generated from the table: bot.chat.discord_commands) ----------------------
    async def watch_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The caller's watches matching what they typed (the `id` options' autocomplete)."""
        pairs = await self.service.watch_choices(self.caller_of(interaction), current)
        return [app_commands.Choice(name=label, value=value) for value, label in pairs]

    async def source_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The sources matching what was typed."""
        pairs = await self.service.source_choices(self.caller_of(interaction), current)
        return [app_commands.Choice(name=label, value=value) for value, label in pairs]

    async def run_command(
        self, interaction: discord.Interaction[Any], command: Command, options: dict[str, Any]
    ) -> None:
        """Run a table command with an interaction's options: a channel must be one that can
        receive alerts (its id is passed on); look-ups are answered privately."""
        values: dict[str, str | None] = {}
        for arg in command.args_on("discord"):
            value = options.get(arg.name)
            if isinstance(value, app_commands.AppCommandChannel | app_commands.AppCommandThread):
                if value.type not in _TEXT_CHANNELS:
                    refusal = Reply.error(
                        f"#{value.name} cannot receive alerts",
                        "Pick a text or announcement channel, or a thread.",
                    )
                    await interaction.response.send_message(
                        embeds=reply_message(refusal), ephemeral=True
                    )
                    return
                value = str(value.id)
            values[arg.name] = value
        service = self.service
        await self.respond(
            interaction,
            lambda caller: invoke(service, caller, command, values),
            lookup=command.private,
        )

    def _register_commands(self) -> None:
        for made in table_commands(self):
            self.tree.add_command(made)
