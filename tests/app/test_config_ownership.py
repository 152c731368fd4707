"""The config file owns its sources and watches: chat and the CLI cannot remove them (the
refusal names the file and line), restarts never bring anything back under a new id, and what
leaves the file leaves the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bot import cli
from bot.app.build import App, build_app
from bot.commands.service import Caller
from bot.settings import Secrets, load_settings
from tests.app.harness import Clock

OPS = Caller(platform="cli", user_id="ops", is_admin=True)
ADMIN = Caller(platform="slack", user_id="UADMIN", channel_id="CDESK", is_admin=True)

CONFIG = """\
[database]
url = "sqlite+aiosqlite:///ww.db"

[[sources]]
name = "Wire"
url = "https://wire.example/rss"
interval = "10m"

[[sources]]
name = "Other"
url = "https://other.example/rss"

[[watches]]
query = "Algeria AND readmission"
to = "console"

[[watches]]
# the desk's second rule
query = "election OR vote"
to = "console"
mode = "hourly"
"""


async def start(config: Path, clock: Clock | None = None) -> App:
    """What `wirewatch run` does first: load the file, build, follow the file."""
    settings = load_settings(config, env={})
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    app = await build_app(
        settings, Secrets({}), console=console, with_chat=False, clock=clock or Clock()
    )
    await app.sync_config()
    return app


async def snapshot(app: App) -> tuple[list[tuple[int, str]], list[tuple[int, str, bool]]]:
    sources = [(s.id, s.url) for s in await app.store.list_sources()]
    watches = [(w.id, w.query, w.paused) for w in await app.store.list_watches()]
    return sources, watches


async def test_removing_a_config_watch_or_source_is_refused_naming_the_file_and_line(tmp_path):
    config = tmp_path / "wirewatch.toml"
    config.write_text(CONFIG)
    app = await start(config)
    try:
        (wire, _other) = await app.store.list_sources()
        (_first, second) = await app.store.list_watches()
        for caller in (OPS, ADMIN):
            refused = await app.service.watch_remove(caller, str(second.id))
            assert (
                not refused.ok
                and refused.title == f"Watch #{second.id} is defined in the config file"
            )
            text = " ".join(map(str, refused.lines))
            assert f"[[watches]] entry in {config}, line 19" in text  # its query = line
            assert f"/watch pause {second.id}" in text
        refused = await app.service.run_text(ADMIN, "/sources", f"remove {wire.id}")
        assert refused.title == f"Source #{wire.id} is defined in the config file"
        assert f"[[sources]] entry in {config}, line 6" in " ".join(map(str, refused.lines))
        assert len(await app.store.list_watches()) == 2
        assert len(await app.store.list_sources()) == 2
    finally:
        await app.aclose()


async def test_config_rows_survive_restarts_with_the_same_ids_and_their_pause(tmp_path):
    config = tmp_path / "wirewatch.toml"
    config.write_text(CONFIG)
    app = await start(config)
    try:
        first_watch = (await app.store.list_watches())[0]
        await app.service.watch_remove(OPS, str(first_watch.id))  # refused
        paused = await app.service.watch_pause(OPS, str(first_watch.id))
        assert paused.ok
        chat = await app.service.watch_add(ADMIN, "Tunisia")
        before = await snapshot(app)
    finally:
        await app.aclose()
    for _ in range(3):
        app = await start(config)
        try:
            assert await snapshot(app) == before
            assert app.index.query_of(first_watch.id) is None  # paused: not matched
        finally:
            await app.aclose()
    assert chat.watches[0].id in [w[0] for w in before[1]]


async def test_what_leaves_the_file_leaves_the_database_and_its_id_is_never_reused(tmp_path):
    config = tmp_path / "wirewatch.toml"
    config.write_text(CONFIG)
    app = await start(config)
    try:
        (sources, watches) = await snapshot(app)
    finally:
        await app.aclose()
    config.write_text(
        CONFIG.split("[[watches]]\n# the desk")[0].replace(
            '[[sources]]\nname = "Other"\nurl = "https://other.example/rss"\n\n', ""
        )
    )
    app = await start(config)
    try:
        assert await snapshot(app) == (sources[:1], watches[:1])
        added = await app.service.watch_add(ADMIN, "Tunisia")
        assert added.watches[0].id > max(w[0] for w in watches)
        removed = await app.service.watch_remove(ADMIN, str(added.watches[0].id))
        assert removed.ok  # what chat added, chat removes
    finally:
        await app.aclose()


async def test_the_file_takes_over_a_source_it_lists_and_a_shorter_interval_applies_at_once(
    tmp_path,
):
    config = tmp_path / "wirewatch.toml"
    config.write_text('[database]\nurl = "sqlite+aiosqlite:///ww.db"\n')
    clock = Clock()
    app = await start(config, clock)
    try:
        await app.store.add_source("Wire (chat)", "https://wire.example/rss", owner="slack:U1")
        await app.store.update_source(1, next_poll_at=clock.now + timedelta(hours=6))
    finally:
        await app.aclose()
    config.write_text(CONFIG)
    app = await start(config, clock)
    try:
        wire = await app.store.get_source(1)
        assert wire is not None
        assert (wire.name, wire.owner, wire.interval_s) == ("Wire", "config", 600)
        assert wire.next_poll_at == clock.now + timedelta(minutes=10)
        assert wire.next_poll_reason == "interval 10m (config)"
        refused = await app.service.sources_remove(OPS, "1")
        assert not refused.ok
    finally:
        await app.aclose()


def test_the_cli_refuses_too_with_exit_1(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "out", Console(file=None, width=200, force_terminal=False))
    config = tmp_path / "wirewatch.toml"
    config.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)

    async def run_once() -> None:  # what `wirewatch run` does at start, without polling
        app = await start(config)
        await app.aclose()

    asyncio.run(run_once())
    code = cli.main(["-c", str(config), "watch", "remove", "2"])
    out = capsys.readouterr().out
    assert code == 1 and "Watch #2 is defined in the config file" in out
    assert "line 19" in out
    code = cli.main(["-c", str(config), "sources", "remove", "1"])
    assert code == 1 and "line 6" in capsys.readouterr().out


async def test_config_watches_are_inserted_in_slices_in_file_order(tmp_path, monkeypatch):
    # 100,000 config watches inserted by one statement returned 100,000 records at once: the
    # bot's peak RSS at start. In slices, the ids still follow the file.
    from bot.app import config_sync
    from bot.store.transaction import StoreTransaction

    monkeypatch.setattr(config_sync, "WATCH_SLICE", 2)
    sizes: list[int] = []
    insert = StoreTransaction.add_watches

    async def counted(self, new, *, now):
        sizes.append(len(new))
        return await insert(self, new, now=now)

    monkeypatch.setattr(StoreTransaction, "add_watches", counted)
    rules = [f"rule{n}" for n in range(5)]
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///ww.db"\n\n'
        + "".join(f'[[watches]]\nquery = "{rule}"\nto = "console"\n\n' for rule in rules),
        encoding="utf-8",
    )
    app = await start(config)
    try:
        _sources, watches = await snapshot(app)
        assert sizes == [2, 2, 1]
        assert [query for _id, query, _paused in watches] == rules
        assert [i for i, _q, _p in watches] == sorted(i for i, _q, _p in watches)
        assert len(app.index) == 5
    finally:
        await app.aclose()
