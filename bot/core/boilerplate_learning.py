"""Learn each source's boilerplate from its own items, and take it out of their text.

A source's boilerplate is the lines and sentences it repeats across its items: Hacker News'
"Article URL: … / Comments URL: … / Points: 12", a CMS's "Total Views : 10" and "Zoom In Zoom
Out Read Later Print", WordPress's "The post <title> appeared first on <blog>". Each line of an
item's summary and content, and each sentence of a line, is reduced to a *shape*: its folded
words, with URLs dropped, every number written 0 and the item's own title replaced by one
marker, so "Points: 12" and "Points: 341" are one shape. A shape found in at least
`MIN_REPEATS` items and in at least `MIN_SHARE` of the items the source has shown is that
source's boilerplate.

`SourceBoilerplate.observe` counts the shapes of items the source has not shown before (each
item once); `clean` removes the lines and sentences whose shape is boilerplate from an item's
summary and content, and keeps what it removed in `Item.boilerplate`, which only a `content:`
rule reads. Counts halve every `HALF_LIFE_ITEMS` items, so a source that changes its template
is relearned, and at most `MAX_SHAPES` shapes are kept, the most frequent: the state of one
source is a few kilobytes (`to_state` / `from_state`, JSON). Until a source has shown
`GENERIC_UNTIL` items with text, the generic list of `bot.core.boilerplate` applies as well.
Shapes are remembered as short hashes, never as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from bot.core.boilerplate import split_boilerplate, strip_truncation_marks
from bot.core.item import Item
from bot.core.sentences import split_sentences
from bot.core.text import words

__all__ = [
    "GENERIC_UNTIL",
    "HALF_LIFE_ITEMS",
    "MAX_SHAPES",
    "MIN_REPEATS",
    "MIN_SHARE",
    "SourceBoilerplate",
    "shape_of",
]

MIN_REPEATS = 3
"""A shape seen in fewer items is never boilerplate."""
MIN_SHARE = 0.3
"""A shape must be in at least this share of the source's items (after decay)."""
GENERIC_UNTIL = 10
"""The generic list applies while the source has shown fewer items with text than this."""
HALF_LIFE_ITEMS = 200
"""Every this many items, all counts halve (shapes whose count drops below 1 are forgotten)."""
MAX_SHAPES = 400
"""At most this many shapes are remembered per source, the most frequent."""
_MAX_SEGMENT_CHARS = 400  # a longer line or sentence is prose, never a template
_EDGE_LINES = 24  # lines learned from at each end of a long text
_STATE_VERSION = 1
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_GROUPED_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # 1,204 and 3.5 are one number
_NUMBER = re.compile(r"[^\s\d]*\d\S*")  # a word with a digit in it
_TITLE = "\x01"


def shape_of(segment: str, title_words: str = "") -> str:
    """The shape of a line or sentence: folded words, no URLs, numbers as 0, title as a marker.

    `title_words` is the item's title as `" ".join(words(title))`. A segment without a word,
    or too long to be a template, has no shape: "".
    """
    if len(segment) > _MAX_SEGMENT_CHARS:
        return ""
    if "://" in segment or "www." in segment:
        segment = _URL.sub(" ", segment)
    found = words(_GROUPED_NUMBER.sub("0", segment))
    if not found:
        return ""
    shaped = _NUMBER.sub("0", " ".join(found))
    if title_words and title_words.count(" ") >= 2:  # titles of three words or more
        shaped = f" {shaped} ".replace(f" {title_words} ", f" {_TITLE} ").strip()
    return shaped


def _digest(shape: str) -> str:
    raw = hashlib.blake2b(shape.encode("utf-8"), digest_size=8).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _segments(line: str, lang: str) -> Iterator[str]:
    """The line itself, then its sentences when it has more than one."""
    yield line
    spans = split_sentences(line, lang)
    if len(spans) > 1:
        for start, end in spans:
            yield line[start:end]


def _edge_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) <= 2 * _EDGE_LINES:
        return lines
    return lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]


@dataclass(slots=True)
class SourceBoilerplate:
    """What one source repeats across its items: shape counts, decayed, and what that makes."""

    items: float = 0.0
    """Items with text the source has shown (decayed with the counts)."""
    counts: dict[str, float] = field(default_factory=dict)
    _learned: frozenset[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_state(cls, state: str | None) -> SourceBoilerplate:
        """Rebuild from `to_state`'s JSON; anything unreadable starts afresh."""
        if not state:
            return cls()
        try:
            data = json.loads(state)
            items = float(data["items"])
            counts = {str(k): float(v) for k, v in dict(data["counts"]).items()}
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()
        if data.get("v") != _STATE_VERSION or items < 0:
            return cls()
        return cls(items, counts)

    def to_state(self) -> str:
        """The state as compact JSON (shape hashes and counts), to store with the source."""
        counts = {k: round(v, 3) for k, v in self.counts.items()}
        data = {"v": _STATE_VERSION, "items": round(self.items, 3), "counts": counts}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @property
    def learned(self) -> frozenset[str]:
        """The hashes of the shapes that are this source's boilerplate now."""
        if self._learned is None:
            floor = max(MIN_REPEATS, MIN_SHARE * self.items)
            self._learned = frozenset(k for k, c in self.counts.items() if c >= floor)
        return self._learned

    @property
    def generic(self) -> bool:
        """Whether the generic list still applies (the source has shown few items)."""
        return self.items < GENERIC_UNTIL

    def observe(self, items: Iterable[Item]) -> None:
        """Count the shapes of items the source has not shown before (each item once)."""
        for item in items:
            found = self._item_shapes(item)
            if found is None:
                continue
            self.items += 1
            for key in found:
                self.counts[key] = self.counts.get(key, 0.0) + 1.0
            if self.items >= 2 * HALF_LIFE_ITEMS:
                self._halve()
        if len(self.counts) > MAX_SHAPES:
            kept = sorted(self.counts.items(), key=lambda kv: kv[1], reverse=True)[:MAX_SHAPES]
            self.counts = dict(kept)
        self._learned = None

    def clean(self, item: Item) -> Item:
        """Return `item` without its source's boilerplate (kept in `boilerplate`)."""
        generic = self.generic
        title_words = " ".join(words(item.title))
        removed: list[str] = []
        summary = self._clean_text(item.summary, item.lang, title_words, generic, removed)
        content = self._clean_text(item.content, item.lang, title_words, generic, removed)
        if (summary, content) == (item.summary, item.content) and not removed:
            return item
        unique = [piece for piece in dict.fromkeys(removed) if piece not in item.boilerplate]
        kept = "\n".join(filter(None, [item.boilerplate, *unique]))
        return replace(item, summary=summary, content=content, boilerplate=kept)

    def _item_shapes(self, item: Item) -> set[str] | None:
        """The hashes of the item's line and sentence shapes; None when it has no text."""
        if not item.summary.strip() and not item.content.strip():
            return None
        title_words = " ".join(words(item.title))
        found: set[str] = set()
        for text in (item.summary, item.content):
            for line in _edge_lines(text):
                for segment in _segments(line, item.lang):
                    shape = shape_of(segment, title_words)
                    if shape:
                        found.add(_digest(shape))
        return found

    def _is_learned(self, segment: str, title_words: str) -> bool:
        learned = self.learned
        if not learned:
            return False
        shape = shape_of(segment, title_words)
        return bool(shape) and _digest(shape) in learned

    def _clean_text(
        self, text: str, lang: str, title_words: str, generic: bool, removed: list[str]
    ) -> str:
        if not text:
            return text
        text = strip_truncation_marks(text)
        if generic:
            text, cut = split_boilerplate(text)
            removed.extend(cut)
        if not self.learned:
            return text
        kept_lines: list[str] = []
        for raw_line in text.split("\n"):
            line = raw_line.strip()
            if not line:
                continue
            if self._is_learned(line, title_words):
                removed.append(line)
                continue
            spans = split_sentences(line, lang)
            if len(spans) > 1:
                sentences = [line[start:end] for start, end in spans]
                dropped = [s for s in sentences if self._is_learned(s, title_words)]
                if dropped:
                    removed.extend(dropped)
                    line = " ".join(s for s in sentences if s not in dropped)
            kept_lines.append(line)
        return "\n".join(kept_lines)

    def _halve(self) -> None:
        self.items /= 2
        self.counts = {k: c / 2 for k, c in self.counts.items() if c / 2 >= 1.0}
