"""Measure the store: ingest throughput and search_archive latency over 100,000 archived items.

    uv run python bench/store.py                       # SQLite (a temporary file)
    WIREWATCH_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        uv run python bench/store.py                   # SQLite and PostgreSQL (a scratch schema)

Options: --items N (default 100000), --batch N items per transaction (default 100, like a poll),
--words N words of article text per item (default 0: title and summary only; `/news` is
measured over 800-word articles with `--words 800`).

Besides `search_archive` (terms OR-ed, 200 records), `find_archived` is timed as `/news` uses it:
groups AND-ed, the ids of the newest 1,000 and the count of all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

# The bot package, not bench/bot.py (this script's folder comes first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.item import Item
from bot.store import Store

ACCENTED = ["Algérie", "sécurité", "coopération", "Zürich", "Québec", "São", "Kraków", "Bogotá"]
QUERIES: dict[str, list[str] | None] = {
    "no terms (newest 200)": None,
    "rare word (1 in 5,000)": ["readmission"],
    "accented prefix (1 in 80)": ["alger"],
    "common prefix (1 in 3 items)": ["wor"],
    "3 terms OR": ["zurich", "krakow", "bogota"],
}
FIND_QUERIES: dict[str, list[list[str]]] = {
    "find: two groups AND (1 in 120)": [["world"], ["alger", "zurich"]],
    "find: common prefix (1 in 3)": [["wor"]],
    "find: rare and common": [["readmission"], ["news"]],
}
SEARCH_RUNS = 30


@dataclass
class Result:
    """Figures for one backend."""

    backend: str
    items_per_s: float
    search_ms: dict[str, tuple[float, float, int]]


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Return made-up words (plus accented real ones) to draw item text from."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(size)}
    return sorted(words)


def make_items(count: int, seed: int = 7, article_words: int = 0) -> list[Item]:
    """Return `count` synthetic items with Zipf-like word frequencies."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def sentence(n: int) -> str:
        return " ".join(rng.choices(words, weights, k=n))

    items = []
    for n in range(count):
        title = sentence(8) + (" readmission" if n % 5000 == 0 else "")
        title += f" {rng.choice(ACCENTED)}" if n % 10 == 0 else ""
        title += " world news" if n % 3 == 0 else ""
        items.append(
            Item(
                title=title.capitalize(),
                summary=sentence(40),
                content=sentence(article_words) if article_words else "",
                url=f"https://news.example/{n}?utm_source=rss",
                source=f"Wire {n % 20}",
                guid=f"g-{n}",
                published=start + timedelta(seconds=30 * n),
            )
        )
    return items


async def ingest(store: Store, items: list[Item], batch: int) -> float:
    """Ingest `items` in transactions of `batch`; return items per second."""
    source = await store.add_source("Bench", f"https://bench.example/{uuid.uuid4().hex}")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    began = time.perf_counter()
    for start in range(0, len(items), batch):
        async with store.transaction() as tx:
            await tx.add_new_items(source.id, items[start : start + batch], now=now)
    return len(items) / (time.perf_counter() - began)


async def search_latencies(store: Store) -> dict[str, tuple[float, float, int]]:
    """Return (median ms, p95 ms, hits) of each query in QUERIES."""
    out = {}
    for label, terms in QUERIES.items():
        timings = []
        hits = 0
        for _ in range(SEARCH_RUNS):
            began = time.perf_counter()
            found = await store.search_archive(terms)
            timings.append((time.perf_counter() - began) * 1000)
            hits = len(found)
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        out[label] = (statistics.median(timings), p95, hits)
    for label, groups in FIND_QUERIES.items():
        timings = []
        for _ in range(SEARCH_RUNS):
            began = time.perf_counter()
            search = await store.find_archived(groups, limit=1000)
            timings.append((time.perf_counter() - began) * 1000)
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        out[label] = (statistics.median(timings), p95, search.total)
    return out


@asynccontextmanager
async def sqlite_store() -> AsyncIterator[Store]:
    """Yield a store on a temporary SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def postgres_store(url: str) -> AsyncIterator[Store]:
    """Yield a store in a scratch schema of the PostgreSQL database at `url`, dropped after."""
    schema = f"bench_store_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        store = await Store.open(url, schema=schema)
        try:
            yield store
        finally:
            await store.close()
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def measure(
    backend: str, opener: Callable[[], AsyncIterator[Store]], items: list[Item], batch: int
) -> Result:
    """Ingest then search on one backend."""
    async with opener() as store:  # type: ignore[attr-defined]
        rate = await ingest(store, items, batch)
        if store.dialect == "postgresql":
            async with store._engine.begin() as conn:
                await conn.execute(sa.text("ANALYZE"))
        return Result(backend, rate, await search_latencies(store))


def report(results: list[Result], count: int, batch: int) -> None:
    """Print the figures as a Markdown table."""
    print(f"\n{count:,} items, {batch} items per transaction, {SEARCH_RUNS} runs per query\n")
    print("| backend | ingest (items/s) | query | median ms | p95 ms | hits (find: total) |")
    print("|---|---:|---|---:|---:|---:|")
    for result in results:
        for n, (label, (median, p95, hits)) in enumerate(result.search_ms.items()):
            rate = f"{result.items_per_s:,.0f}" if n == 0 else ""
            name = result.backend if n == 0 else ""
            print(f"| {name} | {rate} | {label} | {median:.1f} | {p95:.1f} | {hits} |")


async def main() -> None:
    """Run the benchmark on SQLite and, when configured, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--words", type=int, default=0, help="words of article text per item")
    args = parser.parse_args()
    items = make_items(args.items, article_words=args.words)
    results = [await measure("SQLite", sqlite_store, items, args.batch)]
    pg_url = os.environ.get("WIREWATCH_TEST_DATABASE_URL")
    if pg_url:
        results.append(
            await measure("PostgreSQL", lambda: postgres_store(pg_url), items, args.batch)
        )
    else:
        print("WIREWATCH_TEST_DATABASE_URL not set: PostgreSQL skipped")
    report(results, args.items, args.batch)


if __name__ == "__main__":
    asyncio.run(main())
