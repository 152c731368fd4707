"""Word prefixes for pre-selecting archived items a rule may match with a full-text index.

The archive indexes folded, unstemmed words of title, summary and content, and is searched
with prefix queries (SQLite FTS5 `term*`, PostgreSQL `term:*`). A plain rule word matches by
its stem in the item's language, so its prefix is the part the word shares with its stem in
every supported language ("readmission" -> "readmiss"): a word with the same stem almost always
starts with it. Snowball stems are not strictly prefixes of every inflection, so treat the
pre-selection as a filter that the exact matcher then confirms, never as the answer.

`search_groups` gives the pre-selection as groups of prefixes that must all be met (one prefix
of each group starting a word of the item), from every part of an AND or NEAR and every word
of a phrase; `search_prefixes` gives one such group, which is all an OR can use of its parts.
"""

from __future__ import annotations

from functools import lru_cache

from bot.core.analysis import TEXT_FIELDS
from bot.core.rule_nodes import And, Near, Node, Or, Phrase, Prefix, Word
from bot.core.text import stem

__all__ = ["STEMMER_CODES", "search_groups", "search_prefixes", "stable_prefix"]

# One language code per Snowball algorithm that `bot.core.text.stemmer_language` can select.
STEMMER_CODES = (
    "ar", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "ga", "hi", "hu", "hy", "id",
    "it", "lt", "ne", "nl", "no", "pt", "ro", "ru", "sr", "sv", "ta", "tr", "yi",
)  # fmt: skip
_MIN_LENGTH = 2
_SELECTIVE_LENGTH = 3
_SEARCHABLE_SCOPES = frozenset((*TEXT_FIELDS, "text"))


@lru_cache(maxsize=65536)
def stable_prefix(word: str, languages: tuple[str, ...] = STEMMER_CODES) -> str:
    """The longest prefix `word` shares with its stem in each of `languages` (default: all)."""
    prefix = word
    for code in languages:
        stemmed = stem(word, code)
        size = 0
        while size < min(len(prefix), len(stemmed)) and prefix[size] == stemmed[size]:
            size += 1
        prefix = prefix[:size]
    return prefix


def search_prefixes(node: Node, languages: tuple[str, ...] = STEMMER_CODES) -> set[str] | None:
    """Prefixes one of which starts a word of any matching item, or None if none can exist."""
    if isinstance(node, Word):
        if node.scope not in _SEARCHABLE_SCOPES:
            return None
        prefix = stable_prefix(node.word, languages)
        return {prefix} if len(prefix) >= _MIN_LENGTH else None
    if isinstance(node, Prefix):
        return {node.prefix} if node.scope in _SEARCHABLE_SCOPES else None
    if isinstance(node, Phrase):
        return {max(node.words, key=len)} if node.scope in _SEARCHABLE_SCOPES else None
    if isinstance(node, Or):
        union: set[str] = set()
        for part in node.parts:
            found = search_prefixes(part, languages)
            if found is None:
                return None
            union |= found
        return union
    if isinstance(node, (And, Near)):
        options = [found for part in node.children() if (found := search_prefixes(part, languages))]
        if not options:
            return None
        return min(options, key=lambda s: (len(s), -min(len(p) for p in s)))
    return None


def search_groups(node: Node, languages: tuple[str, ...] = STEMMER_CODES) -> list[set[str]] | None:
    """Groups of prefixes: every matching item has a word starting with one prefix of each.

    None when no group can be given (the rule only looks at sites, languages, bylines, tags,
    or what an item lacks). A group with a prefix under three letters is left out when other
    groups remain: it filters little, and a full-text index expands a short prefix into most
    of its vocabulary ("ruling" shares only "ru" with its stems in every language).
    """
    groups = _groups(node, languages)
    if groups is None:
        return None
    selective = [group for group in groups if min(map(len, group)) >= _SELECTIVE_LENGTH]
    return selective or groups


def _groups(node: Node, languages: tuple[str, ...]) -> list[set[str]] | None:
    if isinstance(node, Phrase):
        if node.scope not in _SEARCHABLE_SCOPES:
            return None
        return [{word} for word in dict.fromkeys(node.words)]
    if isinstance(node, (And, Near)):
        groups = []
        for part in node.children():
            groups += _groups(part, languages) or []
        return groups or None
    found = search_prefixes(node, languages)
    return None if found is None else [found]
