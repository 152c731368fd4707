"""Find the archived items a rule matches, newest first, with a count that never overstates.

The store pre-selects, newest first, the items that contain the rule's words (one prefix of
each of `Query.search_groups`, through its full-text index) and counts them; the rule itself
then checks the newest `check_limit` of them, a page at a time. When every candidate was
checked the count is exact; otherwise it is a lower bound and says so, with how many
candidates were left unchecked. The newest matches shown are always the newest there are:
every newer candidate was checked.

A rule without NOT can only gain matches from more text, so it is first tried on an item's
title and summary alone and reads the 800 words of its article only when that fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.item import Item
from bot.core.query import Query
from bot.core.rule_nodes import Node, Not
from bot.store import ArchivedItem, Store

__all__ = ["CHECK_LIMIT", "ArchiveMatches", "match_archive"]

CHECK_LIMIT = 1000
"""Candidates the rule checks per look-up (about 0.5 ms each for an 800-word article)."""
_PAGE = 100


@dataclass(frozen=True, slots=True)
class ArchiveMatches:
    """The newest matches of a rule in the archive, and how many there are (or at least)."""

    newest: list[ArchivedItem]
    matched: int
    checked: int
    candidates: int

    @property
    def complete(self) -> bool:
        """True when every candidate was checked, so `matched` is the exact count."""
        return self.checked >= self.candidates

    def count_text(self) -> str:
        """'37 items', 'at least 37 items' or 'no item among the newest 1,000 checked'."""
        noun = "item" if self.matched == 1 else "items"
        if self.complete:
            return f"{self.matched:,} {noun}"
        if self.matched:
            return f"at least {self.matched:,} {noun}"
        return f"no item among the newest {self.checked:,} checked"

    def unchecked_text(self) -> str:
        """Say how many candidates were left unchecked ("" when none were)."""
        if self.complete:
            return ""
        return (
            f"Only the newest {self.checked:,} of the {self.candidates:,} items with these words "
            "were checked: narrow the rule or the period for a full count."
        )


async def match_archive(
    store: Store,
    query: Query,
    *,
    since: datetime,
    limit: int,
    check_limit: int = CHECK_LIMIT,
) -> ArchiveMatches:
    """Check the newest `check_limit` candidates; keep the newest `limit` matches."""
    found = await store.find_archived(query.search_groups(), since=since, limit=check_limit)
    monotone = not _has_not(query.root)
    newest: list[ArchivedItem] = []
    matched = 0
    for start in range(0, len(found.ids), _PAGE):
        for archived in await store.get_items(found.ids[start : start + _PAGE]):
            if _matches(query, archived.item, monotone):
                matched += 1
                if len(newest) < limit:
                    newest.append(archived)
    return ArchiveMatches(newest, matched, len(found.ids), found.total)


def _matches(query: Query, item: Item, monotone: bool) -> bool:
    """`query.matches(item)`, trying a rule without NOT on the title and summary first."""
    if monotone and item.content and query.matches(replace(item, content="", boilerplate="")):
        return True
    return query.matches(item)


def _has_not(node: Node) -> bool:
    return isinstance(node, Not) or any(_has_not(child) for child in node.children())
