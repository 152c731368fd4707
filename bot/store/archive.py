"""The item archive and the seen keys: ingest new items, search, prune."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.item import Item
from bot.store.columns import clean_text, require_utc
from bot.store.dialect import in_values, insert_rows, is_postgres
from bot.store.records import ArchivedItem, ArchiveSearch, StoryMember
from bot.store.rows import archived_item
from bot.store.schema import deliveries, items, seen, source_polls, sources, watches
from bot.store.search import fts5_all, item_search_text, tsquery_all

__all__ = [
    "PollItems",
    "add_new_items",
    "add_new_items_of_polls",
    "cluster_sources",
    "counts",
    "find_archived",
    "get_item",
    "get_items",
    "item_keys",
    "prune",
    "recent_items",
    "search_archive",
    "set_clusters",
    "story_members",
    "unseen",
]

_CHUNK = 1000
_SQLITE_ITEM_ROWS = 64
"""Items per INSERT on SQLite (see `add_new_items_of_polls`)."""


def item_keys(source_id: int, item: Item) -> list[str]:
    """Return an item's seen keys: its identity in its source, and its article key (global)."""
    keys = [clean_text(f"{source_id}:{item.identity}")]
    article = item.article_key if item.url else ""
    if article:
        keys.append(clean_text(article))
    return keys


def _cleaned(item: Item) -> Item:
    """Return the item as it will be stored: clean text, publication date in UTC."""
    cleaned = replace(
        item,
        title=clean_text(item.title),
        summary=clean_text(item.summary),
        content=clean_text(item.content),
        url=clean_text(item.url),
        source=clean_text(item.source),
        author=clean_text(item.author),
        lang=clean_text(item.lang),
        guid=clean_text(item.guid),
        boilerplate=clean_text(item.boilerplate),
        tags=tuple(clean_text(tag) for tag in item.tags),
        published=_as_utc(item.published) if item.published else None,
    )
    return item if cleaned == item else cleaned


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    """Split `values` so that no statement exceeds the drivers' parameter limits."""
    return [values[i : i + size] for i in range(0, len(values), size)]


Keyed = list[tuple[Item, list[str]]]
"""Items paired with their seen keys (`item_keys`)."""


def _keyed(source_id: int, batch: Sequence[Item]) -> Keyed:
    return [(item, item_keys(source_id, item)) for item in batch]


def _first_of_each(keyed: Keyed) -> Keyed:
    """Drop the items sharing a key with an earlier one."""
    taken: set[str] = set()
    out = []
    for item, keys in keyed:
        if not taken.intersection(keys):
            out.append((item, keys))
        taken.update(keys)
    return out


async def _seen_among(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """Return which of `keys` are in the seen table."""
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(keys))):
        stmt = sa.select(seen.c.key).where(in_values(conn, seen.c.key, chunk))
        found.update((await conn.execute(stmt)).scalars())
    return found


async def unseen(conn: AsyncConnection, source_id: int, batch: Sequence[Item]) -> list[Item]:
    """Return the items none of whose keys is seen (first of any in-batch duplicates)."""
    candidates = _first_of_each(_keyed(source_id, batch))
    already = await _seen_among(conn, [key for _, keys in candidates for key in keys])
    return [item for item, keys in candidates if already.isdisjoint(keys)]


async def _mark_seen(conn: AsyncConnection, seen_at: Mapping[str, datetime]) -> set[str]:
    """Insert seen keys (key -> when); return those that were not there before (race-safe)."""
    rows = [{"key": key, "seen_at": at} for key, at in seen_at.items()]
    fresh: set[str] = set()
    for chunk in _chunks(rows):  # bounded statements, however many polls a batch holds
        inserted = await insert_rows(
            conn, seen, chunk, returning=[seen.c.key], ignore_conflicts=True
        )
        fresh.update(inserted.scalars())
    return fresh


async def add_new_items(
    conn: AsyncConnection, source_id: int, batch: Sequence[Item], *, now: datetime
) -> list[ArchivedItem]:
    """Mark every item's keys seen and archive the new ones; return those, in input order."""
    (new,) = await add_new_items_of_polls(conn, [(source_id, batch, now)])
    return new


PollItems = tuple[int, Sequence[Item], datetime]
"""One poll's fetched items: (source id, items, the poll's time)."""


async def add_new_items_of_polls(
    conn: AsyncConnection, polls: Sequence[PollItems]
) -> list[list[ArchivedItem]]:
    """`add_new_items` for several polls in two statements; one list of new items per poll.

    Polls count in the order given, as if each ran alone: a key first listed by an earlier
    poll (the same article from two sources) is that poll's, and not new for a later one.
    """
    keyed = [
        (source_id, require_utc(now), _keyed(source_id, batch)) for source_id, batch, now in polls
    ]
    seen_at: dict[str, datetime] = {}
    for _, now, pairs in keyed:
        for _, keys in pairs:
            for key in keys:
                seen_at.setdefault(key, now)
    fresh = await _mark_seen(conn, seen_at)
    claimed: set[str] = set()
    chosen: list[Keyed] = []
    for _, _, pairs in keyed:
        own = {key for _, keys in pairs for key in keys if key in fresh} - claimed
        claimed |= own
        chosen.append(
            [(_cleaned(item), keys) for item, keys in _first_of_each(pairs) if own.issuperset(keys)]
        )
    rows = [
        _item_row(source_id, item, keys[0], now)
        for (source_id, now, _), new in zip(keyed, chosen, strict=True)
        for item, keys in new
    ]
    if not rows:
        return [[] for _ in polls]
    # Keys are unique among the new items, so they map ids back without ordering RETURNING
    # (sort_by_parameter_order makes SQLite insert row by row, five times slower).
    id_of: dict[str, int] = {}
    # SQLite's statement cache keeps each cached statement's last bound values: 1,000 rows
    # of article text per multi-row INSERT held 60 MB more at the peak of a cold round.
    for chunk in _chunks(rows, _CHUNK if is_postgres(conn) else _SQLITE_ITEM_ROWS):
        inserted = await insert_rows(conn, items, chunk, returning=[items.c.key, items.c.id])
        id_of.update((row.key, row.id) for row in inserted)
    return [
        [
            ArchivedItem(
                id=id_of[keys[0]], source_id=source_id, key=keys[0], item=item, fetched_at=now
            )
            for item, keys in new
        ]
        for (source_id, now, _), new in zip(keyed, chosen, strict=True)
    ]


def _as_utc(value: datetime) -> datetime:
    """Return `value` in UTC, reading a naive date from a feed as UTC rather than failing."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _item_row(source_id: int, item: Item, key: str, now: datetime) -> dict[str, Any]:
    """Return the archive row of an item; a future publication date sorts as now."""
    published = _as_utc(item.published) if item.published else None
    return {
        "source_id": source_id,
        "key": key,
        "title": item.title,
        "summary": item.summary,
        "content": item.content,
        "url": item.url,
        "source": item.source,
        "author": item.author,
        "lang": item.lang,
        "published": published,
        "tags": list(item.tags),
        "guid": item.guid,
        "boilerplate": item.boilerplate,
        "fetched_at": now,
        "sort_at": min(published, now) if published else now,
        "cluster_id": None,
        "search_text": item_search_text(item),
    }


async def set_clusters(
    conn: AsyncConnection,
    clusters: Mapping[int, int],
    words: Mapping[int, Collection[str]] | None = None,
) -> None:
    """Record the story cluster of each item (item_id -> cluster_id), and its story words."""
    if not clusters:
        return
    words = words or {}
    stmt = (
        sa.update(items)
        .where(items.c.id == sa.bindparam("item_id"))
        .values(cluster_id=sa.bindparam("cluster"), story_words=sa.bindparam("words"))
    )
    params = [
        {
            "item_id": item_id,
            "cluster": cluster,
            "words": " ".join(words[item_id]) if item_id in words else None,
        }
        for item_id, cluster in clusters.items()
    ]
    await conn.execute(stmt, params)


async def story_members(
    conn: AsyncConnection, since: datetime, *, after_id: int, limit: int
) -> list[StoryMember]:
    """Return the items archived since `since` with ids above `after_id`, oldest first, as the
    story index needs them (no text: their story words)."""
    stmt = (
        sa.select(items.c.id, items.c.cluster_id, items.c.sort_at, items.c.story_words)
        .where(items.c.fetched_at >= since, items.c.id > after_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [
        StoryMember(
            item_id,
            cluster_id or item_id,
            at,
            None if words is None else tuple(words.split()),
        )
        for item_id, cluster_id, at, words in await conn.execute(stmt)
    ]


_FTS_ROWIDS = "SELECT rowid FROM items_fts WHERE items_fts MATCH :fts"
_FTS_COUNT = "SELECT count(*) FROM items_fts WHERE items_fts MATCH :fts"
_ROW_FETCH_COST = 20  # one row fetched by id, in steps of the date index


async def _sqlite_matches(
    conn: AsyncConnection, query: str, limit: int
) -> sa.ColumnElement[bool] | None:
    """Return the FTS5 condition for `query`, or None when nothing matches.

    Left alone, SQLite fetches every matching row to sort them by date: slow when a third of
    the archive matches. When matches are plentiful, writing `id + 0` stops the planner
    from driving by id, so it walks the date index newest first and stops after `limit`
    matches instead: about limit x items / matches cheap index steps against `matches` row
    fetches, each some 20 times dearer (measured with bench/store.py).
    """
    matches = (await conn.execute(sa.text(_FTS_COUNT), {"fts": query})).scalar_one()
    if not matches:
        return None
    highest_id = (await conn.execute(sa.select(sa.func.max(items.c.id)))).scalar_one() or 0
    rowids = sa.text(_FTS_ROWIDS).bindparams(fts=query).columns(sa.column("rowid", sa.Integer))
    if matches * matches * _ROW_FETCH_COST > limit * highest_id:
        return (items.c.id + 0).in_(rowids)
    return items.c.id.in_(rowids)


_Condition = sa.ColumnElement[bool] | sa.TextClause


async def _condition(
    conn: AsyncConnection, groups: Sequence[Sequence[str]] | None, limit: int
) -> _Condition | None:
    """Return the condition for items meeting every group of terms; None if none can.

    No groups: every item (`sa.true()`).
    """
    if not groups:
        return sa.true()
    if is_postgres(conn):
        query = tsquery_all(groups)
        if not query:
            return None
        return sa.text("items.search_vector @@ to_tsquery('simple', :tsq)").bindparams(tsq=query)
    query = fts5_all(groups)
    return await _sqlite_matches(conn, query, limit) if query else None


def _newest_first(stmt: sa.Select[Any], since: datetime | None) -> sa.Select[Any]:
    stmt = stmt.order_by(items.c.sort_at.desc(), items.c.id.desc())
    return stmt if since is None else stmt.where(items.c.sort_at >= since)


async def search_archive(
    conn: AsyncConnection, terms: Sequence[str] | None, *, since: datetime | None, limit: int
) -> list[ArchivedItem]:
    """Return archived items with a word starting with any term, newest first."""
    condition = await _condition(conn, [terms] if terms else None, limit)
    if condition is None:
        return []
    stmt = _newest_first(sa.select(items).where(condition), since).limit(limit)
    return [archived_item(row) for row in await conn.execute(stmt)]


async def find_archived(
    conn: AsyncConnection,
    groups: Sequence[Sequence[str]] | None,
    *,
    since: datetime | None,
    limit: int,
) -> ArchiveSearch:
    """Return the ids of the newest `limit` items meeting every group, and how many do."""
    condition = await _condition(conn, groups, limit)
    if condition is None:
        return ArchiveSearch((), 0)
    if groups and is_postgres(conn):
        # PostgreSQL prices a tsvector filter without reading the vector back from TOAST (an
        # 800-word article's is several KB), so for common words it would scan the table or
        # walk the date index testing every vector: 1.4 s to count 20,000 matches of 100,000.
        # The GIN index answers without reading one (30-90 ms). For this transaction only.
        await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        await conn.execute(sa.text("SET LOCAL enable_indexscan = off"))
    stmt = _newest_first(sa.select(items.c.id).where(condition), since).limit(limit)
    ids = tuple((await conn.execute(stmt)).scalars())
    if len(ids) < limit:
        return ArchiveSearch(ids, len(ids))
    count = sa.select(sa.func.count()).select_from(items).where(condition)
    if since is not None:
        count = count.where(items.c.sort_at >= since)
    return ArchiveSearch(ids, (await conn.execute(count)).scalar_one())


async def get_items(conn: AsyncConnection, ids: Sequence[int]) -> list[ArchivedItem]:
    """Return the archived items with these ids, in the order given (ids not found are left out)."""
    found: dict[int, ArchivedItem] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        for row in await conn.execute(sa.select(items).where(items.c.id.in_(chunk))):
            record = archived_item(row)
            found[record.id] = record
    return [found[i] for i in ids if i in found]


async def cluster_sources(conn: AsyncConnection, cluster_id: int) -> list[str]:
    """Return the distinct source names of a story cluster's items, oldest first."""
    stmt = (
        sa.select(items.c.source)
        .where(items.c.cluster_id == cluster_id, items.c.source != "")
        .group_by(items.c.source)
        .order_by(sa.func.min(items.c.id))
    )
    return list((await conn.execute(stmt)).scalars())


async def recent_items(conn: AsyncConnection, since: datetime) -> list[ArchivedItem]:
    """Return items archived since `since`, oldest first."""
    stmt = sa.select(items).where(items.c.fetched_at >= since).order_by(items.c.id)
    return [archived_item(row) for row in await conn.execute(stmt)]


async def get_item(conn: AsyncConnection, item_id: int) -> ArchivedItem | None:
    """Return one archived item, if it exists."""
    row = (await conn.execute(sa.select(items).where(items.c.id == item_id))).first()
    return archived_item(row) if row else None


async def prune(
    conn: AsyncConnection,
    now: datetime,
    *,
    retention_days: float,
    seen_days: float,
    poll_history_days: float = 7,
) -> tuple[int, int]:
    """Delete old items (not those still queued for delivery), old seen keys and old polls."""
    if retention_days < 0 or seen_days < 0 or poll_history_days < 0:
        raise ValueError("retention_days, seen_days and poll_history_days must be >= 0")
    now = require_utc(now)
    queued = sa.select(deliveries.c.item_id).where(deliveries.c.status.in_(("pending", "sending")))
    old_items = sa.delete(items).where(
        items.c.fetched_at < now - timedelta(days=retention_days), items.c.id.not_in(queued)
    )
    removed_items = (await conn.execute(old_items)).rowcount
    old_keys = sa.delete(seen).where(seen.c.seen_at < now - timedelta(days=seen_days))
    removed_keys = (await conn.execute(old_keys)).rowcount
    old_polls = sa.delete(source_polls).where(
        source_polls.c.polled_at < now - timedelta(days=poll_history_days)
    )
    await conn.execute(old_polls)
    return removed_items, removed_keys


async def counts(conn: AsyncConnection) -> dict[str, int]:
    """Return row counts: sources, watches, items, seen, pending deliveries."""

    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()

    stmt = sa.select(
        count(sources).label("sources"),
        count(watches).label("watches"),
        count(items).label("items"),
        count(seen).label("seen"),
        count(deliveries, deliveries.c.status == "pending").label("pending"),
    )
    row = (await conn.execute(stmt)).one()
    return {name: int(value) for name, value in row._mapping.items()}
