"""Discord's app_commands, generated from the command table (`bot.commands.table`).

Each chat group becomes a command group (`/watch add`, `/watch list` ...) or, when it is one
command (`/news`), a command of its own. Each argument becomes an option: its help is the
option's description, strings are capped by a `Range`, a channel argument takes a channel, and
an argument with choices autocompletes (the caller's watch ids, source ids, digest modes,
source kinds). The callback hands the options to `CommandHost.run_command`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Optional, Protocol, Union

import discord
from discord import app_commands

from bot.commands.spec import Arg, ArgType, Command
from bot.commands.table import commands_of, group, group_names

__all__ = ["CommandHost", "kind_choices", "table_commands"]

CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
CHOICES_LIMIT = 25

Choices = list[app_commands.Choice[str]]
Autocomplete = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]
Callback = Callable[..., Coroutine[Any, Any, None]]


class CommandHost(Protocol):
    """What the generated commands call back: the Discord adapter."""

    async def run_command(
        self, interaction: discord.Interaction[Any], command: Command, options: dict[str, Any]
    ) -> None:
        """Run `command` with the interaction's options (None when not given)."""

    async def watch_choices(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        """The caller's watches matching what they typed."""

    async def source_choices(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        """The sources matching what was typed."""


def _offered(typed: str, suggestions: list[str]) -> Choices:
    """Whatever was typed first (so any value works), then the suggestions that contain it."""
    typed = typed.strip()
    options = [typed] if typed else []
    options += [s for s in suggestions if typed.lower() in s.lower() and s != typed]
    return [app_commands.Choice(name=o[:100], value=o[:100]) for o in options[:CHOICES_LIMIT]]


async def kind_choices(interaction: discord.Interaction[Any], current: str) -> Choices:
    """The source kinds the registry knows."""
    from bot.sources import source_kinds

    return _offered(current, source_kinds())


def _autocomplete(arg: Arg, host: CommandHost) -> Autocomplete | None:
    if arg.type is ArgType.WATCH_ID:
        return host.watch_choices
    if arg.type is ArgType.SOURCE_ID:
        return host.source_choices
    if arg.type is ArgType.KIND:
        return kind_choices
    if arg.suggestions:

        async def suggest(interaction: discord.Interaction[Any], current: str) -> Choices:
            return _offered(current, list(arg.suggestions))

        return suggest
    return None


def _option_type(arg: Arg) -> Any:
    if arg.type is ArgType.CHANNEL:
        wanted: Any = Union[app_commands.AppCommandChannel, app_commands.AppCommandThread]  # noqa: UP007
    else:
        wanted = app_commands.Range[str, 1, arg.max_length]
    return wanted if arg.required else Optional[wanted]  # noqa: UP045


def _callback(command: Command, host: CommandHost) -> Callback:
    """A callback whose signature declares the command's options (discord.py reads it)."""

    async def callback(interaction: discord.Interaction[Any], **options: Any) -> None:
        await host.run_command(interaction, command, options)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for arg in command.args_on("discord"):
        parameters.append(
            inspect.Parameter(
                arg.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_option_type(arg),
                default=inspect.Parameter.empty if arg.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"{command.group}_{command.name or 'command'}"
    described = {arg.name: arg.help for arg in command.args_on("discord")}
    if described:
        app_commands.describe(**described)(callback)
    completing = {
        arg.name: found
        for arg in command.args_on("discord")
        if (found := _autocomplete(arg, host)) is not None
    }
    if completing:
        app_commands.autocomplete(**completing)(callback)
    return callback


def _command(
    command: Command, host: CommandHost, name: str, *, top_level: bool
) -> app_commands.Command[Any, Any, None]:
    made: app_commands.Command[Any, Any, None] = app_commands.Command(
        name=name, description=command.help, callback=_callback(command, host)
    )
    if top_level:
        made.allowed_contexts = CONTEXTS
        made.allowed_installs = INSTALLS
    return made


def table_commands(
    host: CommandHost,
) -> list[app_commands.Command[Any, Any, None] | app_commands.Group]:
    """Every chat command of the table, as Discord commands and groups."""
    out: list[app_commands.Command[Any, Any, None] | app_commands.Group] = []
    for name in group_names():
        spec = group(name)
        commands = [c for c in commands_of(name) if c.on("discord")]
        if not commands or not spec.on("discord"):
            continue
        if len(commands) == 1 and commands[0].name == "":
            out.append(_command(commands[0], host, name, top_level=True))
            continue
        made = app_commands.Group(
            name=name,
            description=spec.help,
            default_permissions=(
                discord.Permissions(manage_channels=True) if spec.manage_channels else None
            ),
            allowed_contexts=CONTEXTS,
            allowed_installs=INSTALLS,
        )
        for command in commands:
            made.add_command(_command(command, host, command.name, top_level=False))
        out.append(made)
    return out
