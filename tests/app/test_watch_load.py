"""Loading many watches at once takes them out of the garbage collector's full passes."""

from __future__ import annotations

import gc

import pytest

from bot.app import build
from tests.app.harness import open_harness
from tests.fakes.feed_server import FeedServer


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_a_bulk_load_freezes_the_heap_and_a_small_change_does_not(
    tmp_path, monkeypatch, unfrozen
):
    monkeypatch.setattr(build, "FREEZE_AFTER_NEW_WATCHES", 3)
    async with FeedServer() as feeds:
        h = await open_harness(tmp_path, feeds, [], [])
        try:
            for word in ("alpha", "beta"):
                await h.app.store.add_watch(word, f"jsonl:{h.jsonl}")
            await h.app.refresh_watches()
            assert len(h.app.index) == 2
            assert gc.get_freeze_count() == 0
            for word in ("gamma", "delta", "epsilon"):
                await h.app.store.add_watch(word, f"jsonl:{h.jsonl}")
            await h.app.refresh_watches()
            assert len(h.app.index) == 5
            assert gc.get_freeze_count() > 0
        finally:
            await h.app.aclose()
