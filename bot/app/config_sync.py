"""The config file owns its sources and watches: the store follows the file at every start.

A `[[sources]]` entry is the source with that URL; a `[[watches]]` entry is the config watch with
that rule, destination, mode and time zone. Entries new in the file are added, changed ones
updated (a source keeps its id, state and archive), and rows whose entry left the file are
removed. Chat and the CLI cannot remove them (`bot.commands` refuses, naming the file and line),
so nothing the file defines can come back under a new id, and nothing it dropped stays behind.
Pausing a config watch is runtime state: the row, and so the pause, survive a restart.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.core.durations import format_duration
from bot.settings import Settings, SourceEntry
from bot.store import NewSource, NewWatch, Store
from bot.store.records import CONFIG_OWNER

__all__ = ["sync_config_sources", "sync_config_watches"]

log = logging.getLogger(__name__)

WATCH_SLICE = 5000
"""Config watches inserted per statement (all in one transaction)."""


def _options(entry: SourceEntry) -> dict[str, Any]:
    options = dict(entry.options)
    if entry.backfill is not None:
        options["backfill"] = entry.backfill
    if entry.fetch_article:
        options["fetch_article"] = True
    return options


async def sync_config_sources(store: Store, settings: Settings, now: datetime) -> None:
    """Add, update and remove config-owned sources so the store matches the file.

    One read of every source, then one transaction with every change (new sources inserted
    together): a start with thousands of sources costs a few statements, not thousands.
    """
    existing = {source.url: source for source in await store.list_sources()}
    wanted: set[str] = set()
    new: list[NewSource] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for entry in settings.sources:
        options = _options(entry)
        interval = int(entry.interval or settings.poll.interval)
        source = existing.get(entry.url)
        if source is None:
            if entry.url not in wanted:
                new.append(
                    NewSource(entry.name, entry.url, entry.kind, interval, options, CONFIG_OWNER)
                )
            wanted.add(entry.url)
            continue
        wanted.add(entry.url)
        changes: dict[str, Any] = {}
        for name, value in (
            ("name", entry.name),
            ("kind", entry.kind),
            ("interval_s", interval),
            ("options", options),
            ("owner", CONFIG_OWNER),  # the file takes over a source it now lists
        ):
            if getattr(source, name) != value:
                changes[name] = value
        soonest = now + timedelta(seconds=interval)
        if source.next_poll_at is not None and source.next_poll_at > soonest:
            changes["next_poll_at"] = soonest  # a shorter interval takes effect at once
            changes["next_poll_reason"] = f"interval {format_duration(interval)} (config)"
        if changes:
            updates.append((source.id, changes))
    gone = [s for s in existing.values() if s.owner == CONFIG_OWNER and s.url not in wanted]
    if not (new or updates or gone):
        return
    async with store.transaction() as tx:
        await tx.add_sources(new, now=now)  # a URL another process just added is skipped
        for source_id, changes in updates:
            await tx.update_source(source_id, **changes)
        for source in gone:
            log.info("source #%s %s left the config file: removed", source.id, source.url)
            await tx.remove_source(source.id)


async def sync_config_watches(store: Store, settings: Settings, now: datetime) -> None:
    """Add and remove config watches (by rule, destination, mode and zone) to match the file."""
    wanted = {(w.query, w.to, w.mode, w.tz) for w in settings.watches}
    present: set[tuple[str, str, str, str]] = set()
    gone = []
    for watch in await store.watch_keys(CONFIG_OWNER):  # not whole records: 10,000 at start
        key = (watch.query, watch.destination, watch.mode, watch.tz)
        if key in wanted and key not in present:
            present.add(key)
        else:
            gone.append(watch)
    new: list[NewWatch] = []
    for entry in settings.watches:  # in file order, so ids follow the file
        key = (entry.query, entry.to, entry.mode, entry.tz)
        if key not in present:
            new.append(
                NewWatch(
                    entry.query,
                    entry.to,
                    owner=CONFIG_OWNER,
                    platform=CONFIG_OWNER,
                    mode=entry.mode,
                    tz=entry.tz,
                )
            )
            present.add(key)
    if not (new or gone):
        return
    async with store.transaction() as tx:
        for watch in gone:
            log.info("watch #%s %r left the config file: removed", watch.id, watch.query)
            await tx.remove_watch(watch.id)
        # In slices: each returns its records, and 100,000 of them at once cost ~60 MB for a
        # moment (the bot's peak RSS at start).
        for start in range(0, len(new), WATCH_SLICE):
            await tx.add_watches(new[start : start + WATCH_SLICE], now=now)
