"""Remove what a reader cannot see: bidi controls and other invisible format characters.

Feed text is hostile. A U+202E (RIGHT-TO-LEFT OVERRIDE) in a headline makes `gnp.exe` read as
`exe.png`; zero-width characters hide words from people while keeping them for machines; tag
characters (U+E0020-U+E007F) smuggle invisible ASCII. Every renderer (Slack, Discord, the console,
JSONL and webhook) passes text from outside through `strip_invisible` before it escapes and lays
it out, so all outputs show the same, visible text.

Removed: every character of Unicode category Cf (format), which includes the bidi embeddings,
overrides and isolates (U+202A-U+202E, U+2066-U+2069), the marks U+200E, U+200F and U+061C,
zero-width space U+200B, word joiner U+2060, the soft hyphen U+00AD, U+FEFF and tag characters.
Kept: ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER (U+200C, U+200D), which Persian, the Indic
scripts and emoji sequences need, and the prepended concatenation marks (U+0600-U+0605, U+06DD,
U+070F, U+0890, U+0891, U+08E2, U+110BD, U+110CD), which are visible signs.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from urllib.parse import quote

from bot.core.alert import Marked

__all__ = ["is_invisible", "strip_invisible", "strip_invisible_marked", "visible_url"]

_KEPT = frozenset(
    "\u200c\u200d\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\U000110bd\U000110cd"
)


@lru_cache(maxsize=4096)
def is_invisible(char: str) -> bool:
    """True for a format character a reader cannot see (see the module docstring)."""
    return unicodedata.category(char) == "Cf" and char not in _KEPT


def strip_invisible(text: str) -> str:
    """Return `text` without bidi controls and other invisible format characters."""
    if text.isascii():
        return text
    return "".join(char for char in text if not is_invisible(char))


def strip_invisible_marked(marked: Marked) -> Marked:
    """Strip invisible characters from marked text, moving its spans to the same words."""
    text = marked.text
    if text.isascii() or not any(is_invisible(char) for char in text):
        return marked
    kept: list[str] = []
    new_index = [0] * (len(text) + 1)  # new_index[i]: characters kept before position i
    for position, char in enumerate(text):
        new_index[position] = len(kept)
        if not is_invisible(char):
            kept.append(char)
    new_index[len(text)] = len(kept)
    marks: list[tuple[int, int]] = []
    for start, end in marked.marks:
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        moved = (new_index[start], new_index[end])
        if moved[1] > moved[0]:
            marks.append(moved)
    return Marked("".join(kept), tuple(marks))


def visible_url(url: str) -> str:
    """Percent-encode invisible characters in a URL, so it still works and hides nothing."""
    if url.isascii():
        return url
    return "".join(quote(char, safe="") if is_invisible(char) else char for char in url)
