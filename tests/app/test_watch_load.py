"""Long-lived rules and indexes are taken out of the garbage collector's full passes: after a
bulk load of watches, and after the first item in a new language builds its stem index."""

from __future__ import annotations

import gc

import pytest

from bot.app import watch_index
from bot.app.watch_index import WatchIndex
from bot.core.item import Item
from bot.core.query import Query, parse
from bot.store.records import WatchRecord
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
    monkeypatch.setattr(watch_index, "FREEZE_AFTER_NEW_WATCHES", 3)
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


def test_the_first_item_in_a_language_freezes_the_heap_once(monkeypatch, unfrozen):
    monkeypatch.setattr(watch_index, "FREEZE_AFTER_NEW_WATCHES", 3)
    index = WatchIndex()
    index.sync([WatchRecord(n, word, "console") for n, word in enumerate(("alpha", "beta"), 1)])
    assert gc.get_freeze_count() == 0
    assert index.match(Item(title="alpha news", lang="en"))  # two rules: below the threshold
    assert gc.get_freeze_count() == 0
    index.put(WatchRecord(3, "gamma", "console"))
    assert index.match(Item(title="gamma news", lang="en"))  # English index already built
    assert gc.get_freeze_count() == 0
    assert index.match(Item(title="gamma nouvelles", lang="fr"))  # a new language: French
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    assert index.match(Item(title="beta nouvelles", lang="fr"))
    assert index.match(Item(title="beta news", lang="en"))
    assert gc.get_freeze_count() == 0
    assert index.match(Item(title="gamma nachrichten", lang="de"))
    assert gc.get_freeze_count() > 0


async def test_the_start_parses_each_config_rule_once(tmp_path, monkeypatch):
    parsed: list[str] = []

    def counting_parse(rule: str) -> Query:
        parsed.append(rule)
        return parse(rule)

    monkeypatch.setattr(watch_index, "parse", counting_parse)
    rules = ["alpha", "beta OR gamma", '"delta epsilon" NEAR/3 zeta']
    async with FeedServer() as feeds:
        h = await open_harness(tmp_path, feeds, [], rules)  # validation parses each rule
        try:
            assert parsed == []  # the index took the config's parsed rules
            watches = await h.app.store.list_watches()
            assert [str(h.app.index.query_of(w.id)) for w in watches] == [
                str(parse(rule)) for rule in rules
            ]
            await h.app.store.add_watch("eta", f"jsonl:{h.jsonl}")
            await h.app.refresh_watches()  # a watch from chat is parsed where it is loaded
            assert parsed == ["eta"]
            assert len(h.app.index) == 4
        finally:
            await h.app.aclose()


def test_the_index_keeps_each_rule_once_and_answers_with_it():
    index = WatchIndex()
    index.sync([WatchRecord(1, "alpha", "console"), WatchRecord(2, "beta OR gamma", "console")])
    rule = index.query_of(2)
    assert rule is not None and rule.source == "beta OR gamma"
    (hit,) = index.match(Item(title="gamma news", lang="en"))
    assert hit.watch.id == 2 and hit.query is rule
    # A new destination keeps the parsed rule; a new rule replaces it; a pause drops it.
    index.put(WatchRecord(2, "beta OR gamma", "jsonl:out.jsonl"))
    assert index.query_of(2) is rule
    assert [h.watch.destination for h in index.match(Item(title="beta"))] == ["jsonl:out.jsonl"]
    index.put(WatchRecord(2, "delta", "console"))
    assert index.query_of(2) is not rule and index.match(Item(title="gamma news")) == []
    index.put(WatchRecord(1, "alpha", "console", paused=True))
    assert index.query_of(1) is None and index.match(Item(title="alpha")) == []
    assert len(index) == 1


async def test_the_refresh_reads_the_watches_a_page_at_a_time(tmp_path, monkeypatch):
    # Every half minute the bot re-reads its watches: at 100,000 of them, all at once cost
    # about 80 MB for a moment. A page at a time, the index still ends equal to the store.
    from bot.app import build

    monkeypatch.setattr(build, "WATCH_PAGE", 2)
    async with FeedServer() as feeds:
        h = await open_harness(tmp_path, feeds, [], [])
        try:
            store = h.app.store
            ids = [
                (await store.add_watch(word, f"jsonl:{h.jsonl}")).id
                for word in ("alpha", "beta", "gamma", "delta", "epsilon")
            ]
            pages: list[int] = []
            listing = store.list_watches

            async def counted(**kwargs):
                found = await listing(**kwargs)
                pages.append(len(found))
                return found

            monkeypatch.setattr(store, "list_watches", counted)
            await h.app.refresh_watches()
            assert len(h.app.index) == 5
            assert pages == [2, 2, 1, 0]
            await store.remove_watch(ids[1])
            await store.set_watch_paused(ids[3], True)
            await store.set_watch_rule(ids[4], "zeta", mode="immediate", tz="UTC")
            await h.app.refresh_watches()
            assert len(h.app.index) == 3
            assert [h.app.index.query_of(i) is not None for i in ids] == [
                True,
                False,
                True,
                False,
                True,
            ]
            assert str(h.app.index.query_of(ids[4])) == "zeta"
            assert [w.watch.id for w in h.app.index.match(Item(title="zeta alpha"))] == [
                ids[0],
                ids[4],
            ]
        finally:
            await h.app.aclose()
