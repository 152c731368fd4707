"""Per-word facts the matcher needs about an item: a word's stem and the indexed prefixes
it starts with, looked up together, once per distinct word.

Prefix terms (`readmi*`) are index keys and guard atoms. Searching an item's words for every
indexed prefix (cutting and sorting the words, then binary searches) cost as much as the
rest of the lookup on long items. A `WordTable` instead remembers, per word, its stem in one
language and the indexed prefixes it starts with, so an item costs one dictionary look-up
per distinct word, in C, which replaces the stem-cache look-up the item needs anyway. A word
seen for the first time is stemmed (the table is its cache; `bot.core.text`'s shared cache
keeps rule words and the other fields), and its first `HEAD` letters pick the few indexed
prefixes it may start with; those it starts with are all prefixes of the longest one, so
trying the few lengths there are, longest first, finds them all at once. `PrefixSet` counts
the indexed prefixes; when one enters or leaves the index every table forgets its words
(`PrefixSet.version`). The tables of one matcher (one per language seen) share a
`WordBudget` of `MEMO_LIMIT` words: past it, the largest table drops its older half, so
memory stays bounded however many languages come. A table's entries hold only strings and
tuples of strings, which the garbage collector stops tracking, so its full passes do not
walk the (up to `MEMO_LIMIT`) entries of a running bot.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, repeat
from operator import itemgetter
from typing import cast

from bot.core.text import CACHED_WORD_CHARS, forget_older_half, stem_uncached

__all__ = ["MEMO_LIMIT", "NONE_HELD", "NO_PREFIXES", "PrefixSet", "WordBudget", "WordTable"]

MEMO_LIMIT = 150_000  # words the tables of one matcher remember together (~220 bytes each)
HEAD = 4  # prefixes are filed by this many first characters
NO_PREFIXES: frozenset[str] = frozenset()
NONE_HELD: tuple[str, ...] = ()  # `PrefixSet.starting`'s answer for a word holding no prefix

# Prefixes sharing their first HEAD characters: their lengths, longest first, and each prefix
# -> the sorted tuple of the bucket's prefixes it starts with (itself included). A word starts
# with a chain of prefixes, so the longest one it starts with names them all.
Bucket = tuple[tuple[int, ...], dict[str, tuple[str, ...]]]

# (stem, indexed prefixes the word starts with). Tuples of strings, not sets: the collector
# untracks such tuples, where a set (and a tuple holding one) stays tracked for life.
WordFacts = tuple[str, tuple[str, ...]]
_STEM = itemgetter(0)
_PREFIXES = itemgetter(1)


class PrefixSet:
    """The indexed prefixes, each with how many rule plans refer to it."""

    __slots__ = ("_by_head", "_canonical", "_refs", "_scoped", "_short", "_worked_out", "version")

    def __init__(self) -> None:
        self._refs: dict[str, int] = {}
        # The prefixes of at least HEAD characters by their first HEAD characters, as a
        # `Bucket`, and the shorter ones (the parser allows three): worked out from `_refs`
        # when first needed.
        self._by_head: dict[str, Bucket] = {}
        self._short: frozenset[str] = NO_PREFIXES
        # One shared tuple per distinct answer involving a short prefix (the others are the
        # buckets' chains): the word tables hold up to MEMO_LIMIT words.
        self._canonical: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._scoped = 0  # prefixes in scoped form (":author:do"), see `analysis.scoped`
        self.version = 0  # bumped whenever a prefix enters or leaves the set
        self._worked_out = 0  # the version `_by_head` and `_short` were worked out for

    def __len__(self) -> int:
        return len(self._refs)

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._refs

    def add(self, prefixes: Iterable[str]) -> None:
        """Count one more reference to each of `prefixes`."""
        refs = self._refs
        changed = False
        for prefix in prefixes:
            count = refs.get(prefix, 0)
            refs[prefix] = count + 1
            if count == 0:
                changed = True
                self._scoped += prefix.startswith(":")
        if changed:
            self._changed()

    def discard(self, prefixes: Iterable[str]) -> None:
        """Drop one reference to each of `prefixes`, forgetting a prefix at zero."""
        refs = self._refs
        changed = False
        for prefix in prefixes:
            count = refs.get(prefix, 0)
            if count > 1:
                refs[prefix] = count - 1
            elif count == 1:
                del refs[prefix]
                changed = True
                self._scoped -= prefix.startswith(":")
        if changed:
            self._changed()

    def starting(self, words: list[str]) -> list[tuple[str, ...]]:
        """For each word, the prefixes of the set it starts with (NONE_HELD when none), sorted.

        A word's first HEAD characters pick a bucket; the longest of its prefixes the word
        starts with gives them all (`Bucket`).
        """
        if self._worked_out != self.version:
            self._work_out()
        found: dict[str, tuple[str, ...]] = {}
        buckets = list(map(self._by_head.get, map(itemgetter(slice(HEAD)), words)))
        held_by = zip(compress(words, buckets), filter(None, buckets), strict=True)
        for word, (lengths, chain_of) in held_by:
            # The prefixes a word starts with are all prefixes of the longest of them.
            for length in lengths:
                held = chain_of.get(word[:length])
                if held is not None:
                    found[word] = held
                    break
        short = self._short
        canonical = self._canonical
        for length in {len(prefix) for prefix in short}:
            cuts = map(itemgetter(slice(length)), words)
            for word in compress(words, map(short.__contains__, cuts)):
                held = tuple(sorted((*found.get(word, NONE_HELD), word[:length])))
                found[word] = canonical.setdefault(held, held)
        return list(map(found.get, words, repeat(NONE_HELD)))

    def held_by_scoped(self, words: list[str]) -> frozenset[str]:
        """The prefixes of the set that start some of `words`, all in scoped form (":tag:x").

        Worked out each time (an item has few such words), and only if the set holds some
        scoped prefix: a scoped word never starts with a text prefix.
        """
        if not self._scoped or not words:
            return NO_PREFIXES
        return NO_PREFIXES.union(*self.starting(words))

    def _changed(self) -> None:
        self.version += 1

    def _work_out(self) -> None:
        """File the prefixes by their first letters, once per change (not once per add)."""
        by_head: dict[str, list[str]] = {}
        for prefix in self._refs:
            if len(prefix) >= HEAD:
                by_head.setdefault(prefix[:HEAD], []).append(prefix)
        self._by_head = {head: _bucket(found) for head, found in by_head.items()}
        self._short = frozenset(p for p in self._refs if len(p) < HEAD)
        self._canonical = {}
        self._worked_out = self.version


def _bucket(prefixes: list[str]) -> Bucket:
    """The `Bucket` of prefixes sharing their first HEAD characters."""
    ordered = sorted(prefixes)
    lengths = tuple(sorted({len(prefix) for prefix in ordered}, reverse=True))
    chain_of = {p: tuple(q for q in ordered if p.startswith(q)) for p in ordered}
    return lengths, chain_of


class WordBudget:
    """How many words the word tables of one matcher may remember together."""

    __slots__ = ("limit", "tables")

    def __init__(self) -> None:
        self.limit = MEMO_LIMIT
        self.tables: list[WordTable] = []

    def make_room(self, count: int) -> None:
        """Have the largest tables drop their older half until `count` more words fit."""
        tables = self.tables
        while sum(map(len, tables)) + count > self.limit:
            largest = max(tables, key=len)
            if len(largest) < 2:
                return
            largest.forget_older_half()


class WordTable:
    """Memoised `WordFacts` of the words seen on items of one language."""

    __slots__ = ("_budget", "_lang", "_memo", "_prefixes", "_version")

    def __init__(self, lang: str, prefixes: PrefixSet, budget: WordBudget | None = None) -> None:
        """Stem with `lang`'s stemmer; take prefixes from `prefixes` (shared, may change);
        remember words within `budget` (shared with the matcher's other tables; by default a
        budget of its own)."""
        self._lang = lang
        self._prefixes = prefixes
        self._memo: dict[str, WordFacts] = {}
        self._version = prefixes.version
        self._budget = budget if budget is not None else WordBudget()
        self._budget.tables.append(self)

    def __len__(self) -> int:
        return len(self._memo)

    def forget_older_half(self) -> None:
        """Drop the words remembered first."""
        forget_older_half(self._memo)

    def look_up(self, words: list[str]) -> tuple[list[str], frozenset[str]]:
        """The stem of each of `words` (distinct), in order, and the prefixes they start."""
        if self._version != self._prefixes.version:
            self._memo.clear()  # some prefix came or went: every word's answer may differ
            self._version = self._prefixes.version
        memo = self._memo
        found = list(map(memo.get, words))
        if None in found:
            missing = [at for at, facts in enumerate(found) if facts is None]
            self._budget.make_room(len(missing))
            fresh = [words[at] for at in missing]
            stems = stem_uncached(fresh, self._lang)  # the table is their cache
            starts = self._prefixes.starting(fresh)
            for at, word, stem, prefixes in zip(missing, fresh, stems, starts, strict=True):
                answer: WordFacts = (stem, prefixes)
                found[at] = answer
                if len(word) <= CACHED_WORD_CHARS:  # see there: a longer word is not kept
                    memo[word] = answer
        facts = cast(list[WordFacts], found)
        return list(map(_STEM, facts)), NO_PREFIXES.union(*map(_PREFIXES, facts))
