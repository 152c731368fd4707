"""Poll claims: renewing, handing back, and when the next source falls due (both backends)."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from tests.store.conftest import START


def at(seconds: float):
    return START + timedelta(seconds=seconds)


async def test_leases_still_held_move_and_recorded_polls_are_left_alone(store: Store) -> None:
    a = await store.add_source("A", "https://a.example/1")
    b = await store.add_source("B", "https://a.example/2")
    claimed = await store.claim_due_sources(START, lease_s=15)
    leases = {s.id: at(15) for s in claimed}
    await store.record_poll(b.id, now=at(5), ok=True, status="ok", next_poll_at=at(300))

    assert await store.move_source_leases(leases, at(25)) == [a.id]  # renewed
    by_id = {s.id: s for s in await store.list_sources()}
    assert (by_id[a.id].next_poll_at, by_id[b.id].next_poll_at) == (at(25), at(300))
    # a renewal naming the old lease end no longer matches: someone else's claim is safe
    assert await store.move_source_leases({a.id: at(15)}, at(40)) == []
    # handed back: due at once
    assert await store.move_source_leases({a.id: at(25)}, at(7)) == [a.id]
    assert [s.id for s in await store.claim_due_sources(at(7))] == [a.id]


async def test_next_poll_due_is_the_earliest_enabled_source_not_excluded(store: Store) -> None:
    assert await store.next_poll_due(START) is None
    a = await store.add_source("A", "https://a.example/1")
    b = await store.add_source("B", "https://a.example/2")
    off = await store.add_source("C", "https://a.example/3")
    await store.update_source(off.id, enabled=False)
    assert await store.next_poll_due(START) == START  # never polled: due now
    await store.record_poll(a.id, now=START, ok=True, status="ok", next_poll_at=at(60))
    await store.record_poll(b.id, now=START, ok=True, status="ok", next_poll_at=at(30))
    assert await store.next_poll_due(START) == at(30)
    assert await store.next_poll_due(START, exclude=[b.id]) == at(60)
    assert await store.next_poll_due(START, exclude=[a.id, b.id]) is None
