"""Build full-text queries from user terms, safely, for SQLite FTS5 and PostgreSQL tsquery.

Every term is cut into words by the same analyser that built the stored text
(`bot.core.text.words`), so a term can only ever contain letters and digits: quotes, `*`,
parentheses, `OR` and SQL have no syntax left to exploit. A one-word term is a prefix; a
multi-word term ("new yor") matches those words in a row, the last one as a prefix.
Terms are OR-ed; `fts5_all` and `tsquery_all` AND groups of OR-ed terms (a group with no
usable word matches nothing, so neither does the whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.core.item import Item
from bot.core.text import words

__all__ = ["fts5_all", "fts5_query", "item_search_text", "term_words", "tsquery", "tsquery_all"]


def item_search_text(item: Item) -> str:
    """Return the folded words of an item's title, summary, content, boilerplate and source.

    The boilerplate is there for `content:` rules; the search is a pre-selection that the
    rule itself then checks, so default rules still ignore it.
    """
    text = f"{item.title}\n{item.summary}\n{item.content}\n{item.boilerplate}\n{item.source}"
    return " ".join(words(text))


def term_words(terms: Iterable[str]) -> list[list[str]]:
    """Return each term's folded words, dropping terms that have none."""
    out = []
    for term in terms:
        found = words(term)
        if found:
            out.append(found)
    return out


def fts5_query(terms: Iterable[str]) -> str:
    """Return an FTS5 MATCH expression OR-ing a quoted prefix phrase per term ("" if none)."""
    phrases = []
    for found in term_words(terms):
        quoted = " ".join(found).replace('"', '""')
        phrases.append(f'"{quoted}"*')
    return " OR ".join(phrases)


def tsquery(terms: Iterable[str]) -> str:
    """Return a `to_tsquery('simple', ...)` text OR-ing a prefix (phrase) per term ("" if none)."""
    alternatives = []
    for found in term_words(terms):
        lexemes = ["'" + word.replace("'", "''") + "'" for word in found]
        lexemes[-1] += ":*"
        alternatives.append("(" + " <-> ".join(lexemes) + ")")
    return " | ".join(alternatives)


def fts5_all(groups: Sequence[Iterable[str]]) -> str:
    """Return an FTS5 MATCH expression AND-ing `fts5_query` of each group ("" if one has none)."""
    return _all_of(groups, fts5_query, " AND ")


def tsquery_all(groups: Sequence[Iterable[str]]) -> str:
    """Return a `to_tsquery('simple', ...)` text AND-ing `tsquery` of each group ("" if one has none)."""
    return _all_of(groups, tsquery, " & ")


def _all_of(groups: Sequence[Iterable[str]], build: Callable[[Iterable[str]], str], op: str) -> str:
    parts = [build(group) for group in groups]
    if not parts or not all(parts):
        return ""
    return parts[0] if len(parts) == 1 else op.join(f"({part})" for part in parts)
