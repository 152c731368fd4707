"""`wirewatch watch export` / `import`: TOML or JSON round-trips a team's watches, and a bad
file adds nothing and names every problem."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot import cli
from bot.app.build import App, build_app
from bot.commands.service import Caller
from bot.settings import Secrets, settings_from_dict
from tests.app.harness import Clock

OPS = Caller(platform="cli", user_id="ops", is_admin=True)
ALICE = Caller(platform="slack", user_id="UALICE", channel_id="CDESK", channel_name="desk")
BOB = Caller(platform="slack", user_id="UBOB", channel_id="COTHER")
NOW = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)


async def open_app(tmp_path: Path, name: str, watches: list[dict] | None = None) -> App:
    settings = settings_from_dict(
        {
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / name}"},
            "slack": {"admins": ["UADMIN"]},
            "watches": watches or [],
        },
        env={},
    )
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    app = await build_app(settings, Secrets({}), console=console, with_chat=False, clock=Clock(NOW))
    await app.sync_config()
    return app


async def fill(app: App) -> None:
    service = app.service
    first = await service.watch_add(ALICE, "Algeria AND readmission")
    assert (await service.watch_add(ALICE, "Tunisia", digest="weekly mon 08:00 Europe/Paris")).ok
    dm = Caller(platform="discord", user_id="140000000000000042", is_dm=True)
    assert (await service.watch_add(dm, '"climate summit"', digest="daily 18:00")).ok
    last = await service.watch_add(OPS, "élection OR vote", channel="jsonl:out/alerts.jsonl")
    assert (await service.watch_pause(ALICE, str(first.watches[0].id), until="for 2h")).ok
    assert (await service.watch_pause(OPS, str(last.watches[0].id))).ok


@pytest.mark.parametrize("fmt", ["toml", "json"])
async def test_export_then_import_into_a_fresh_database_round_trips(tmp_path, fmt):
    first = await open_app(tmp_path, "a.db", [{"query": "from the file", "to": "console"}])
    try:
        await fill(first)
        exported = await first.service.watch_export(OPS, fmt)
        assert exported.ok and exported.title == "4 watches exported"
        text = exported.code or ""
    finally:
        await first.aclose()
    data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    assert [w["query"] for w in data["watches"]] == [
        "Algeria AND readmission",
        "Tunisia",
        '"climate summit"',
        "élection OR vote",
    ]  # not the config file's watch
    assert data["watches"][0] == {
        "query": "Algeria AND readmission",
        "to": "slack:CDESK",
        "owner": "slack:UALICE",
        "label": "desk",
        "paused": "paused by slack:UALICE until 2026-11-23 12:20 UTC",
        "paused_until": "2026-11-23T12:20:00+00:00",
    }
    assert data["watches"][1]["mode"] == "weekly mon 08:00"
    assert data["watches"][1]["tz"] == "Europe/Paris"

    second = await open_app(tmp_path, "b.db")
    try:
        imported = await second.service.watch_import(OPS, text, fmt)
        assert imported.ok and imported.title == "Imported 4 watches", imported
        restored = await second.store.list_watches()
        assert [(w.owner, w.platform) for w in restored] == [
            ("slack:UALICE", "slack"),
            ("slack:UALICE", "slack"),
            ("discord:140000000000000042", "discord"),
            ("cli:ops", "cli"),
        ]
        assert restored[0].paused_until == NOW + timedelta(hours=2)
        assert len(second.index) == 2  # the two paused ones are not matched
        again = await second.service.watch_export(OPS, fmt)
        assert again.code == text
        twice = await second.service.watch_import(OPS, text, fmt)
        assert twice.title == "Imported 0 watches"
        assert twice.lines == ["4 already present (same rule, destination and mode)."]
        assert len(await second.store.list_watches()) == 4
    finally:
        await second.aclose()


async def test_a_file_with_mistakes_adds_nothing_and_names_each(tmp_path):
    app = await open_app(tmp_path, "a.db")
    try:
        text = """
[[watches]]
querry = "Algeria"

[[watches]]
query = "Tunisia"
mode = "daily 08:00"
tz = "Europe/Pariss"

[[watches]]
query = "election or vote"

[[watches]]
query = "ok"
to = "slak:C1"

[[watches]]
query = "fine"
paused_until = 2026-11-23T18:00:00
"""
        reply = await app.service.watch_import(OPS, text, "toml")
        assert not reply.ok and reply.title == "That file cannot be imported; nothing was added"
        shown = "\n".join(map(str, reply.lines))
        assert "watches[0].querry: unknown key; did you mean query?" in shown
        assert "watches[1].tz: unknown time zone 'Europe/Pariss'" in shown
        assert 'watches[2].query: lower-case "or" between words: write OR' in shown
        assert "watches[3].to: unknown destination 'slak:C1'" in shown
        assert "watches[4].paused_until: give a time zone" in shown
        assert await app.store.list_watches() == []
        broken = await app.service.watch_import(OPS, '{"watches": [', "json")
        assert not broken.ok and "not valid JSON" in broken.lines[0]
    finally:
        await app.aclose()


async def test_chat_users_export_what_they_see_and_only_admins_import(tmp_path):
    app = await open_app(tmp_path, "a.db")
    try:
        await fill(app)
        mine = await app.service.watch_export(BOB, "json")
        assert json.loads(mine.code or "") == {"watches": []}
        alice = await app.service.watch_export(ALICE, "json")
        assert len(json.loads(alice.code or "")["watches"]) == 2
        refused = await app.service.watch_import(ALICE, alice.code or "", "json")
        assert not refused.ok and refused.title == "Only Wirewatch admins can import watches"
    finally:
        await app.aclose()


def test_the_cli_exports_to_a_file_or_stdout_and_imports(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "out", Console(file=None, width=200, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=200, force_terminal=False))
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    one.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/one.db"\n')
    two.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/two.db"\n')
    assert cli.main(["-c", str(one), "watch", "add", "Algeria", "--digest", "hourly"]) == 0
    assert cli.main(["-c", str(one), "watch", "add", "Tunisia", "--to", "slack:C0123ABCD"]) == 0
    capsys.readouterr()
    assert cli.main(["-c", str(one), "watch", "export", str(tmp_path / "team.json")]) == 0
    assert "2 watches exported to" in capsys.readouterr().err
    data = json.loads((tmp_path / "team.json").read_text())
    assert [w["query"] for w in data["watches"]] == ["Algeria", "Tunisia"]
    assert cli.main(["-c", str(one), "watch", "export"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["watches"] == data["watches"]
    assert cli.main(["-c", str(two), "watch", "import", str(tmp_path / "team.json")]) == 0
    assert "Imported 2 watches" in capsys.readouterr().out
    assert cli.main(["-c", str(two), "watch", "export", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == data
    (tmp_path / "bad.toml").write_text('[[watches]]\nquery = "a"\ntz = "Nowhere/City"\n')
    assert cli.main(["-c", str(two), "watch", "import", str(tmp_path / "bad.toml")]) == 1
    assert "watches[0].tz: unknown time zone 'Nowhere/City'" in capsys.readouterr().out
