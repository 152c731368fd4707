"""Every command's replies, rendered by each surface, speak that surface's language only.

Generated from the table: each chat command runs with values that work, and once more for each
of its arguments with that one value wrong (an unknown id, a rule with a mistake, a pause that
cannot be read), as an admin of each surface it exists on; its
reply is rendered by the terminal (rich), Slack (blocks) and Discord (embeds). The terminal's
text must name no slash command and carry no backticks or mrkdwn; the chat renderings must
name no `wirewatch` command and no `--flag`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.chat.discord_embeds import reply_message
from bot.chat.slack_blocks import reply_blocks, reply_text
from bot.cli.parser import build_parser
from bot.cli.render import render_reply
from bot.commands.invoke import invoke, run_text
from bot.commands.reply import Reply
from bot.commands.service import AccessPolicy, Caller, CommandService
from bot.commands.spec import Arg, ArgType, Command, Surface
from bot.commands.table import COMMANDS, GROUPS, commands_of
from bot.store import Store, WatchRecord

# Two values per type of argument: one a command accepts, one it refuses.
GOOD: dict[ArgType, Any] = {
    ArgType.TEXT: "Le Monde",
    ArgType.RULE: 'Algeria AND "return agreement"',
    ArgType.WATCH_ID: "1",
    ArgType.SOURCE_ID: "1",
    ArgType.CHANNEL: "C0123ABCD",
    ArgType.DIGEST: "daily 08:00 Europe/Paris",
    ArgType.PAUSE: "for 2h",
    ArgType.PERIOD: "24h",
    ArgType.URL: "https://example.org/feed.xml",
    ArgType.KIND: "rss",
    ArgType.FORMAT: "toml",
    ArgType.PATH: "Tunisia\nLibya AND visa\n",
    ArgType.FLAG: True,
}
BAD: dict[ArgType, Any] = {
    ArgType.TEXT: "",
    ArgType.CHANNEL: "C0123ABCD",
    ArgType.KIND: "carrier-pigeon",
    ArgType.RULE: "election or (vote",
    ArgType.WATCH_ID: "abc",
    ArgType.SOURCE_ID: "99",
    ArgType.DIGEST: "weekly",
    ArgType.PAUSE: "until someday",
    ArgType.PERIOD: "forever",
    ArgType.URL: "ftp://example.org/feed",
    ArgType.FORMAT: "yaml",
    ArgType.PATH: "election or vote\n",
}
CALLERS: dict[Surface, Caller] = {
    "cli": Caller(platform="cli", user_id="operator", is_admin=True),
    "slack": Caller(platform="slack", user_id="U1", channel_id="C1", is_admin=True),
    "discord": Caller(platform="discord", user_id="1", channel_id="2", is_admin=True),
}
CHAT_COMMANDS = [c for c in COMMANDS if ":" not in c.handler]
SURFACES: tuple[Surface, ...] = ("cli", "slack", "discord")
CHATS: tuple[Surface, ...] = ("slack", "discord")

SLASH_COMMAND = re.compile(r"(?<![\w/.:])/(watch|sources|news)\b")
TERMINAL_COMMAND = re.compile(r"\bwirewatch (watch|sources|news|check)\b|(?<![\w-])--[a-z]")
MRKDWN = re.compile(r"`|\*\w[^*\n]*\*|<https?:|<#C")


def _good(arg: Arg) -> Any:
    return arg.choices[0] if arg.choices else GOOD[arg.type]


def _args(command: Command, surface: Surface) -> list[Arg]:
    """Every argument a caller may give together (not one given instead of another)."""
    return [a for a in command.args_on(surface) if not a.instead_of and a.type is not ArgType.FLAG]


def _values(command: Command, surface: Surface, wrong: str) -> dict[str, Any]:
    """Good values for every argument but `wrong`, which gets a bad one."""
    return {a.name: BAD[a.type] if a.name == wrong else _good(a) for a in _args(command, surface)}


def terminal_text(reply: Reply) -> str:
    console = Console(record=True, width=200, force_terminal=False, file=io.StringIO())
    render_reply(console, reply)
    return console.export_text()


def slack_text(reply: Reply) -> str:
    return json.dumps(reply_blocks(reply), ensure_ascii=False) + "\n" + reply_text(reply)


def discord_text(reply: Reply) -> str:
    return json.dumps([e.to_dict() for e in reply_message(reply)], ensure_ascii=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with watch #1 and source #1, migrated once for the whole module."""
    path = tmp_path_factory.mktemp("idiom") / "ww.db"

    async def fill() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        await store.add_watch("Algeria", "console", owner="cli:operator", platform="cli")
        await store.add_source("Wire", "https://wire.example/rss", kind="rss", interval_s=300)
        await store.close()

    asyncio.run(fill())
    return path


@pytest.fixture
async def service(template: Path, tmp_path: Path) -> AsyncIterator[CommandService]:
    shutil.copy(template, tmp_path / "ww.db")
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    policies = {p: AccessPolicy() for p in ("slack", "discord", "cli")}
    try:
        yield CommandService(store, _Nothing(), None, policies=policies)
    finally:
        await store.close()


CASES = [
    pytest.param(command, surface, wrong, id=f"{command.path}-{surface}-{wrong or 'good'}")
    for command in CHAT_COMMANDS
    for surface in SURFACES
    if command.on(surface)
    for wrong in ["", *(a.name for a in _args(command, surface))]
]


@pytest.mark.parametrize(("command", "surface", "wrong"), CASES)
async def test_replies_speak_the_surfaces_own_language(
    service: CommandService, command: Command, surface: Surface, wrong: str
) -> None:
    reply = await invoke(service, CALLERS[surface], command, _values(command, surface, wrong))
    assert reply.title, command.path
    if surface == "cli":
        shown = terminal_text(reply)
        assert not SLASH_COMMAND.search(shown), shown
        assert not MRKDWN.search(shown), shown
    else:
        shown = slack_text(reply) if surface == "slack" else discord_text(reply)
        assert not TERMINAL_COMMAND.search(shown), shown


TEXT_CASES = [
    pytest.param(g.name, text, id=f"/{g.name} {text}")
    for g in GROUPS
    if g.on("slack")
    for text in ("", "help", "frobnicate", *(f"{c.name} {'x ' * 9}" for c in commands_of(g.name)))
]


@pytest.mark.parametrize(("group_name", "text"), TEXT_CASES)
async def test_chat_help_and_usage_mistakes_speak_slash_commands(
    service: CommandService, group_name: str, text: str
) -> None:
    reply = await run_text(service, CALLERS["slack"], f"/{group_name}", text)
    shown = slack_text(reply)
    assert not TERMINAL_COMMAND.search(shown), shown
    usages = [u for u in re.findall(r"`([^`]*)`", shown) if u.startswith(("/", "wirewatch"))]
    assert all(u.startswith(f"/{group_name}") for u in usages), usages


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.on("cli")], ids=lambda c: c.path)
def test_terminal_help_names_the_terminals_command(
    command: Command, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command.group, *([command.name] if command.name else []), "--help"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    shown = capsys.readouterr().out
    assert " ".join(shown.split()).startswith(f"Usage: wirewatch {command.path}"), shown
    assert not SLASH_COMMAND.search(shown) and "`" not in shown, shown


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.path)
def test_help_texts_speak_each_surfaces_language(command: Command) -> None:
    """Discord shows `help` for commands and options, the terminal `cli_help` or else `help`."""
    for surface in CHATS:
        if command.on(surface):
            texts = [command.help, *(a.help for a in command.args_on(surface))]
            assert not [t for t in texts if TERMINAL_COMMAND.search(t)], command.path
    if command.on("cli"):
        texts = [command.cli_help or command.help]
        texts += [a.cli_help or a.help for a in command.args_on("cli")]
        assert not [t for t in texts if SLASH_COMMAND.search(t) or "`" in t], command.path
    for group in GROUPS:
        if group.on("slack"):
            assert not TERMINAL_COMMAND.search(group.help + " " + group.usage_hint)


def test_the_checks_catch_a_reply_in_the_wrong_language() -> None:
    from bot.commands.reply import cmd, say

    chat_hint = Reply(title="No watches", lines=["Add one: `/watch add <rule>`", "*bold*"])
    shown = terminal_text(chat_hint)
    assert SLASH_COMMAND.search(shown) and MRKDWN.search(shown)
    terminal_hint = Reply(title="x", lines=["see wirewatch watch list", "use --to DEST"])
    assert TERMINAL_COMMAND.search(slack_text(terminal_hint))
    assert TERMINAL_COMMAND.search(discord_text(terminal_hint))
    neutral = Reply(title="x", lines=[say("see ", cmd("watch", "list"))])
    assert "wirewatch watch list" in terminal_text(neutral)
    assert not TERMINAL_COMMAND.search(slack_text(neutral) + discord_text(neutral))


class _Nothing:
    def put(self, watch: object) -> None: ...

    def drop(self, watch_id: int) -> None: ...

    def sync(self, watches: list[WatchRecord]) -> None: ...
