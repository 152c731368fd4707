"""The table's commands on the terminal: its own words, many rules at once, the config's rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from bot import cli


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "out", Console(file=None, width=200, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=200, force_terminal=False))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:///ww.db"\n')
    return path


def test_replies_name_the_terminals_commands_not_the_chats(config: Path, capsys) -> None:
    code, out, _ = run(["watch", "remove", "abc", "-c", str(config)], capsys)
    assert code == 1 and "abc is not a watch id" in out
    assert "wirewatch watch list shows" in out and "/watch" not in out
    code, out, _ = run(["-c", str(config), "watch", "list"], capsys)
    assert "Add one: wirewatch watch add [RULE ...] [--to DEST]" in out and "/watch" not in out
    code, out, _ = run(["-c", str(config), "sources", "remove", "9"], capsys)
    assert "wirewatch sources list shows the ids" in out and "/sources" not in out


def test_news_and_watch_test_run_on_the_terminal(config: Path, capsys) -> None:
    code, out, _ = run(
        ["-c", str(config), "news", "Algeria", "AND", "visa", "--since", "2d"], capsys
    )
    assert code == 0 and "0 items for algeria AND visa in the last 2d" in out
    code, out, _ = run(["-c", str(config), "watch", "test", "election or vote"], capsys)
    assert code == 1 and 'write OR, or quote "or"' in out


def test_watch_add_file_adds_every_rule_in_one_go_or_none(
    config: Path, tmp_path: Path, capsys
) -> None:
    rules = tmp_path / "rules.txt"
    rules.write_text("# desk rules\nAlgeria AND readmission\n\nTunisia\nelection or vote\n(Libya\n")
    code, out, _ = run(["-c", str(config), "watch", "add", "--file", str(rules)], capsys)
    assert code == 1 and "Nothing was added: 2 lines have mistakes" in out
    assert "line 5: lower-case" in out and "line 6:" in out
    code, out, _ = run(["-c", str(config), "watch", "list"], capsys)
    assert "0 watches" in out
    rules.write_text("# desk rules\nAlgeria AND readmission\n\nTunisia\n")
    argv = ["-c", str(config), "watch", "add", "--file", str(rules), "--digest", "hourly"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "2 watches added" in out and "Alerts go to console as a hourly" in out
    code, out, _ = run(argv, capsys)
    assert code == 0 and "0 watches added" in out and "2 already present" in out
    for argv, problem in (
        (["watch", "add", "x", "--file", str(rules)], "--file cannot be used with RULE"),
        (["watch", "add"], "give RULE or --file"),
    ):
        with pytest.raises(SystemExit) as stopped:
            cli.main(["-c", str(config), *argv])
        assert stopped.value.code == 2 and problem in capsys.readouterr().err
    code, _, err = run(["-c", str(config), "watch", "add", "--file", "missing.txt"], capsys)
    assert code == 2 and "cannot read missing.txt" in err


def test_the_config_files_watches_and_sources_show_before_the_bot_ever_ran(
    tmp_path: Path, capsys
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///ww.db"\n'
        '[[sources]]\nname = "Wire"\nurl = "https://wire.example/rss"\n'
        '[[watches]]\nquery = "Algeria"\n'
    )
    code, out, _ = run(["-c", str(config), "watch", "list"], capsys)
    assert code == 0 and "1 watch" in out and "Algeria" in out
    code, out, _ = run(["-c", str(config), "sources", "list"], capsys)
    assert code == 0 and "Wire" in out
    code, out, _ = run(["-c", str(config), "watch", "remove", "1"], capsys)
    assert code == 1 and "defined in the config file" in out
    assert "wirewatch watch pause 1" in out


def test_help_is_rich_and_every_command_is_there(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    for name in ("watch", "news", "sources", "run", "demo", "poll", "check", "db", "doctor"):
        assert f"\n    {name} " in shown
