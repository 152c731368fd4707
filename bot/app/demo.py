"""`wirewatch demo`: the whole product offline, through the real scheduler, store and relay.

Bundled sample feeds are served on a loopback port. The first poll records them as a baseline
(no alerts, as in production); then new stories are published, the next polls pick them up, and the
matching alerts print on the console. A temporary SQLite file is used unless `--db` names one.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from bot.app.build import App, build_app
from bot.app.runtime import BotRuntime
from bot.demo.feeds import DemoFeeds
from bot.settings import Secrets, settings_from_dict

__all__ = ["DEMO_WATCHES", "run_demo"]

DEMO_WATCHES = (
    "Algeria AND readmission",
    '"coopération sécuritaire" OR (Algérie AND ressortissant*)',
    "(election OR vote) AND NOT poll*",
    'title:(chip* OR semiconductor*) AND NOT source:"Gulf Observer"',
)
DEADLINE_S = 25.0


async def _wait_for(
    condition: Callable[[], Awaitable[bool]], within: float, step: float = 0.2
) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if await condition():
            return True
        await asyncio.sleep(step)
    return False


async def run_demo(
    console: Console, *, database: str | None = None, interval_s: float = 2.0
) -> int:
    """Run the demo; return the exit code (0 when the expected alerts were delivered)."""
    bot_log = logging.getLogger("bot")
    level = bot_log.level
    bot_log.setLevel(logging.ERROR)  # the demo prints alerts, not the bot's own log lines
    try:
        return await _run_demo(console, database=database, interval_s=interval_s)
    finally:
        bot_log.setLevel(level)


async def _run_demo(console: Console, *, database: str | None, interval_s: float) -> int:
    exists: bool = bool(database) and await asyncio.to_thread(Path(database or ".").exists)
    if exists:
        console.print(
            Text(
                f"{database} already exists: the demo needs a new database (its stories would "
                "all be seen already). Give a new path or delete the file.",
                style="red",
            )
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="wirewatch-demo-") as tmp:
        db_path = Path(database) if database else Path(tmp) / "demo.db"
        async with DemoFeeds() as feeds:
            sources = feeds.sources()
            settings = settings_from_dict(
                {
                    "database": {"url": f"sqlite+aiosqlite:///{db_path}"},
                    "poll": {
                        "interval": f"{interval_s}s",
                        "min_interval": "1s",
                        "adaptive": False,
                        "jitter": 0.0,
                    },
                    "fetch": {"allow_hosts": ["127.0.0.1"]},
                    "sources": [
                        {"name": name, "url": url, "interval": f"{interval_s}s"}
                        for name, url in sources
                    ],
                    "watches": [{"query": q, "to": "console"} for q in DEMO_WATCHES],
                },
                source="demo",
                env={},
            )
            app = await build_app(settings, Secrets({}), console=console, with_chat=False)
            runtime = BotRuntime(app)
            console.print(Rule("Wirewatch demo"))
            console.print(f"Serving {len(sources)} sample feeds on loopback; watches:")
            for query in DEMO_WATCHES:
                console.print(Text(f"  • {query}"))
            task = asyncio.create_task(runtime.run())
            try:
                return await _script(console, app, runtime, feeds, len(sources))
            finally:
                runtime.stop.set()
                await task
                await app.aclose()


async def _script(
    console: Console,
    app: App,
    runtime: BotRuntime,
    feeds: DemoFeeds,
    n_sources: int,
) -> int:
    async def baseline_done() -> bool:
        listed = await app.store.list_sources()
        return len(listed) == n_sources and all(s.baseline_done for s in listed)

    if not await _wait_for(baseline_done, DEADLINE_S / 2):
        console.print(Text("the first poll did not complete in time", style="red"))
        return 1
    counts = await app.store.counts()
    console.print(
        f"First poll: {counts.get('items', 0)} items recorded as the baseline "
        "(no alerts for what was already there)."
    )
    console.print(Rule("New stories are published"))
    polls_before = runtime.polls
    feeds.advance()

    async def delivered() -> bool:
        if runtime.polls < polls_before + n_sources:
            return False
        pending = (await app.store.counts()).get("pending", 0)
        return pending == 0

    ok = await _wait_for(delivered, DEADLINE_S / 2)
    await asyncio.sleep(0.3)
    sent = [d for d in await app.store.list_deliveries() if d.status in {"sent", "folded"}]
    alerts = sum(1 for d in sent if d.kind == "alert")
    updates = sum(1 for d in sent if d.kind == "update")
    console.print(Rule("Done"))
    console.print(
        f"{alerts} alerts and {updates} story updates delivered; "
        "the same story from other outlets updated its alert instead of posting again."
    )
    return 0 if ok and alerts else 1
