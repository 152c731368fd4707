"""On SQLite one `wirewatch run` only: a second is refused in one line; other commands still work."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from rich.console import Console

from bot import cli
from bot.store import DatabaseProblem
from bot.store.leader_lock import SqliteRunLock


def write_config(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "ww.db"
    config = tmp_path / "wirewatch.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n')
    return config, db


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    monkeypatch.setattr(cli, "out", Console(file=None, width=300, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=300, force_terminal=False))


async def test_the_run_lock_is_exclusive_and_names_its_holder(tmp_path):
    first, second = SqliteRunLock(str(tmp_path / "a.db")), SqliteRunLock(str(tmp_path / "a.db"))
    assert await first.try_acquire() and await first.check()
    with pytest.raises(DatabaseProblem) as refused:
        await second.try_acquire()
    assert refused.value.kind == "busy"
    assert f"(pid {os.getpid()})" in refused.value.message
    await first.release()
    assert await second.try_acquire()  # free again once released (or its process died)
    await second.release()


def test_a_second_run_on_sqlite_is_refused_but_commands_work(tmp_path, capsys):
    config, db = write_config(tmp_path)
    holder = SqliteRunLock(str(db))  # a `wirewatch run` already holds the file
    assert asyncio.run(holder.try_acquire())
    try:
        code = cli.main(["run", "--config", str(config)])
        err = capsys.readouterr().err
        assert code == 1
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[-1].startswith("database: another `wirewatch run`")
        assert str(db) in err and "PostgreSQL" in err and "Traceback" not in err
        code = cli.main(["watch", "add", "Algeria", "--config", str(config)])
        assert code == 0, capsys.readouterr()
        capsys.readouterr()
        assert cli.main(["watch", "list", "--config", str(config)]) == 0
        assert "Algeria" in capsys.readouterr().out
    finally:
        asyncio.run(holder.release())
