"""Connections are kept for the reads of concurrent polls instead of opened and closed each time."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from bot.store import Store


async def test_bursts_of_concurrent_reads_reuse_the_pooled_connections(store: Store) -> None:
    opened = 0

    def count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(store._engine.sync_engine, "connect", count)
    for _ in range(3):  # the reads of 15 polls at once, three times
        await asyncio.gather(*(store.list_sources() for _ in range(15)))
    # the first burst opens what it needs; the next ones find them in the pool
    assert 0 < opened <= 15
    first = opened
    await asyncio.gather(*(store.list_sources() for _ in range(15)))
    assert opened == first
