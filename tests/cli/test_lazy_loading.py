"""The terminal's database commands load the database and the rule language, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import Store

# Libraries a `watch add`, `watch list`, `sources list` (or `news`, `watch test`) has no use
# for: the HTTP client, the chat platforms, the scheduler, clustering and article extraction,
# feed parsing, and Alembic (the database is at the newest schema).
NOT_NEEDED = {
    "aiohttp",
    "alembic",
    "apscheduler",
    "charset_normalizer",
    "discord",
    "feedparser",
    "httpcore",
    "httpx",
    "numpy",
    "slack_bolt",
    "slack_sdk",
    "trafilatura",
    "trio",
}
OUR_NOT_NEEDED = ("bot.chat", "bot.web", "bot.app.build", "bot.app.runtime", "bot.core.cluster")


@pytest.fixture
async def config(tmp_path: Path) -> Path:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'ww.db'}")
    await store.close()
    path = tmp_path / "c.toml"
    path.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///ww.db"\n'
        '[[sources]]\nname = "Wire"\nurl = "https://wire.example/rss"\n'
        '[[watches]]\nquery = "Algeria"\n',
        encoding="utf-8",
    )
    return path


def test_watch_and_sources_commands_load_no_chat_http_or_clustering_module(
    config: Path, tmp_path: Path
) -> None:
    # One process runs the three commands in turn: modules only accumulate, so what is
    # loaded at the end is what any of them needed.
    script = (
        "import json, sys\n"
        "from bot.cli import main\n"
        f"config = {str(config)!r}\n"
        "codes = [main(['-c', config, 'sources', 'list']), main(['-c', config, 'watch', 'list']),"
        " main(['watch', 'add', 'Tunisia AND visa', '-c', config]),"
        " main(['-c', config, 'news', 'Algeria']), main(['-c', config, 'watch', 'test', 'visa'])]\n"
        f"with open({str(tmp_path / 'loaded.json')!r}, 'w') as out:\n"
        "    json.dump({'codes': codes, 'modules': sorted(sys.modules)}, out)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads((tmp_path / "loaded.json").read_text())
    assert loaded["codes"] == [0, 0, 0, 0, 0]
    assert "Tunisia AND visa" in done.stdout and "Wire" in done.stdout
    modules: list[str] = loaded["modules"]
    assert {"sqlalchemy", "bot.store", "bot.core.query"} <= set(modules)
    assert sorted({m.split(".")[0] for m in modules} & NOT_NEEDED) == []
    assert [m for m in modules if m.startswith(OUR_NOT_NEEDED)] == []


def test_the_bot_without_its_web_server_loads_no_web_framework() -> None:
    # `wirewatch run` with [web] off (and no Slack HTTP mode) has no use for aiohttp: about
    # 0.15 s of CPU at every start. Its modules, the composition root and the runtime, load it
    # only when the server starts.
    script = (
        "import sys\n"
        "import bot.cli.operator, bot.app.build, bot.app.runtime, bot.settings\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiohttp'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_numpy_loads_with_the_first_item_fingerprinted_not_at_start() -> None:
    # About 0.14 s of CPU: a start builds the story index empty, and numpy is first needed for
    # an item's MinHash bands (a new item, or an archived one when the index is filled).
    script = (
        "import sys\n"
        "from datetime import timedelta\n"
        "import bot.cli.operator, bot.app.build, bot.app.runtime\n"
        "from bot.core.cluster import StoryClusters\n"
        "from bot.core.item import Item\n"
        "clusters = StoryClusters(window=timedelta(hours=48))\n"
        "print('numpy' in sys.modules)\n"
        "clusters.fingerprint(Item(title='Storm closes the port of Algiers', url='https://a.example/1'))\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "True"], done.stderr
