"""Benchmark `/news` end to end: full-text pre-selection in the store, then matcher verification.

Fills a database with N archived items (default 100,000) written from a Zipf-ish vocabulary, then
times CommandService.news for rare, common, accented, phrase and field rules.

    uv run python bench/news.py                      # SQLite in a temporary directory
    uv run python bench/news.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.watch_index import WatchIndex
from bot.commands import Caller, CommandService
from bot.core.item import Item
from bot.store import Store

PLACES = [
    "Algeria",
    "France",
    "Algérie",
    "Nigeria",
    "Chile",
    "Japan",
    "Brazil",
    "Kenya",
    "Peru",
    "Norway",
    "Vietnam",
    "Senegal",
    "Québec",
    "Portugal",
    "India",
    "Egypt",
]
TOPICS = [
    "election",
    "readmission",
    "security",
    "cooperation",
    "gas",
    "drought",
    "budget",
    "strike",
    "vaccine",
    "inflation",
    "earthquake",
    "summit",
    "treaty",
    "tariff",
    "court",
    "protest",
    "satellite",
    "semiconductor",
    "migration",
    "wildfire",
]
FILLER = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "on",
    "for",
    "with",
    "after",
    "as",
    "officials",
    "said",
    "minister",
    "government",
    "week",
    "new",
    "report",
    "talks",
    "plan",
    "deal",
    "city",
    "country",
    "people",
    "year",
]
RULES = [
    ("rare word", "satellite"),
    ("frequent word", "readmission"),
    ("two words", "Algeria AND readmission"),
    ("common word", "election"),
    ("accented prefix", "Algér* AND gas"),
    ("phrase", '"security cooperation"'),
    ("field + NEAR", "title:(strike OR protest) AND court NEAR/5 ruling"),
    ("OR of five", "vaccine OR drought OR tariff OR wildfire OR treaty"),
]


def make_item(rng: random.Random, n: int, now: datetime) -> Item:
    place = rng.choice(PLACES)
    topic = TOPICS[min(int(rng.paretovariate(1.2)) - 1, len(TOPICS) - 1)]
    other = rng.choice(TOPICS)
    words = [rng.choice(FILLER) for _ in range(40)]
    body = f"{place} {topic} {' '.join(words[:20])} {other} ruling {' '.join(words[20:])}."
    return Item(
        title=f"{place} {topic} {rng.choice(FILLER)} {other}",
        summary=body,
        url=f"https://news.example/{n}",
        source=f"Outlet {n % 50}",
        lang="en",
        published=now - timedelta(minutes=n % (7 * 24 * 60)),
        guid=f"g{n}",
    )


async def fill(store: Store, count: int, now: datetime) -> float:
    rng = random.Random(7)
    url = "https://news.example/feed"
    source = await store.get_source_by_url(url) or await store.add_source("Bench", url)
    started = time.perf_counter()
    for start in range(0, count, 500):
        batch = [make_item(rng, n, now) for n in range(start, min(count, start + 500))]
        async with store.transaction() as tx:
            await tx.add_new_items(source.id, batch, now=now)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'news.db'}"
        store = await Store.open(url)
        try:
            if args.database_url:
                await store.prune(now + timedelta(days=400), retention_days=0, seen_days=0)
            filled = await fill(store, args.items, now)
            print(f"{args.items:,} items archived in {filled:.1f} s on {store.dialect}")
            service = CommandService(store, WatchIndex(), clock=lambda: now)
            caller = Caller(platform="cli", user_id="bench")
            print(f"{'rule':<16} {'matches (7d)':>14} {'median ms':>10} {'max ms':>8}")
            for label, rule in RULES:
                times = []
                reply = None
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    reply = await service.news(caller, rule, since="7d")
                    times.append((time.perf_counter() - t0) * 1000)
                assert reply is not None and reply.ok, reply
                count = reply.title.split(" ", 1)[0]
                print(
                    f"{label:<16} {count:>14} {statistics.median(times):>10.0f} {max(times):>8.0f}"
                )
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
