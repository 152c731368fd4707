"""Each surface, generated from the table, reads every command's arguments the same way.

For every command and every surface it exists on, example values are written as that surface
writes them (Slack text, the terminal's argv) and must come back as the same values; every
command's usage and every reference to it render on every surface; every command that needs
an admin refuses anyone else before its handler runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli.parser import build_parser, values_of
from bot.commands.invoke import invoke
from bot.commands.reply import cmd
from bot.commands.service import AccessPolicy, Caller, CommandService
from bot.commands.spec import Arg, ArgType, Command, Permission
from bot.commands.table import COMMANDS
from bot.commands.text import parse_arguments, sub_command
from bot.commands.usage import usage_line, written
from bot.store import Store

EXAMPLES: dict[ArgType, Any] = {
    ArgType.TEXT: "Le Monde",
    ArgType.RULE: 'Algeria AND "return agreement"',
    ArgType.WATCH_ID: "12",
    ArgType.SOURCE_ID: "3",
    ArgType.CHANNEL: "C0123ABCD",
    ArgType.DIGEST: "daily 08:00 Europe/Paris",
    ArgType.PAUSE: "until 18:00 Europe/Paris",
    ArgType.PERIOD: "24h",
    ArgType.URL: "https://example.org/feed.xml",
    ArgType.KIND: "html",
    ArgType.FORMAT: "json",
    ArgType.PATH: "rules.txt",
    ArgType.FLAG: True,
}


def _example(arg: Arg) -> Any:
    return arg.choices[-1] if arg.choices else EXAMPLES[arg.type]


def _values(command: Command, surface: str) -> dict[str, Any]:
    """An example value for every argument, leaving out those given instead of another."""
    return {a.name: _example(a) for a in command.args_on(surface) if not a.instead_of}  # type: ignore[arg-type]


def _slack_text(command: Command, values: dict[str, Any]) -> str:
    words = [command.name] if command.name else []
    for arg in command.args_on("slack"):
        if arg.keyword or arg.type is ArgType.CHANNEL:
            continue
        words.append(values[arg.name])
    for arg in command.args_on("slack"):
        if arg.type is ArgType.CHANNEL:
            words.insert(1, f"<#{values[arg.name]}|desk>")
        elif arg.keyword:
            words.append(f"{arg.keyword} {values[arg.name]}")
    return " ".join(words)


def _argv(command: Command, values: dict[str, Any]) -> list[str]:
    argv = [command.group, *([command.name] if command.name else [])]
    for arg in command.args_on("cli"):
        if arg.name not in values:
            continue
        if arg.type is ArgType.FLAG:
            argv.append(arg.flag)
        elif arg.flag:
            argv += [arg.flag, values[arg.name]]
        else:
            argv.append(values[arg.name])  # one shell word: quoted
    return argv


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.on("slack")], ids=lambda c: c.path)
def test_slack_text_gives_back_every_argument(command: Command) -> None:
    values = _values(command, "slack")
    found, _, rest = sub_command(command.group, _slack_text(command, values))
    assert found == command
    assert parse_arguments(command, rest) == values


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.on("cli")], ids=lambda c: c.path)
def test_the_terminal_gives_back_every_argument_with_config_anywhere(command: Command) -> None:
    values = _values(command, "cli")
    parser = build_parser()
    for argv in (
        ["--config", "a.toml", *_argv(command, values)],
        [*_argv(command, values), "--config", "a.toml"],
    ):
        parsed = parser.parse_args(argv)
        assert parsed.command == command and parsed.config == "a.toml"
        got = values_of(command, parsed)
        assert {k: v for k, v in got.items() if v is not None and v is not False} == values


def test_a_rule_may_be_given_as_several_words_on_the_terminal() -> None:
    parsed = build_parser().parse_args(["watch", "add", "Algeria", "AND", "readmission", "-c", "x"])
    assert values_of(parsed.command, parsed)["query"] == "Algeria AND readmission"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.on("cli")], ids=lambda c: c.path)
def test_every_terminal_argument_has_help(command: Command, capsys) -> None:
    argv = [command.group, *([command.name] if command.name else []), "--help"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    shown = " ".join(capsys.readouterr().out.split())
    for arg in command.args_on("cli"):
        first_words = " ".join((arg.cli_help or arg.help).split()[:4])
        assert first_words in shown, f"{command.path}: no help for {arg.name}"
    assert "--config" in shown


@pytest.mark.parametrize("surface", ["slack", "discord", "cli"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.path)
def test_usage_and_references_render_on_each_surface(command: Command, surface: str) -> None:
    if not command.on(surface):  # type: ignore[arg-type]
        return
    line = usage_line(command, surface)  # type: ignore[arg-type]
    prefix = "wirewatch " if surface == "cli" else "/"
    assert line.startswith(prefix + command.path)
    ref = cmd(command.group, command.name, **{a.name: "7" for a in command.args if a.required})
    assert written(ref, surface).startswith(prefix + command.path)  # type: ignore[arg-type]


def test_references_are_written_in_each_surfaces_idiom() -> None:
    pause = cmd("watch", "pause", id=12, until="for 2h")
    assert written(pause, "slack") == "/watch pause 12 for 2h"
    assert written(pause, "discord") == "/watch pause id:12 until:for 2h"
    assert written(pause, "cli") == "wirewatch watch pause 12 'for 2h'"
    news = cmd("news", query="Algeria", since="1d")
    assert written(news, "slack") == "/news Algeria since 1d"
    assert written(news, "cli") == "wirewatch news Algeria --since 1d"


GUARDED = [c for c in COMMANDS if c.permission in (Permission.ADMIN, Permission.SOURCES)]


@pytest.mark.parametrize(
    "command", [c for c in GUARDED if c.on("slack") or c.on("discord")], ids=lambda c: c.path
)
async def test_commands_for_admins_refuse_others_before_their_handler(
    command: Command, tmp_path: Path
) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    try:
        service = CommandService(store, _Nothing(), None, policies={"slack": AccessPolicy()})
        member = Caller(platform="slack", user_id="U1", channel_id="C1")
        reply = await invoke(service, member, command, _values(command, "slack"))
        assert not reply.ok and reply.title.startswith("Only Wirewatch admins can")
        open_policy = {"slack": AccessPolicy(open_sources=True)}
        opened = CommandService(store, _Nothing(), None, policies=open_policy)
        if command.permission is Permission.SOURCES:
            again = await invoke(opened, member, command, _values(command, "slack"))
            assert not str(again.title).startswith("Only Wirewatch admins")
    finally:
        await store.close()


class _Nothing:
    def put(self, watch: object) -> None: ...

    def drop(self, watch_id: int) -> None: ...

    def sync(self, watches: list[object]) -> None: ...
