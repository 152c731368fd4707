"""A follower worker's relay claims only immediate watches' deliveries; digests are the leader's
(so one worker composes each digest whole). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.core.item import Item
from bot.store import NewDelivery, Store
from tests.store.conftest import START


async def test_a_follower_leaves_digests_to_the_leader(store: Store) -> None:
    source = await store.add_source("Wire", "https://wire.example/rss")
    now_watch = await store.add_watch("algeria", "console")
    digest = await store.add_watch("algeria", "console", mode="hourly")
    items = [Item(title=f"Algeria {n}", url=f"https://wire.example/{n}") for n in range(2)]
    async with store.transaction() as tx:
        new = await tx.add_new_items(source.id, items, now=START)
        await tx.enqueue(
            [NewDelivery(now_watch.id, i.id) for i in new]
            + [NewDelivery(digest.id, i.id, due_at=START) for i in new],
            now=START,
        )
    assert await store.count_unsent() == 4
    later = START + timedelta(seconds=1)
    follower = await store.claim_deliveries(later, lease_s=60, digests=False)
    assert {j.watch.id for j in follower} == {now_watch.id} and len(follower) == 2
    leader = await store.claim_deliveries(later, lease_s=60)
    assert {j.watch.id for j in leader} == {digest.id} and len(leader) == 2
    assert await store.count_unsent() == 4  # claimed ("sending") is not settled
