"""The store keeps why a source's next poll is when it is, on every backend."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from tests.store.conftest import Clock, Statements


async def test_the_next_poll_reason_is_stored_with_the_time(store: Store, clock: Clock) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    assert (source.next_poll_at, source.next_poll_reason) == (None, "")
    later = clock.now + timedelta(minutes=15)
    recorded = await store.record_poll(
        source.id,
        now=clock.now,
        ok=True,
        status="ok",
        next_poll_at=later,
        next_poll_reason="publisher's max-age 15m",
    )
    assert (recorded.next_poll_at, recorded.next_poll_reason) == (later, "publisher's max-age 15m")
    (listed,) = await store.list_sources()
    assert listed.next_poll_reason == "publisher's max-age 15m"


async def test_a_polls_outcome_and_history_take_one_statement_on_postgresql(
    store: Store, clock: Clock
) -> None:
    """The single writer records every poll, 304s included: each statement is a round trip
    on PostgreSQL, while SQLite's are calls in the process."""
    source = await store.add_source("Wire", "https://wire.example/rss")
    with Statements(store) as sent:
        recorded = await store.record_poll(
            source.id, now=clock.now, ok=True, status="not modified", next_poll_at=clock.now
        )
    assert len(sent) == (1 if store.dialect == "postgresql" else 2)
    assert recorded.last_status == "not modified" and recorded.last_polled_at == clock.now
    (kept,) = await store.poll_history(source.id)
    assert (kept.polled_at, kept.ok, kept.status) == (clock.now, True, "not modified")
