"""The vocabulary of the command table: a group, its commands, their arguments and permissions.

`bot.commands.table` declares every command once with these; each surface is generated from it:
Slack's text parsing (`bot.commands.text`), Discord's app_commands tree
(`bot.chat.discord_commands`), the CLI's subparsers (`bot.cli.parser`) and the Slack manifest's
command list (`bot.chat.slack_manifest`). This module imports nothing of the bot, so the CLI can
read the table without loading a database or chat library.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

__all__ = [
    "CHAT",
    "CLI",
    "EVERYWHERE",
    "Arg",
    "ArgType",
    "Command",
    "Group",
    "Permission",
    "Surface",
]

Surface = Literal["slack", "discord", "cli"]
EVERYWHERE: frozenset[Surface] = frozenset({"slack", "discord", "cli"})
CHAT: frozenset[Surface] = frozenset({"slack", "discord"})
CLI: frozenset[Surface] = frozenset({"cli"})


class ArgType(Enum):
    """What an argument holds: decides its parsing, its Discord type and its autocomplete."""

    TEXT = "text"
    RULE = "rule"  # a watch rule (free text)
    WATCH_ID = "watch id"  # autocompletes the caller's watches
    SOURCE_ID = "source id"  # autocompletes the sources
    CHANNEL = "channel"  # Slack: a #channel mention; Discord: a channel; CLI: a destination
    DIGEST = "digest"  # suggestions: DIGEST_SUGGESTIONS
    PAUSE = "pause"  # `for 2h` or `until 18:00 [Area/City]`
    PERIOD = "period"  # a duration: `24h`, `7d`
    URL = "url"
    KIND = "kind"  # a source kind; autocompletes the registry's kinds
    FORMAT = "format"  # toml | json
    PATH = "path"  # a file on the machine running the CLI
    FLAG = "flag"  # a CLI switch (present or not)


class Permission(Enum):
    """Who may run a command; the value is how help pages say it.

    ADMIN and SOURCES are checked before the handler runs (`CommandService.refusal`); CHANNEL
    and OWNER depend on the watch or the channel, so the handler checks them.
    """

    ANYONE = "anyone"
    CHANNEL = (
        "anyone in the channel (Discord: Manage Channels or the admin role); "
        "in a DM, a personal watch"
    )
    OWNER = "the watch's creator or an admin"
    SOURCES = "admins (everyone with open_sources = true)"
    ADMIN = "admins"


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a command.

    `name` is the handler's keyword and Discord's option name. An argument is positional in
    Slack text and on the CLI unless it has a `keyword` (Slack: a trailing `digest daily 08:00`
    clause) or a `flag` (CLI: `--to DEST`). A `tail` argument takes the rest of the words.
    `help` is one line of at most 100 characters (Discord's limit); `cli_help` replaces it on
    the terminal when the terminal's argument means something else (`--to` takes any
    destination, chat's `channel` a channel). `placeholder` is how chat usage lines show it,
    `metavar` how the terminal does. An argument given `instead_of` another cannot be given
    with it and, when that one is required, may replace it; its own `handler` (a
    CommandService method) then runs the command (`watch add --file`).
    """

    name: str
    help: str
    type: ArgType = ArgType.TEXT
    required: bool = False
    tail: bool = False
    keyword: str = ""
    flag: str = ""
    placeholder: str = ""
    cli_help: str = ""
    metavar: str = ""
    short: str = ""
    instead_of: str = ""
    handler: str = ""
    max_length: int = 1000
    surfaces: frozenset[Surface] = EVERYWHERE
    choices: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()

    def on(self, surface: Surface) -> bool:
        """Whether this argument exists on `surface`."""
        return surface in self.surfaces

    @property
    def shown(self) -> str:
        """The placeholder of usage lines: `<rule>` unless told otherwise."""
        return self.placeholder or f"<{self.name}>"


@dataclass(frozen=True, slots=True)
class Command:
    """One command or sub-command: `/watch add`, `/news` (`name` empty), `wirewatch check`.

    `handler` names the CommandService method that runs it (for chat commands) or the
    `module:function` the CLI imports when it runs (for commands of the terminal only).
    `private` answers are shown only to the asker (a look-up); the others are posted for
    everyone when they succeed. `aliases` are other names accepted in Slack text and on the CLI.
    `cli_help` replaces `help` on the terminal when the terminal's command does more (its
    `watch list` lists every watch).
    """

    group: str
    name: str
    help: str
    handler: str
    permission: Permission = Permission.ANYONE
    args: tuple[Arg, ...] = ()
    surfaces: frozenset[Surface] = EVERYWHERE
    private: bool = False
    aliases: tuple[str, ...] = ()
    cli_help: str = ""

    def on(self, surface: Surface) -> bool:
        """Whether this command exists on `surface`."""
        return surface in self.surfaces

    def args_on(self, surface: Surface) -> tuple[Arg, ...]:
        """The arguments this command takes on `surface`."""
        return tuple(a for a in self.args if a.on(surface))

    def arg(self, name: str) -> Arg:
        """The argument called `name`."""
        for arg in self.args:
            if arg.name == name:
                return arg
        raise KeyError(f"{self.path} has no argument {name!r}")

    @property
    def path(self) -> str:
        """`watch add`, or `news` for a group's own command."""
        return f"{self.group} {self.name}".strip()


@dataclass(frozen=True, slots=True)
class Group:
    """A top-level command: a Slack slash command, a Discord command or group, a CLI command.

    `help` is its one-line description everywhere (Slack's manifest adds the sub-commands);
    `usage_hint` is the example Slack shows while typing. `manage_channels` makes Discord show
    it by default only to members who may manage channels.
    """

    name: str
    help: str
    usage_hint: str = ""
    manage_channels: bool = False
    surfaces: frozenset[Surface] = EVERYWHERE

    def on(self, surface: Surface) -> bool:
        """Whether this group exists on `surface`."""
        return surface in self.surfaces
