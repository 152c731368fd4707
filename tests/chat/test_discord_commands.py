"""Discord's command tree is the table's: each chat command, each option, its help and limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot.chat.discord_bot import DiscordAdapter
from bot.commands.spec import ArgType, Command
from bot.commands.table import COMMANDS, group
from bot.settings import DiscordSettings, Secrets

DISCORD = [c for c in COMMANDS if c.on("discord")]
AUTOCOMPLETED = {ArgType.WATCH_ID, ArgType.SOURCE_ID, ArgType.DIGEST, ArgType.KIND}
MANAGE_CHANNELS = 1 << 4


@pytest.fixture(scope="module")
def synced() -> dict[str, dict[str, Any]]:
    """What the adapter would sync: each top-level command's payload, by name."""
    adapter = DiscordAdapter(DiscordSettings(enabled=True), Secrets({}), None)  # type: ignore[arg-type]
    return {c.name: c.to_dict(adapter.tree) for c in adapter.tree.get_commands()}


def _payload(synced: dict[str, dict[str, Any]], command: Command) -> dict[str, Any]:
    top = synced[command.group]
    if not command.name:
        return top
    (sub,) = [o for o in top["options"] if o["name"] == command.name]
    return sub


def test_the_tree_has_exactly_the_tables_chat_groups(synced: dict[str, dict[str, Any]]) -> None:
    assert set(synced) == {c.group for c in DISCORD}
    assert int(synced["watch"]["default_member_permissions"]) == MANAGE_CHANNELS
    assert synced["sources"]["default_member_permissions"] is None
    for name, payload in synced.items():
        assert payload["description"] == group(name).help or not payload.get("options")
        assert payload["contexts"] == [0, 1]  # servers and DMs with the bot


@pytest.mark.parametrize("command", DISCORD, ids=lambda c: c.path)
def test_each_command_has_the_tables_options(
    synced: dict[str, dict[str, Any]], command: Command
) -> None:
    payload = _payload(synced, command)
    assert payload["description"] == command.help
    options = {o["name"]: o for o in payload.get("options", [])}
    assert list(options) == [
        a.name for a in sorted(command.args_on("discord"), key=lambda a: not a.required)
    ]
    for arg in command.args_on("discord"):
        option = options[arg.name]
        assert option["description"] == arg.help
        assert option.get("required", False) == arg.required
        assert option.get("autocomplete", False) == (arg.type in AUTOCOMPLETED)
        if arg.type is ArgType.CHANNEL:
            assert option["type"] == 7
        else:
            assert (option["type"], option["max_length"]) == (3, arg.max_length)
