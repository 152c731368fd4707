"""Archive look-ups for /news and previews: the newest matches, and a count that never overstates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands.archive_lookup import ArchiveMatches, match_archive
from bot.core.item import Item
from bot.core.query import parse
from bot.store import Store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'archive.db'}")
    try:
        yield opened
    finally:
        await opened.close()


async def archive(store: Store, items: list[Item]) -> list[int]:
    source = await store.add_source("Wire", "https://wire.example/rss")
    async with store.transaction() as tx:
        new = await tx.add_new_items(source.id, items, now=NOW)
    return [a.id for a in new]


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


async def test_older_matches_behind_newer_non_matches_are_found_and_counted(store) -> None:
    # The newest items have both words but not the phrase: the two older ones match.
    newer = [
        Item(f"moratorium on fishing in the fjord {n}", guid=f"n{n}", published=hours_ago(n))
        for n in range(1, 6)
    ]
    older = [
        Item(f"fjord moratorium holds {n}", guid=f"o{n}", published=hours_ago(100 + n))
        for n in range(2)
    ]
    ids = await archive(store, newer + older)
    found = await match_archive(store, parse('"fjord moratorium"'), since=WEEK_AGO, limit=10)
    assert [a.id for a in found.newest] == ids[5:]
    assert (found.matched, found.checked, found.candidates) == (2, 7, 7)
    assert found.complete and found.count_text() == "2 items" and found.unchecked_text() == ""


async def test_a_count_past_the_check_limit_is_a_lower_bound_that_says_so(store) -> None:
    await archive(
        store,
        [Item(f"gas deal {n}", guid=str(n), published=hours_ago(n)) for n in range(1, 8)],
    )
    found = await match_archive(store, parse("gas"), since=WEEK_AGO, limit=2, check_limit=3)
    assert [a.item.title for a in found.newest] == ["gas deal 1", "gas deal 2"]
    assert (found.matched, found.checked, found.candidates) == (3, 3, 7)
    assert not found.complete
    assert found.count_text() == "at least 3 items"
    assert "newest 3 of the 7 items" in found.unchecked_text()


async def test_no_match_among_those_checked_is_not_a_zero(store) -> None:
    await archive(
        store,
        [Item(f"gas deal {n}", guid=str(n), published=hours_ago(n)) for n in range(1, 6)],
    )
    found = await match_archive(
        store, parse("gas AND NOT deal"), since=WEEK_AGO, limit=2, check_limit=3
    )
    assert found.newest == [] and found.count_text() == "no item among the newest 3 checked"


async def test_a_rule_with_not_is_never_decided_on_the_title_alone(store) -> None:
    await archive(
        store,
        [
            Item("Algeria gas", content="The readmission talks stalled.", guid="1"),
            Item("Algeria gas", content="Prices rose.", guid="2"),
            Item("Nothing here", content="Algeria signed a gas deal.", guid="3"),
        ],
    )
    rule = parse("Algeria AND gas AND NOT readmission")
    found = await match_archive(store, rule, since=WEEK_AGO, limit=10)
    assert sorted(a.item.guid for a in found.newest) == ["2", "3"]
    positive = await match_archive(store, parse("Algeria AND gas"), since=WEEK_AGO, limit=10)
    assert positive.matched == 3  # one of them only in the article text


@pytest.mark.parametrize(
    ("matched", "checked", "candidates", "text"),
    [
        (1, 1, 1, "1 item"),
        (0, 4, 4, "0 items"),
        (1_234, 2_000, 2_000, "1,234 items"),
        (1, 1_000, 5_000, "at least 1 item"),
    ],
)
def test_count_text(matched: int, checked: int, candidates: int, text: str) -> None:
    assert ArchiveMatches([], matched, checked, candidates).count_text() == text
