"""The command table is complete and consistent: every handler takes exactly what is declared."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from bot.commands.invoke import handler_call
from bot.commands.service import CommandService
from bot.commands.spec import ArgType, Command
from bot.commands.table import COMMANDS, GROUPS, commands_of, group_names
from bot.commands.usage import group_usage, usage_line

CHAT = [c for c in COMMANDS if c.on("slack") or c.on("discord")]
TERMINAL_ONLY = [c for c in COMMANDS if not (c.on("slack") or c.on("discord"))]
DISCORD_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def _handler(name: str) -> inspect.Signature:
    if ":" in name:
        module, _, function = name.partition(":")
        return inspect.signature(getattr(importlib.import_module(module), function))
    return inspect.signature(getattr(CommandService, name))


@pytest.mark.parametrize("command", CHAT, ids=lambda c: c.path)
def test_each_chat_handler_takes_the_declared_arguments(command: Command) -> None:
    overriding = [a for a in command.args if a.handler]
    cases = [{a.name: "x" for a in command.args if a not in overriding}]
    for arg in overriding:  # `--file` instead of a rule: its own handler, without the rule
        cases.append({a.name: "x" for a in command.args if a.name != arg.instead_of})
    for values in cases:
        handler, args, kwargs = handler_call(command, values)
        method = getattr(CommandService, handler)
        inspect.signature(method).bind(None, "caller", *args, **kwargs)  # TypeError if not
        required = {a.name for a in command.args if a.required}
        without_optional = {k: v for k, v in values.items() if k in required or k not in kwargs}
        _, args, kwargs = handler_call(command, without_optional)
        inspect.signature(method).bind(None, "caller", *args, **kwargs)


@pytest.mark.parametrize("command", TERMINAL_ONLY, ids=lambda c: c.path)
def test_each_terminal_handler_can_be_imported(command: Command) -> None:
    assert list(_handler(command.handler).parameters) == ["call"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.path)
def test_help_fits_discord_and_names_are_valid_options(command: Command) -> None:
    assert command.help
    assert len(command.help) <= 100 or not command.on("discord")
    for arg in command.args:
        assert arg.help, f"{command.path} {arg.name} needs help"
        if arg.on("discord"):
            assert len(arg.help) <= 100 and DISCORD_NAME.match(arg.name)
        if arg.choices:
            assert arg.type is ArgType.FORMAT or arg.on("cli")
        if arg.instead_of:
            assert arg.instead_of in {a.name for a in command.args}
    assert len([a for a in command.args if a.tail]) <= 1


def test_every_group_has_commands_and_every_command_a_group() -> None:
    assert set(group_names()) >= {g.name for g in GROUPS}
    for name in group_names():
        assert commands_of(name)
    chat_groups = {g.name for g in GROUPS if g.on("slack")}
    assert chat_groups == {"watch", "news", "sources"}


@pytest.mark.parametrize(
    ("command", "surface", "expected"),
    [
        (
            ("watch", "add"),
            "slack",
            "/watch add <rule> [#channel] [digest hourly | daily HH:MM | weekly DAY HH:MM "
            "[Area/City]]",
        ),
        (
            ("watch", "add"),
            "cli",
            "wirewatch watch add [RULE ...] [--to DEST] [--digest MODE] [--file FILE]",
        ),
        (
            ("watch", "pause"),
            "discord",
            "/watch pause id:<id> [until:for 2h | until 18:00 [Area/City]]",
        ),
        (("news", ""), "slack", "/news <rule> [since 7d]"),
        (("news", ""), "cli", "wirewatch news RULE ... [--since PERIOD]"),
        (("sources", "add"), "cli", "wirewatch sources add URL [--kind KIND] [--name NAME]"),
    ],
)
def test_usage_lines_are_each_surfaces_own(command: tuple[str, str], surface, expected) -> None:
    from bot.commands.table import command as find

    assert usage_line(find(*command), surface) == expected


def test_terminal_only_commands_stay_off_chat() -> None:
    assert "/watch export" not in " ".join(group_usage("watch", "slack"))
    assert any(line.startswith("wirewatch watch export") for line in group_usage("watch", "cli"))
