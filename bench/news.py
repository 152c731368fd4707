"""Benchmark `/news` end to end: full-text pre-selection in the store, then matcher verification.

Fills a database with N archived items (default 100,000, published over the last 7 days), each
with a title, a 44-word summary and a `--words` article text (default 800 words, from a 20,000
word Zipf vocabulary), then times CommandService.news for rare, common, accented, phrase and
field rules, a story that only older items carry ("fjord moratorium": 1 item in 50 among those
more than 5 days old; "moratorium" alone is in 1 item in 8) and a rule no item matches although
a fifth of them contain its words.

    uv run python bench/news.py                      # SQLite in a temporary directory
    uv run python bench/news.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    uv run python bench/news.py --db /tmp/news.db    # keep (or reuse) the SQLite file
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

# The bot package, not bench/bot.py (this script's folder comes first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.watch_index import WatchIndex
from bot.commands.service import Caller, CommandService
from bot.core.item import Item
from bot.store import Store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
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
    ("older items only", '"fjord moratorium"'),
    ("no match", "election AND NOT ruling"),
]
SYLLABLES = ["ka", "ri", "to", "ma", "ne", "lo", "sa", "vi", "de", "ru", "po", "li", "an", "el"]


def article_vocabulary(size: int = 20_000) -> tuple[list[str], list[float]]:
    """Return made-up words and their cumulative Zipf weights (s = 1)."""
    rng = random.Random(11)
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choices(SYLLABLES, k=rng.randint(2, 5)))] = None
    cumulative, total = [], 0.0
    for rank in range(1, size + 1):
        total += 1 / rank
        cumulative.append(total)
    return list(words), cumulative


VOCABULARY = article_vocabulary()


def article(rng: random.Random, words: int, focus: list[str]) -> str:
    """Return `words` words in sentences of 20, drawn from the vocabulary and the item's focus."""
    vocabulary, cumulative = VOCABULARY
    drawn = rng.choices(vocabulary, cum_weights=cumulative, k=words)
    for n in range(0, words, 97):
        drawn[n] = rng.choice(focus)
    return " ".join(
        " ".join(drawn[i : i + 20]).capitalize() + "." for i in range(0, len(drawn), 20)
    )


def make_item(rng: random.Random, n: int, now: datetime, words: int) -> Item:
    place = rng.choice(PLACES)
    topic = TOPICS[min(int(rng.paretovariate(1.2)) - 1, len(TOPICS) - 1)]
    other = rng.choice(TOPICS)
    filler = [rng.choice(FILLER) for _ in range(40)]
    body = f"{place} {topic} {' '.join(filler[:20])} {other} ruling {' '.join(filler[20:])}."
    age = timedelta(minutes=n % (7 * 24 * 60))
    content = article(rng, words, [place, topic, other]) if words else ""
    if words and rng.random() < 1 / 8:
        content += " A moratorium was announced."
    if words and age > timedelta(days=5) and rng.random() < 1 / 50:
        content += " The fjord moratorium holds."
    return Item(
        title=f"{place} {topic} {rng.choice(FILLER)} {other}",
        summary=body,
        content=content,
        url=f"https://news.example/{n}",
        source=f"Outlet {n % 50}",
        lang="en",
        published=now - age,
        guid=f"g{n}",
    )


async def fill(store: Store, count: int, now: datetime, words: int) -> float:
    rng = random.Random(7)
    url = "https://news.example/feed"
    source = await store.get_source_by_url(url) or await store.add_source("Bench", url)
    started = time.perf_counter()
    for start in range(0, count, 500):
        batch = [make_item(rng, n, now, words) for n in range(start, min(count, start + 500))]
        async with store.transaction() as tx:
            await tx.add_new_items(source.id, batch, now=now)
    return time.perf_counter() - started


@asynccontextmanager
async def open_store(args: argparse.Namespace, folder: str) -> AsyncIterator[Store]:
    """Yield the store to fill or reuse: a SQLite file, or a PostgreSQL schema."""
    if not args.database_url:
        path = args.db or Path(folder) / "news.db"
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        try:
            yield store
        finally:
            await store.close()
        return
    schema = args.schema or f"bench_news_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(args.database_url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        store = await Store.open(args.database_url, schema=schema)
        try:
            yield store
        finally:
            await store.close()
    finally:
        if not args.schema:
            async with admin.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=800, help="words of article text per item")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--db", type=Path, help="SQLite file to keep, or to reuse if filled")
    parser.add_argument("--schema", help="PostgreSQL schema to keep, or to reuse if filled")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        async with open_store(args, folder) as store:
            archived = (await store.counts())["items"]
            if archived == 0:
                filled = await fill(store, args.items, NOW, args.words)
                print(f"{args.items:,} items archived in {filled:.1f} s on {store.dialect}")
                if store.dialect == "postgresql":
                    async with store._engine.begin() as conn:
                        await conn.execute(sa.text("ANALYZE"))
            else:
                print(f"reusing {archived:,} archived items on {store.dialect}")
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            service = CommandService(store, WatchIndex(), clock=lambda: NOW)
            caller = Caller(platform="cli", user_id="bench")
            print("| rule | reply title | checked | median ms | max ms |")
            print("|---|---|---|---:|---:|")
            for label, rule in RULES:
                times = []
                reply = None
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    reply = await service.news(caller, rule, since="7d")
                    times.append((time.perf_counter() - t0) * 1000)
                assert reply is not None and reply.ok, reply
                said = reply.title.replace("|", "/")
                partial = re.search(r"newest ([\d,]+) of the ([\d,]+) items", " ".join(reply.lines))
                checked = f"{partial[1]} of {partial[2]}" if partial else "all"
                median, most = statistics.median(times), max(times)
                print(f"| {label} | {said} | {checked} | {median:.0f} | {most:.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
