"""The JSON form of an alert, shared by the JSONL file output and the webhook output.

One object per message:

    {"type": "alert" | "update" | "digest" | "burst", "delivery_id": 41,
     "watch": {"id": 12, "query": "Algeria AND readmission", "destination": "jsonl:a.jsonl"},
     "item": {...the first (newest) story's item...}, "summary": "...", "highlights": [[0, 7]],
     "matched": ["algeria", "readmission"], "also_reported_by": ["Gulf Observer"],
     "updates": "40" | null, "stories": [{"item": ..., "summary": ..., "highlights": ...,
     "matched": ...}, ...], "more": 0}

`item` never carries the article's full content (it can be large and its licence is the
publisher's); `published` is ISO 8601 or null. Invisible format characters (bidi controls,
zero-width characters) are removed from every text and percent-encoded in URLs
(`bot.core.visible`); `highlights` are offsets into the cleaned summary.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from bot.core.alert import Alert, Story
from bot.core.item import Item
from bot.core.visible import strip_invisible, strip_invisible_marked, visible_url

__all__ = ["alert_to_json", "alert_to_line", "item_to_json", "story_to_json"]


def item_to_json(item: Item) -> dict[str, Any]:
    """Return the item's fields without its content; naive datetimes are taken as UTC."""
    published = item.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return {
        "title": strip_invisible(item.title),
        "url": visible_url(item.url),
        "source": strip_invisible(item.source),
        "author": strip_invisible(item.author),
        "lang": strip_invisible(item.lang),
        "published": published.isoformat() if published is not None else None,
        "tags": [strip_invisible(tag) for tag in item.tags],
        "summary": strip_invisible(item.summary),
    }


def story_to_json(story: Story) -> dict[str, Any]:
    """Return one story: its item, its summary with the emphasised spans, the matched terms."""
    summary = strip_invisible_marked(story.summary)
    return {
        "item": item_to_json(story.item),
        "summary": summary.text,
        "highlights": [[start, end] for start, end in summary.marks],
        "matched": list(story.matched),
    }


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """Return the JSON object for `alert` (the same for every kind, `stories` newest first)."""
    stories = [story_to_json(story) for story in alert.stories]
    first = stories[0] if stories else None
    return {
        "type": alert.kind,
        "delivery_id": alert.delivery_id,
        "watch": {
            "id": alert.watch.id,
            "query": strip_invisible(alert.watch.query),
            "destination": alert.watch.destination,
        },
        "item": first["item"] if first else None,
        "summary": first["summary"] if first else "",
        "highlights": first["highlights"] if first else [],
        "matched": first["matched"] if first else [],
        "also_reported_by": [strip_invisible(name) for name in alert.also_reported_by],
        "updates": alert.updates,
        "stories": stories,
        "more": 0,  # kept for readers of older records: every story is listed now
    }


def alert_to_line(alert: Alert) -> bytes:
    """Return `alert` as one UTF-8 JSON line ending in a newline (unencodable text replaced)."""
    text = json.dumps(alert_to_json(alert), ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8", errors="replace")
