"""`wirewatch doctor` tries each output as the bot will: JSONL files are opened for appending,
Slack and Discord are asked as the bot (against the local fakes of their APIs)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot.app.doctor import run_doctor
from bot.app.output_probes import probe_jsonl
from bot.store import Store
from tests.fakes.discord_api import CHANNEL_ID, USER_ID, FakeDiscord
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack


async def doctor(tmp_path: Path, body: str) -> tuple[int, str]:
    """Run doctor on a config whose database is migrated; return its exit code and output."""
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/ww.db"\n{body}')
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/ww.db")
    await store.close()
    buffer = io.StringIO()
    code = await run_doctor(Console(file=buffer, width=400), str(config))
    return code, buffer.getvalue()


def line_of(out: str, what: str) -> str:
    (line,) = [line for line in out.splitlines() if f" {what} " in f"{line} "]
    return line


async def test_a_jsonl_output_is_really_opened_for_appending(tmp_path):
    existing = tmp_path / "old.jsonl"
    existing.write_text('{"delivery_id": 1}\n')
    new = tmp_path / "new" / "deep" / "alerts.jsonl"
    (tmp_path / "adir.jsonl").mkdir()
    code, out = await doctor(
        tmp_path,
        f'[[watches]]\nquery = "a"\nto = "jsonl:/proc/nope/x.jsonl"\n'
        f'[[watches]]\nquery = "b"\nto = "jsonl:{existing}"\n'
        f'[[watches]]\nquery = "c"\nto = "jsonl:{new}"\n'
        f'[[watches]]\nquery = "d"\nto = "jsonl:{tmp_path}/adir.jsonl"\n',
    )
    assert code == 1
    assert "FAIL  jsonl:/proc/nope/x.jsonl  cannot append to /proc/nope/x.jsonl" in out
    assert f"ok    jsonl:{existing}  can append to {existing}" in out
    assert f"ok    jsonl:{new}  can append to {new}" in out
    assert "FAIL  jsonl:" in line_of(out, f"jsonl:{tmp_path}/adir.jsonl")
    assert existing.read_text() == '{"delivery_id": 1}\n'
    assert not (tmp_path / "new").exists()  # made only for the check: removed again


def test_probe_jsonl_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    import os

    os.mkfifo(fifo)
    finding = probe_jsonl(f"jsonl:{fifo}", fifo)
    assert finding.level == "fail" and "cannot append" in finding.detail


async def test_slack_is_asked_as_the_bot_for_each_channel(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    async with FakeSlack() as fake:
        fake.channels["C0123ABCD"] = []
        fake.channels["COUTSIDE1"] = []
        fake.outside.add("COUTSIDE1")
        code, out = await doctor(
            tmp_path,
            f'[slack]\nenabled = true\napi_url = "{fake.api_url}"\n'
            '[[watches]]\nquery = "a"\nto = "slack:C0123ABCD"\n'
            '[[watches]]\nquery = "b"\nto = "slack:COUTSIDE1"\n'
            '[[watches]]\nquery = "c"\nto = "slack:CGONE0001"\n'
            '[[watches]]\nquery = "d"\nto = "slack:@U0001"\n',
        )
        assert [c.method for c in fake.calls_made if c.method.startswith("chat.")] == []
    assert code == 1
    assert "ok    slack  connected as" in out
    assert "ok    slack:C0123ABCD  the bot is in the channel" in out
    assert "FAIL  slack:COUTSIDE1  the bot is not in the channel: type /invite @Wirewatch" in out
    assert "FAIL  slack:CGONE0001  no such channel, or a private one" in out
    assert "ok    slack:@U0001  can open a direct message" in out


async def test_a_refused_slack_token_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    async with FakeSlack() as fake:
        code, out = await doctor(tmp_path, f'[slack]\nenabled = true\napi_url = "{fake.api_url}"\n')
    assert code == 1 and "FAIL  slack  auth.test failed: invalid_auth" in out


async def test_discord_is_asked_as_the_bot_for_each_channel(tmp_path, monkeypatch):
    async with FakeDiscord() as fake:
        monkeypatch.setenv("DISCORD_BOT_TOKEN", fake.token)
        hidden = "1299999999999999999"  # sorted first: the scripted 403 is for it
        fake.add_channel(hidden, name="secret")
        fake.fail_next("GET /channels/{channel}", 403, code=50001)
        fake.add_channel("1300000000000000004", name="voice", kind=2)
        code, out = await doctor(
            tmp_path,
            f'[discord]\nenabled = true\napi_url = "{fake.api_url}"\n'
            f'[[watches]]\nquery = "a"\nto = "discord:{hidden}"\n'
            f'[[watches]]\nquery = "b"\nto = "discord:{CHANNEL_ID}"\n'
            '[[watches]]\nquery = "c"\nto = "discord:1300000000000000099"\n'
            '[[watches]]\nquery = "d"\nto = "discord:1300000000000000004"\n'
            f'[[watches]]\nquery = "e"\nto = "discord:@{USER_ID}"\n',
        )
        assert fake.posts() == []
    assert code == 1
    assert "ok    discord  connected as" in out
    assert f"FAIL  discord:{hidden}  the bot cannot see this channel" in out
    assert f"ok    discord:{CHANNEL_ID}  the bot sees #news-desk" in out
    assert "FAIL  discord:1300000000000000099  no such channel (deleted, or a wrong id)" in out
    assert "FAIL  discord:1300000000000000004  #voice is not a text channel or thread" in out
    assert f"ok    discord:@{USER_ID}  can open a direct message" in out


@pytest.mark.parametrize("token", ["wrong-token"])
async def test_a_refused_discord_token_is_named(tmp_path, monkeypatch, token):
    monkeypatch.setenv("DISCORD_BOT_TOKEN", token)
    async with FakeDiscord() as fake:
        code, out = await doctor(
            tmp_path, f'[discord]\nenabled = true\napi_url = "{fake.api_url}"\n'
        )
    assert code == 1 and "FAIL  discord  GET /users/@me answered 401: check the token" in out
