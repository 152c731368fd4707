"""The Slack app manifest's command list, written from the command table.

`config/slack-manifest.yml` is pasted into Slack's "Create New App"; its `slash_commands:`
section is generated here (`wirewatch manifest --write` rewrites it in place, keeping the rest
of the file), and `tests/chat/test_slack_manifest.py` fails when the file and the table
disagree. Strings are written as JSON strings, which YAML reads as they are.
"""

from __future__ import annotations

import json
import re

from bot.commands.table import GROUPS, commands_of

__all__ = ["SlashCommand", "manifest_with_commands", "slash_commands", "slash_commands_yaml"]

_SECTION = re.compile(r"^  slash_commands:\n(?:    .*\n)*", re.MULTILINE)

SlashCommand = dict[str, object]


def slash_commands() -> list[SlashCommand]:
    """Each chat group as Slack declares it: command, description, usage hint, escaping."""
    out: list[SlashCommand] = []
    for group in GROUPS:
        if not group.on("slack"):
            continue
        subs = [c.name for c in commands_of(group.name) if c.on("slack") and c.name]
        description = f"{group.help} ({', '.join(subs)})" if subs else group.help
        out.append(
            {
                "command": f"/{group.name}",
                "description": description,
                "usage_hint": group.usage_hint,
                "should_escape": True,
            }
        )
    return out


def slash_commands_yaml() -> str:
    """The `slash_commands:` section of the manifest (under `features:`)."""
    lines = ["  slash_commands:"]
    for entry in slash_commands():
        lines.append(f"    - command: {entry['command']}")
        for key in ("description", "usage_hint"):
            lines.append(f"      {key}: {json.dumps(entry[key], ensure_ascii=False)}")
        lines.append(f"      should_escape: {json.dumps(entry['should_escape'])}")
    return "\n".join(lines) + "\n"


def manifest_with_commands(manifest: str) -> str:
    """`manifest` with its `slash_commands:` section replaced by the table's."""
    if _SECTION.search(manifest) is None:
        raise ValueError("the manifest has no `  slash_commands:` section under `features:`")
    return _SECTION.sub(lambda _: slash_commands_yaml(), manifest, count=1)
