"""The argument parser of `wirewatch`, generated from the command table.

Every group of the table that exists on the terminal is a subcommand (`wirewatch watch add`,
`wirewatch check`); every argument is a positional or an option with its help. `--config` is
accepted before or after the subcommand. Help is formatted by rich-argparse, so it looks like
the rest of the output.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich_argparse import RichHelpFormatter

from bot.commands.spec import Arg, ArgType, Command
from bot.commands.table import commands_of, group, group_names
from bot.commands.usage import cli_metavar

__all__ = ["build_parser", "values_of"]

_NARGS: dict[tuple[bool, bool], str | None] = {
    (True, True): "+",  # a tail: the rest of the words
    (True, False): "*",
    (False, True): None,
    (False, False): "?",
}
_CONFIG_HELP = "config file (default: $WIREWATCH_CONFIG or config/wirewatch.toml)"


def _add_config(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument("--config", "-c", metavar="FILE", default=default, help=_CONFIG_HELP)


def _replaced(command: Command, arg: Arg) -> bool:
    """Whether another terminal argument may stand in for this one (`--file` for a rule)."""
    return any(other.instead_of == arg.name for other in command.args_on("cli"))


def _add_argument(parser: argparse.ArgumentParser, command: Command, arg: Arg) -> None:
    help_text = arg.cli_help or arg.help
    if arg.type is ArgType.FLAG:
        flags = [arg.flag, *([arg.short] if arg.short else [])]
        parser.add_argument(
            *flags, dest=arg.name, action="store_true", required=arg.required, help=help_text
        )
        return
    if arg.flag:
        flags = [arg.flag, *([arg.short] if arg.short else [])]
        parser.add_argument(
            *flags,
            dest=arg.name,
            metavar=None if arg.choices else cli_metavar(arg),
            choices=arg.choices or None,
            required=arg.required,
            help=help_text,
        )
        return
    required = arg.required and not _replaced(command, arg)
    nargs = _NARGS[(arg.tail, required)]
    parser.add_argument(arg.name, nargs=nargs, metavar=cli_metavar(arg), help=help_text)


def _add_command(
    parent: argparse._SubParsersAction[argparse.ArgumentParser], command: Command, name: str
) -> None:
    help_text = command.cli_help or command.help
    parser = parent.add_parser(
        name,
        aliases=list(command.aliases),
        help=help_text,
        description=help_text,
        formatter_class=RichHelpFormatter,
    )
    _add_config(parser, default=argparse.SUPPRESS)
    for arg in command.args_on("cli"):
        _add_argument(parser, command, arg)
    parser.set_defaults(command=command, parser=parser)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command of the table that exists on the terminal."""
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Watch the news for your team: boolean watch rules, summaries, alerts to "
        "Slack, Discord, the console, JSONL files and webhooks.",
        formatter_class=RichHelpFormatter,
    )
    _add_config(parser, default=None)
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for name in group_names():
        commands = [c for c in commands_of(name) if c.on("cli")]
        if not commands:
            continue
        if len(commands) == 1 and commands[0].name == "":
            _add_command(groups, commands[0], name)
            continue
        help_text = group(name).help
        sub = groups.add_parser(
            name, help=help_text, description=help_text, formatter_class=RichHelpFormatter
        )
        _add_config(sub, default=argparse.SUPPRESS)
        actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
        for command in commands:
            _add_command(actions, command, command.name)
    return parser


def values_of(command: Command, parsed: argparse.Namespace) -> dict[str, Any]:
    """The arguments' values by name: a tail's words joined, absent ones None. An argument
    given instead of another cannot come with it, and one of them is needed when that one is
    required (argparse cannot say this about a positional and an option)."""
    parser: argparse.ArgumentParser = parsed.parser
    values: dict[str, Any] = {}
    for arg in command.args_on("cli"):
        value = getattr(parsed, arg.name, None)
        if isinstance(value, list):
            value = " ".join(value) or None
        values[arg.name] = value
    for arg in command.args_on("cli"):
        if not arg.instead_of:
            continue
        other = command.arg(arg.instead_of)
        shown = arg.flag or arg.name
        other_shown = other.flag or cli_metavar(other)
        if values[arg.name] is not None and values[other.name] is not None:
            parser.error(f"{shown} cannot be used with {other_shown}")
        if other.required and values[arg.name] is None and values[other.name] is None:
            parser.error(f"give {other_shown} or {shown}")
    return values
