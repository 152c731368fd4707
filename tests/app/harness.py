"""A real Wirewatch app on a temporary SQLite file, a loopback feed server and a JSONL output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.app.build import App, build_app
from bot.app.pipeline import PollReport
from bot.settings import Secrets, settings_from_dict
from tests.fakes.feed_server import FeedServer

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """Drives one poll/deliver cycle at a time, with the clock under the test's control."""

    app: App
    feeds: FeedServer
    jsonl: Path
    clock: Clock
    console: Console
    extra: dict[str, Any] = field(default_factory=dict)

    async def poll(self) -> list[PollReport]:
        """Poll every enabled source once."""
        sources = [s for s in await self.app.store.list_sources() if s.enabled]
        return await self.app.pipeline.poll_sources(sources)

    async def deliver(self) -> int:
        """Send everything that is due."""
        return await self.app.relay.drain()

    def records(self) -> list[dict[str, Any]]:
        """The JSONL output, parsed."""
        if not self.jsonl.exists():
            return []
        return [json.loads(line) for line in self.jsonl.read_text().splitlines() if line]


def make_settings(
    db: Path,
    jsonl: Path,
    sources: list[tuple[str, str]],
    watches: list[str],
    **sections: dict[str, Any],
):
    data: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{db}"},
        "poll": {"interval": "5m", "adaptive": False, "jitter": 0.0},
        "fetch": {"allow_hosts": ["127.0.0.1"]},
        "sources": [{"name": n, "url": u} for n, u in sources],
        "watches": [{"query": q, "to": f"jsonl:{jsonl}"} for q in watches],
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return settings_from_dict(data, source="test", env={})


async def open_harness(
    tmp_path: Path,
    feeds: FeedServer,
    sources: list[tuple[str, str]],
    watches: list[str],
    *,
    clock: Clock | None = None,
    warm: bool = True,
    **sections: dict[str, Any],
) -> Harness:
    """Build the app and sync its config (sources and watches); fill the story index unless
    `warm` is False (the test does it)."""
    jsonl = tmp_path / "alerts.jsonl"
    settings = make_settings(tmp_path / "ww.db", jsonl, sources, watches, **sections)
    clock = clock or Clock()
    console = Console(record=True, width=120, file=open("/dev/null", "w"))  # noqa: SIM115
    app = await build_app(settings, Secrets({}), console=console, with_chat=False, clock=clock)
    await app.sync_config()
    if warm:
        await app.warm_clusters()
    return Harness(app, feeds, jsonl, clock, console)


def story(
    n: int,
    title: str,
    description: str = "",
    *,
    guid: str | None = "auto",
    link: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """One RSS item for the feed server's builder."""
    return {
        "title": title,
        "link": link if link is not None else f"https://news.example/{n}",
        "guid": f"item-{n}" if guid == "auto" else guid,
        "description": description or f"{title}. More details follow in the story.",
        "pubDate": when or START - timedelta(hours=1) + timedelta(minutes=n),
    }
