"""Build full-text queries from user terms, safely, for SQLite FTS5 and PostgreSQL tsquery.

Every term is cut into words by the same analyser that built the stored text
(`bot.core.text.words`), so a term can only ever contain letters and digits: quotes, `*`,
parentheses, `OR` and SQL have no syntax left to exploit. A one-word term is a prefix; a
multi-word term ("new yor") matches those words in a row, the last one as a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.item import Item
from bot.core.text import words

__all__ = ["fts5_query", "item_search_text", "term_words", "tsquery"]


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
