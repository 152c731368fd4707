"""Turn an item and the rule that matched it into a Story: title and summary with bold marks."""

from __future__ import annotations

from bot.core.alert import Story
from bot.core.item import Item
from bot.core.query import Query
from bot.core.summary import summarize

__all__ = ["story_for", "title_marks"]


def title_marks(item: Item, query: Query) -> tuple[tuple[int, int], ...]:
    """The spans of the item's title holding a word the rule matches."""
    return tuple(query.highlight(item.title, item.lang)) if item.title else ()


def story_for(
    item: Item, query: Query | None, *, item_id: int | None = None, max_chars: int = 300
) -> Story:
    """Summarise `item` for `query` (matched words marked) and record which terms matched."""
    if query is None:
        return Story(item=item, summary=summarize(item, max_chars=max_chars), item_id=item_id)
    lang = item.lang

    def highlight(text: str) -> list[tuple[int, int]]:
        return query.highlight(text, lang)

    match = query.explain(item)
    matched = match.terms if match is not None else ()
    summary = summarize(item, highlight, max_chars=max_chars)
    return Story(
        item=item,
        summary=summary,
        matched=tuple(matched),
        item_id=item_id,
        title_marks=title_marks(item, query),
    )
