"""The writes of many polls together: a handful of statements for a whole batch of polls.

Each poll's write (its new items and seen keys, their story clusters, the deliveries they cause,
the poll's outcome and history row, the source's boilerplate state) used to be 6-9 statements of
its own; on PostgreSQL each is a round trip, which the single writer waits for in turn. Here the
polls a writer batch holds share those statements: one for the seen keys and one for the items
(per 1,000 rows; 64 items on SQLite), one for their clusters, three for the outcomes, one for
boilerplate states. Only routing (finding earlier alerts of a story, queueing deliveries) stays
per poll, and sends statements only for polls whose new items match a watch, because each poll
must see the alerts queued by the polls before it.

The result is the same as running the polls one after the other in the order given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.item import Item
from bot.store import archive, boilerplate, sources
from bot.store.records import ArchivedItem, PollOutcome

if TYPE_CHECKING:
    from bot.store.transaction import StoreTransaction

__all__ = ["Clustered", "PollWrite", "PollWritten", "write_polls"]


@dataclass(frozen=True, slots=True)
class Clustered:
    """The story cluster of each new item (item id -> cluster id) and its story words."""

    clusters: dict[int, int] = field(default_factory=dict)
    words: dict[int, tuple[str, ...]] = field(default_factory=dict)


ClusterStep = Callable[["StoreTransaction", list[ArchivedItem]], Clustered]
"""Assigns a poll's new items to stories (in memory; undo through `tx.on_rollback`)."""

RouteStep = Callable[["StoreTransaction", list[ArchivedItem], Mapping[int, int]], Awaitable[int]]
"""Queues the deliveries of a poll's new items, given their clusters; returns how many."""


@dataclass(frozen=True, slots=True)
class PollWrite:
    """What one poll writes. `outcome` is told how many of `items` were new."""

    source_id: int
    now: datetime
    outcome: Callable[[int], PollOutcome]
    items: Sequence[Item] = ()
    cluster: ClusterStep | None = None
    route: RouteStep | None = None
    boilerplate_state: str | None = None
    disable_reason: str | None = None
    """Set: the source is disabled with this reason (too many failures in a row)."""


@dataclass(frozen=True, slots=True)
class PollWritten:
    """What a poll's write did: new items archived, deliveries queued."""

    new: list[ArchivedItem]
    deliveries: int


async def write_polls(
    tx: StoreTransaction, conn: AsyncConnection, polls: Sequence[PollWrite]
) -> list[PollWritten]:
    """Write `polls` as if one after the other; raise LookupError if a source is gone."""
    if any(poll.items for poll in polls):
        news = await archive.add_new_items_of_polls(
            conn, [(poll.source_id, poll.items, poll.now) for poll in polls]
        )
    else:
        news = [[] for _ in polls]
    clustered = Clustered()
    for poll, new in zip(polls, news, strict=True):
        if new and poll.cluster is not None:
            mine = poll.cluster(tx, new)
            clustered.clusters.update(mine.clusters)
            clustered.words.update(mine.words)
    await archive.set_clusters(conn, clustered.clusters, clustered.words)
    deliveries = [
        await poll.route(tx, new, clustered.clusters) if new and poll.route is not None else 0
        for poll, new in zip(polls, news, strict=True)
    ]
    await sources.record_polls(
        conn, [poll.outcome(len(new)) for poll, new in zip(polls, news, strict=True)]
    )
    await boilerplate.save_boilerplate_states(
        conn,
        [
            (poll.source_id, poll.boilerplate_state, poll.now)
            for poll in polls
            if poll.boilerplate_state is not None
        ],
    )
    for poll in polls:
        if poll.disable_reason is not None:
            await sources.update_source(
                conn, poll.source_id, {"enabled": False, "disabled_reason": poll.disable_reason}
            )
    return [PollWritten(new, count) for new, count in zip(news, deliveries, strict=True)]
