"""How each surface writes a command, from the table: usage lines and references in replies.

Slack writes `/watch pause <id> [for 2h | until 18:00 [Area/City]]` and `/watch pause 12`;
Discord names its options, `/watch pause id:<id> [until:…]` and `/watch pause id:12`; the
terminal writes `wirewatch watch pause ID [SPAN ...]` and `wirewatch watch pause 12`.
"""

from __future__ import annotations

import shlex

from bot.commands.phrases import CommandRef, Phrase
from bot.commands.spec import Arg, ArgType, Command, Surface
from bot.commands.table import command as find_command
from bot.commands.table import commands_of

__all__ = ["cli_metavar", "group_usage", "plain", "usage_line", "written"]

_PREFIX: dict[Surface, str] = {"slack": "/", "discord": "/", "cli": "wirewatch "}


def cli_metavar(arg: Arg) -> str:
    """How the terminal names an argument's value: `RULE`, `DEST`, `{toml,json}`."""
    if arg.metavar:
        return arg.metavar
    if arg.choices:
        return "{" + ",".join(arg.choices) + "}"
    placeholder = arg.placeholder.strip("<>")
    if placeholder.isalpha():
        return placeholder.upper()
    return arg.name.upper()


def _shown(arg: Arg, surface: Surface) -> str:
    if surface == "discord":
        return f"{arg.name}:{arg.shown}"
    if surface == "cli":
        if arg.type is ArgType.FLAG:
            return arg.flag
        metavar = cli_metavar(arg) + (" ..." if arg.tail and not arg.flag else "")
        return f"{arg.flag} {metavar}" if arg.flag else metavar
    return f"{arg.keyword} {arg.shown}" if arg.keyword else arg.shown


def usage_line(command: Command, surface: Surface) -> str:
    """The command with every argument it takes on `surface`, optional ones in brackets."""
    words = [_PREFIX[surface] + command.path]
    for arg in command.args_on(surface):
        shown = _shown(arg, surface)
        required = arg.required and not _replaceable(command, arg, surface)
        words.append(shown if required else f"[{shown}]")
    return " ".join(words)


def _replaceable(command: Command, arg: Arg, surface: Surface) -> bool:
    """Whether another argument on `surface` may stand in for this one (`--file` for a rule)."""
    return any(other.instead_of == arg.name for other in command.args_on(surface))


def group_usage(group: str, surface: Surface) -> list[str]:
    """The usage line of every command of a group that exists on `surface`."""
    return [usage_line(c, surface) for c in commands_of(group) if c.on(surface)]


def written(ref: CommandRef, surface: Surface) -> str:
    """A reference to a command as `surface` writes it, with the values it carries."""
    command = find_command(ref.group, ref.name)
    if ref.usage:
        return usage_line(command, surface)
    values = dict(ref.values)
    words = [_PREFIX[surface] + command.path]
    for arg in command.args_on(surface):
        if arg.name not in values:
            continue
        value = values[arg.name]
        if surface == "discord":
            words.append(f"{arg.name}:{value}")
        elif surface == "cli":
            quoted = shlex.quote(value)
            words.append(f"{arg.flag} {quoted}" if arg.flag else quoted)
        else:
            words.append(f"{arg.keyword} {value}" if arg.keyword else value)
    return " ".join(words)


def plain(text: str | Phrase, surface: Surface) -> str:
    """A title or line as plain text for `surface`: code in backticks, commands as it writes
    them (for fallback texts, notices and notifications)."""
    if isinstance(text, str):
        return text
    return "".join(
        text.render(
            text=str,
            code=lambda literal: f"`{literal}`",
            command=lambda ref: f"`{written(ref, surface)}`",
        )
    )
