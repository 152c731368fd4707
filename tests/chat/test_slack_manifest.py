"""config/slack-manifest.yml declares exactly the table's chat commands."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.chat.slack_manifest import manifest_with_commands, slash_commands_yaml
from bot.commands.table import GROUPS, commands_of

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yml"


def disagreements(manifest: str) -> list[str]:
    """Every way the manifest's command list differs from the table, read with a YAML parser."""
    declared = {
        entry["command"]: entry
        for entry in yaml.safe_load(manifest)["features"].get("slash_commands") or []
    }
    wanted = {f"/{g.name}": g for g in GROUPS if g.on("slack")}
    found = [f"{name} is not in the table" for name in declared.keys() - wanted.keys()]
    found += [f"{name} is missing from the manifest" for name in wanted.keys() - declared.keys()]
    for name in wanted.keys() & declared.keys():
        group, entry = wanted[name], declared[name]
        subs = [c.name for c in commands_of(group.name) if c.on("slack") and c.name]
        description = f"{group.help} ({', '.join(subs)})" if subs else group.help
        if entry.get("description") != description:
            found.append(f"{name}: description {entry.get('description')!r}, not {description!r}")
        if entry.get("usage_hint") != group.usage_hint:
            found.append(f"{name}: usage hint {entry.get('usage_hint')!r}")
        if entry.get("should_escape") is not True:
            found.append(f"{name}: should_escape must be true (channel mentions arrive escaped)")
    return found


def test_the_manifest_declares_exactly_the_tables_chat_commands() -> None:
    assert disagreements(MANIFEST.read_text(encoding="utf-8")) == []


def test_a_manifest_that_disagrees_with_the_table_is_caught() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert disagreements(text.replace("/news", "/lookup")) == [
        "/lookup is not in the table",
        "/news is missing from the manifest",
    ]
    stale = text.replace("add, list, remove, pause, resume, test", "add, list")
    assert disagreements(stale)[0].startswith("/watch: description")


def test_the_file_is_what_wirewatch_manifest_writes_and_only_its_section_changes() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert manifest_with_commands(text) == text
    rewritten = manifest_with_commands(text.replace("/news", "/lookup"))
    assert rewritten == text
    assert slash_commands_yaml() in text
    assert "socket_mode_enabled: true" in rewritten and "app_home_opened" in rewritten
