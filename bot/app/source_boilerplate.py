"""Take each source's learned boilerplate out of its new items, before anything reads them.

The pipeline calls `learn_and_clean` once per poll with new items, with the source's state (read
beside the poll's check for new items, `Store.unseen_and_boilerplate`; polls without new items
read none): the new items are counted and cleaned in a worker thread, and the state to save
comes back for the poll's write job. Nothing
is loaded at start-up and nothing is held in memory between polls, so a thousand sources cost
nothing until they publish, and several processes sharing a database see the same state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.boilerplate_learning import SourceBoilerplate
from bot.core.item import Item

__all__ = ["CleanedPoll", "clean_items", "learn_and_clean"]


@dataclass(frozen=True, slots=True)
class CleanedPoll:
    """A poll's items with the new ones cleaned, and the source's state to save."""

    items: list[Item]
    new: list[Item]
    state: str | None


def clean_items(
    learner: SourceBoilerplate, items: list[Item], new: list[Item]
) -> tuple[list[Item], list[Item]]:
    """Learn from `new` (the items the source had not shown) and clean them, in `items` too."""
    learner.observe(new)
    cleaned = {id(item): learner.clean(item) for item in new}
    return [cleaned.get(id(item), item) for item in items], [cleaned[id(item)] for item in new]


async def learn_and_clean(state: str | None, items: list[Item], new: list[Item]) -> CleanedPoll:
    """Update the source's boilerplate `state` with its new items and take it out of them."""
    if not new:
        return CleanedPoll(items, new, None)
    learner = SourceBoilerplate.from_state(state)
    items, new = await asyncio.to_thread(clean_items, learner, items, new)
    return CleanedPoll(items, new, learner.to_state())
