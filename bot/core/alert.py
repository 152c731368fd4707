"""What a notifier renders: an alert, an update to one, a digest or a burst fold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.item import Item

__all__ = ["Alert", "AlertKind", "Marked", "Story", "WatchRef"]

AlertKind = Literal["alert", "update", "digest", "burst"]


@dataclass(frozen=True, slots=True)
class Marked:
    """Plain text with character spans to emphasise (matched words, rendered bold)."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()

    def segments(self) -> list[tuple[str, bool]]:
        """Split the text into (piece, emphasised) runs; overlapping marks are merged."""
        spans = sorted((max(0, s), min(len(self.text), e)) for s, e in self.marks if e > s)
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            elif s < e:
                merged.append((s, e))
        out: list[tuple[str, bool]] = []
        pos = 0
        for s, e in merged:
            if s > pos:
                out.append((self.text[pos:s], False))
            out.append((self.text[s:e], True))
            pos = e
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out


@dataclass(frozen=True, slots=True)
class WatchRef:
    """The watch an alert is for, as shown in the alert's footer."""

    id: int
    query: str
    destination: str
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """One item as shown in an alert: the item, its summary, the terms that matched, and the
    spans of its title that the rule matched (marked as in the summary where a surface can)."""

    item: Item
    summary: Marked
    matched: tuple[str, ...] = ()
    item_id: int | None = None
    title_marks: tuple[tuple[int, int], ...] = ()

    @property
    def title(self) -> Marked:
        """The item's title with the words the rule matched marked."""
        return Marked(self.item.title, self.title_marks)


@dataclass(frozen=True, slots=True)
class Alert:
    """One message for one destination.

    kind "alert": one story. "update": the same story reported by more outlets; `updates` is the
    platform reference (Slack ts, Discord message id, or delivery id) of the message to update.
    "digest": several stories, newest first. "burst": stories folded because one watch posted
    too many in a minute. A digest or burst carries every story it stands for (those past
    `[alerts] digest_limit` with an empty summary): an output lists them all, splitting the
    message where its platform's limits demand, and never reduces a story to a count.

    `retry_since` is set on a retry whose earlier attempt may have reached the platform: the
    time that attempt began. A notifier for a platform that cannot drop a repeat (Slack) looks
    for the message posted since then and adopts it instead of posting again.
    """

    delivery_id: int
    kind: AlertKind
    watch: WatchRef
    stories: tuple[Story, ...]
    also_reported_by: tuple[str, ...] = ()
    updates: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    retry_since: datetime | None = None

    @property
    def story(self) -> Story:
        """The first (for alerts and updates, the only) story."""
        return self.stories[0]
