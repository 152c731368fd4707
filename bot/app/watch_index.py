"""The live set of active watch rules, compiled into one Matcher and kept in step with the store.

Parsed rules and the matcher's indexes live as long as the process. After a bulk load of
watches, and after the first item in a new language (which builds that language's stem index,
as large as the rules' word index), the index takes the heap out of the garbage collector's
full passes (`gc.freeze`): those would otherwise walk every rule and posting again every few
thousand items, about 0.4 s a pass at 100,000 rules.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.core.item import Item
from bot.core.matcher import Hit, Matcher
from bot.core.query import Match, Query, QuerySyntaxError, parse
from bot.store.records import WatchRecord

__all__ = ["WatchHit", "WatchIndex"]

log = logging.getLogger(__name__)

# Growing the long-lived index by at least this many rules (a bulk load), or building a
# language's stem index over at least this many, freezes the heap.
FREEZE_AFTER_NEW_WATCHES = 1000


@dataclass(frozen=True, slots=True)
class WatchHit:
    """A watch whose rule matched an item; `match` (why) is worked out only when read."""

    watch: WatchRecord
    query: Query
    hit: Hit

    @property
    def match(self) -> Match:
        """Which terms matched, where."""
        return self.hit.match


class WatchIndex:
    """Active (unpaused) watches by id, their parsed rules, and the matcher over them."""

    def __init__(self) -> None:
        self._matcher = Matcher()
        # The parsed rules live in the matcher only (`Matcher.query`).
        self._watches: dict[int, WatchRecord] = {}

    def __len__(self) -> int:
        return len(self._watches)

    def put(self, watch: WatchRecord, parsed: Query | None = None) -> None:
        """Add or replace `watch`; a paused watch or an unparsable rule is dropped.

        `parsed`: its rule already parsed (the config's validation did), else it is parsed here.
        """
        current = self._watches.get(watch.id)
        if current and current.query == watch.query and not watch.paused:
            self._watches[watch.id] = watch
            return
        self.drop(watch.id)
        if watch.paused:
            return
        if parsed is not None and parsed.source == watch.query:
            query = parsed
        else:
            try:
                query = parse(watch.query)
            except QuerySyntaxError as err:  # stored before a grammar change: never crash
                log.warning("watch #%s has a rule that no longer parses: %s", watch.id, err.message)
                return
        self._matcher.add(str(watch.id), query)
        self._watches[watch.id] = watch

    def drop(self, watch_id: int) -> None:
        """Forget a watch (removed or paused)."""
        if self._watches.pop(watch_id, None) is not None:
            self._matcher.remove(str(watch_id))

    def sync(self, watches: list[WatchRecord], parsed: Mapping[str, Query] | None = None) -> None:
        """Make the index equal to `watches` (the store's list), parsing only what changed
        and what `parsed` (rule -> parsed rule) does not already hold."""
        before = len(self._watches)
        self._keep_only({w.id for w in watches})
        self._update(watches, parsed or {})
        self._settle(before)

    async def sync_pages(
        self,
        read_page: Callable[[int], Awaitable[list[WatchRecord]]],
        parsed: Mapping[str, Query] | None = None,
    ) -> None:
        """`sync` with the store's list read a page at a time: `read_page(after_id)` gives the
        next watches by id (none when done). At 100,000 watches the whole list at once cost
        about 80 MB for a moment, every half minute (`App.refresh_watches`)."""
        before = len(self._watches)
        kept: set[int] = set()
        after = 0
        while page := await read_page(after):
            self._update(page, parsed or {})
            kept.update(w.id for w in page)
            after = page[-1].id
        self._keep_only(kept)
        self._settle(before)

    def _update(self, watches: list[WatchRecord], parsed: Mapping[str, Query]) -> None:
        for watch in watches:
            current = self._watches.get(watch.id)
            if current is None or current != watch:
                self.put(watch, parsed.get(watch.query))

    def _keep_only(self, wanted: set[int]) -> None:
        for watch_id in [i for i in self._watches if i not in wanted]:
            self.drop(watch_id)

    def _settle(self, before: int) -> None:
        if len(self._watches) - before >= FREEZE_AFTER_NEW_WATCHES:
            _freeze_long_lived()

    def query_of(self, watch_id: int) -> Query | None:
        """The parsed rule of an active watch."""
        return self._matcher.query(str(watch_id)) if watch_id in self._watches else None

    def match(self, item: Item) -> list[WatchHit]:
        """Every active watch whose rule matches `item`, in watch id order."""
        stem_indexes = self._matcher.stem_indexes()
        found = self._matcher.match(item)
        if (
            self._matcher.stem_indexes() != stem_indexes
            and len(self._matcher) >= FREEZE_AFTER_NEW_WATCHES
        ):
            _freeze_long_lived()
        hits = []
        query_of = self._matcher.query
        for hit in found:
            watch = self._watches.get(int(hit.rule_id))
            query = query_of(hit.rule_id)
            if watch is not None and query is not None:
                hits.append(WatchHit(watch, query, hit))
        hits.sort(key=lambda h: h.watch.id)
        return hits


def _freeze_long_lived() -> None:
    """Collect garbage, then move every object left to the collector's permanent generation."""
    gc.collect()  # so no garbage cycle is frozen with the index, never to be freed
    gc.freeze()
