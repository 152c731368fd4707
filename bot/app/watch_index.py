"""The live set of active watch rules, compiled into one Matcher and kept in step with the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.item import Item
from bot.core.matcher import Hit, Matcher
from bot.core.query import Match, Query, QuerySyntaxError, parse
from bot.store.records import WatchRecord

__all__ = ["WatchHit", "WatchIndex"]

log = logging.getLogger(__name__)


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
        self._watches: dict[int, tuple[WatchRecord, Query]] = {}

    def __len__(self) -> int:
        return len(self._watches)

    def put(self, watch: WatchRecord) -> None:
        """Add or replace `watch`; a paused watch or an unparsable rule is dropped."""
        current = self._watches.get(watch.id)
        if current and current[0].query == watch.query and not watch.paused:
            self._watches[watch.id] = (watch, current[1])
            return
        self.drop(watch.id)
        if watch.paused:
            return
        try:
            query = parse(watch.query)
        except QuerySyntaxError as err:  # stored before a grammar change; never crash the poller
            log.warning("watch #%s has a rule that no longer parses: %s", watch.id, err.message)
            return
        self._matcher.add(str(watch.id), query)
        self._watches[watch.id] = (watch, query)

    def drop(self, watch_id: int) -> None:
        """Forget a watch (removed or paused)."""
        if self._watches.pop(watch_id, None) is not None:
            self._matcher.remove(str(watch_id))

    def sync(self, watches: list[WatchRecord]) -> None:
        """Make the index equal to `watches` (the store's list), parsing only what changed."""
        wanted = {w.id: w for w in watches}
        for watch_id in [i for i in self._watches if i not in wanted]:
            self.drop(watch_id)
        for watch in watches:
            current = self._watches.get(watch.id)
            if current is None or current[0] != watch:
                self.put(watch)

    def query_of(self, watch_id: int) -> Query | None:
        """The parsed rule of an active watch."""
        entry = self._watches.get(watch_id)
        return entry[1] if entry else None

    def match(self, item: Item) -> list[WatchHit]:
        """Every active watch whose rule matches `item`, in watch id order."""
        hits = []
        for hit in self._matcher.match(item):
            entry = self._watches.get(int(hit.rule_id))
            if entry is not None:
                hits.append(WatchHit(entry[0], entry[1], hit))
        hits.sort(key=lambda h: h.watch.id)
        return hits
