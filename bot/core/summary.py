"""Query-focused extractive summaries: the lede and the sentences that say why an item matched.

The source text is the item's content when present, else its feed summary, as plain text. The
source's boilerplate was taken out when the item came in (`bot.core.boilerplate_learning`). Sentences are ranked: first the one holding the most distinct matched words, then
the lede, then the sentences after the lede. The chosen ones are shown in reading order, at most
`max_sentences` of them and about `max_chars` characters. A sentence that restates the headline
is skipped when the body has anything else to say; an empty body falls back to the title.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.alert import Marked
from bot.core.cleaning import html_to_text
from bot.core.item import Item
from bot.core.sentences import split_sentences
from bot.core.text import fold, words

__all__ = ["ELLIPSIS", "Highlighter", "split_sentences", "summarize"]

Highlighter = Callable[[str], list[tuple[int, int]]]
"""Return the spans of the matched words in a text."""

ELLIPSIS = "…"
# "About max_chars": two sentences may overrun the budget by this factor before one is dropped.
_SLACK = 1.1
# Only the start of a huge article is read: the lede and the reasons to alert are there.
_MAX_SOURCE_CHARS = 100_000
# A sentence whose words are at least this share of headline words restates the headline.
_RESTATES_HEADLINE = 0.8


def summarize(
    item: Item,
    highlight: Highlighter | None = None,
    *,
    max_chars: int = 300,
    max_sentences: int = 2,
) -> Marked:
    """Summarise `item` in a few sentences, marking the words `highlight` finds in the result."""
    max_chars = max(1, max_chars)
    max_sentences = max(1, max_sentences)
    sentences = _body_sentences(item)
    if not sentences:
        text = _cut(_tidy_title(item.title), max_chars)
    else:
        chosen = _choose(sentences, highlight, max_chars, max_sentences)
        text = " ".join(sentences[i] for i in chosen)
        if len(text) > max_chars * _SLACK:
            text = _cut(text, max_chars)
    return Marked(text, _marks(text, highlight))


def _tidy_title(title: str) -> str:
    """Return the title as plain text on one line."""
    return " ".join(html_to_text(title).split())


def _body_sentences(item: Item) -> list[str]:
    """Return the item's sentences that have words, without a restated headline."""
    raw = item.content if item.content.strip() else item.summary
    text = html_to_text(raw[:_MAX_SOURCE_CHARS])
    sentences = [
        " ".join(text[start:end].split())
        for start, end in split_sentences(text, item.lang)
        if words(text[start:end])
    ]
    title_words = set(words(_tidy_title(item.title)))
    news = [s for s in sentences if not _restates(s, title_words)]
    return news or sentences


def _restates(sentence: str, title_words: set[str]) -> bool:
    sentence_words = words(sentence)
    if not sentence_words or not title_words:
        return False
    shared = sum(1 for w in sentence_words if w in title_words)
    return shared / len(sentence_words) >= _RESTATES_HEADLINE


def _choose(
    sentences: list[str], highlight: Highlighter | None, max_chars: int, max_sentences: int
) -> list[int]:
    """Pick sentence indexes by priority, within the budget, returned in reading order."""
    scores = [_match_score(s, highlight) for s in sentences]
    matched = sorted((i for i, score in enumerate(scores) if score), key=lambda i: (-scores[i], i))
    priority = [*matched[:1], 0, *matched[1:], *range(1, len(sentences))]
    chosen: list[int] = []
    used = 0
    for index in priority:
        if index in chosen or len(chosen) >= max_sentences:
            continue
        cost = len(sentences[index]) + (1 if chosen else 0)
        if not chosen or used + cost <= max_chars * _SLACK:
            chosen.append(index)
            used += cost
    return sorted(chosen)


def _match_score(sentence: str, highlight: Highlighter | None) -> int:
    """Count the distinct matched words in `sentence`."""
    if highlight is None:
        return 0
    return len({fold(sentence[s:e]) for s, e in _safe_spans(sentence, highlight)})


def _marks(text: str, highlight: Highlighter | None) -> tuple[tuple[int, int], ...]:
    if highlight is None:
        return ()
    return tuple(sorted(set(_safe_spans(text, highlight))))


def _safe_spans(text: str, highlight: Highlighter) -> list[tuple[int, int]]:
    """Call `highlight` and keep only spans that lie inside `text`."""
    return [(s, e) for s, e in highlight(text) if 0 <= s < e <= len(text)]


def _cut(text: str, max_chars: int) -> str:
    """Cut `text` at a word boundary to at most `max_chars` characters, ending with an ellipsis."""
    if len(text) <= max_chars:
        return text
    room = max(1, max_chars - len(ELLIPSIS))
    head = text[:room]
    if not text[room].isspace() and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:-–—(\"'«“") + ELLIPSIS
