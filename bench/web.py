"""Benchmark the web console's pages at 10,000 watches and 1,000 sources.

Fills a database with `--sources` sources (a day of polls each, every 5 minutes: 288,000
poll rows at 1,000 sources, one in ten failing), `--watches` watches, 50,000 archived items
and `--alerts` deliveries spread over the last 14 days, then serves the console on 127.0.0.1
and times each page as a signed-in admin (the widest view: every watch) with real HTTP
requests, `--runs` times each. Prints median and 95th percentile per page.

    uv run python bench/web.py                       # SQLite in a temporary directory
    uv run python bench/web.py --db postgresql       # a scratch database on
                                                     # WIREWATCH_TEST_DATABASE_URL's server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import sqlalchemy as sa

# The bot package, not bench/bot.py (this script's folder comes first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pg_scratch import scratch_database  # bench/, the script's folder

from bot.app.build import build_app
from bot.settings import Secrets, settings_from_dict
from bot.store.records import NewSource, NewWatch
from bot.store.schema import deliveries, items, source_polls
from bot.web import Readiness, WebServer, build_web_app

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TOKEN = "bench-token"
WORDS = [
    "Algeria",
    "France",
    "readmission",
    "election",
    "Sahel",
    "junta",
    "Tunisia",
    "budget",
    "Morocco",
    "phosphate",
]


async def fill(app: Any, n_sources: int, n_watches: int, n_alerts: int, n_items: int) -> None:
    """Sources, watches, a day of polls, items and alerts, in bulk."""
    rng = random.Random(7)
    store = app.store
    async with store.transaction() as tx:
        await tx.add_sources(
            [NewSource(f"Source {i}", f"https://s{i}.example/rss") for i in range(n_sources)],
            now=NOW,
        )
        await tx.add_watches(
            [
                NewWatch(
                    f"{rng.choice(WORDS)} AND {rng.choice(WORDS)}",
                    f"slack:C{i % 300:06d}",
                    owner=f"slack:U{i % 2000:05d}",
                    platform="slack",
                )
                for i in range(n_watches)
            ],
            now=NOW,
        )
    engine = store._engine
    async with engine.begin() as conn:
        polls = []
        for sid in range(1, n_sources + 1):
            failing = sid % 10 == 0
            for k in range(288):
                polls.append(
                    {
                        "source_id": sid,
                        "polled_at": NOW - timedelta(minutes=5 * k),
                        "ok": not failing,
                        "status": "HTTP 503" if failing else "200 OK",
                        "error": "the server answered 503" if failing else "",
                        "new_items": 0 if failing else k % 3,
                    }
                )
        for start in range(0, len(polls), 20_000):
            await conn.execute(sa.insert(source_polls), polls[start : start + 20_000])
        await conn.execute(
            sa.text(
                "UPDATE sources SET consecutive_failures = 3, last_status = 'HTTP 503', "
                "last_error = 'the server answered 503', last_polled_at = :t, next_poll_at = :n "
                "WHERE id % 10 = 0"
            ),
            {
                "t": NOW.replace(tzinfo=None),
                "n": (NOW + timedelta(minutes=20)).replace(tzinfo=None),
            },
        )
        rows = []
        for i in range(n_items):
            when = NOW - timedelta(seconds=rng.randrange(14 * 86400))
            title = f"{rng.choice(WORDS)} {rng.choice(WORDS)} story {i}"
            rows.append(
                {
                    "source_id": 1 + i % n_sources,
                    "key": f"k{i}",
                    "title": title,
                    "summary": f"{title}. Officials said talks would continue.",
                    "content": "",
                    "url": f"https://s.example/{i}",
                    "source": f"Source {i % n_sources}",
                    "author": "",
                    "lang": "en",
                    "tags": [],
                    "guid": f"g{i}",
                    "fetched_at": when,
                    "sort_at": when,
                    "search_text": title.lower(),
                }
            )
        for start in range(0, len(rows), 10_000):
            await conn.execute(sa.insert(items), rows[start : start + 10_000])
        pairs = set()
        while len(pairs) < n_alerts:
            pairs.add((1 + rng.randrange(n_watches), 1 + rng.randrange(n_items)))
        alerts = [
            {
                "watch_id": w,
                "item_id": it,
                "kind": "alert",
                "status": "sent",
                "attempts": 1,
                "error": "",
                "payload": {},
                "created_at": NOW - timedelta(seconds=rng.randrange(14 * 86400)),
                "sent_at": NOW,
            }
            for w, it in sorted(pairs)
        ]
        for start in range(0, len(alerts), 20_000):
            await conn.execute(sa.insert(deliveries), alerts[start : start + 20_000])


async def measure(url: str, runs: int) -> list[tuple[str, float, float]]:
    """Sign in, then time each page `runs` times; (page, median ms, p95 ms)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{url}/signin") as answer:
            csrf = (await answer.text()).split('name="csrf" value="')[1].split('"')[0]
        async with http.post(f"{url}/signin", data={"csrf": csrf, "token": TOKEN}) as answer:
            page = await answer.text()
            csrf = page.split('name="csrf" value="')[1].split('"')[0]
        pages: list[tuple[str, str, dict[str, str] | None]] = [
            ("dashboard", "/", None),
            ("dashboard, page 100", "/?page=100", None),
            ("dashboard, rule search", "/?q=Sahel", None),
            ("watch page", "/watches/5000", None),
            ("watch 7-day preview", "/watches/5000/preview", None),
            ("sources, page 1", "/sources", None),
            ("sources, page 10", "/sources?page=10", None),
            ("source history", "/sources/10", None),
            ("add-watch form", "/watches/new", None),
            ("live rule check", "/rules/check", {"query": "Algeria AND readmission"}),
            ("rule tester (text)", "/test", {"query": "Algeria", "text": "Algeria " * 200}),
        ]
        out = []
        for name, path, form in pages:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                if form is None:
                    async with http.get(url + path) as answer:
                        await answer.read()
                        assert answer.status == 200, (path, answer.status)
                else:
                    async with http.post(url + path, data={"csrf": csrf, **form}) as answer:
                        await answer.read()
                        assert answer.status == 200, (path, answer.status)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            out.append((name, statistics.median(times), p95))
        return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("WIREWATCH_TEST_DATABASE_URL", ""),
        help="a PostgreSQL URL whose user may create databases (default: "
        "$WIREWATCH_TEST_DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.db == "postgresql" and not args.pg_url:
        parser.error("--db postgresql needs --pg-url or WIREWATCH_TEST_DATABASE_URL")
    async with contextlib.AsyncExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        if args.db == "postgresql":
            url = await stack.enter_async_context(
                scratch_database(args.pg_url, f"wirewatch_bench_web_{os.getpid()}")
            )
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'web.db'}"
        settings = settings_from_dict(
            {"database": {"url": url}, "web": {"enabled": True, "port": 0}}, env={}
        )
        secrets = Secrets({"WIREWATCH_WEB_TOKEN": TOKEN, "WIREWATCH_WEB_SECRET": "x" * 32})
        app = await build_app(settings, secrets, with_chat=False, clock=lambda: NOW)
        try:
            started = time.perf_counter()
            await fill(app, args.sources, args.watches, args.alerts, args.items)
            filled = time.perf_counter() - started
            http = httpx.AsyncClient()
            web_app = build_web_app(
                settings, secrets, app.service, app.store, Readiness(), http=http, clock=lambda: NOW
            )
            server = WebServer(web_app, host="127.0.0.1", port=0)
            await server.start()
            try:
                results = await measure(server.url, args.runs)
            finally:
                await server.stop()
                await http.aclose()
        finally:
            await app.aclose()
    print(
        f"{'PostgreSQL' if args.db == 'postgresql' else 'SQLite'}: {args.sources:,} sources, {args.watches:,} watches, {args.items:,} items, "
        f"{args.alerts:,} alerts, {args.sources * 288:,} polls (filled in {filled:.1f} s); "
        f"{args.runs} requests per page"
    )
    print(f"{'page':<26} {'median ms':>10} {'p95 ms':>8}")
    for name, median, p95 in results:
        print(f"{name:<26} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
