"""Match one item against many watch rules: a presearcher index, then exact verification.

Design (after Lucene Monitor / Luwak). Each rule is indexed under a small set of keys, one of
which any item it matches must contain: for AND the cheapest child (estimated rarest), for OR
every child, for NEAR the cheaper side; NOT contributes nothing (the parser guarantees every
rule has a positive term). Key kinds:

- `stem`: a plain word. Plain words match by their Snowball stem in the *item's* language, so
  the index keeps the language-independent word -> rules map as the source of truth and, for
  each stemmer actually seen on an item, a lazily built stem -> rules map (`stem(word, L)` for
  every indexed word). `add`/`remove` update every map built so far, so nothing is rebuilt.
- `word`: an exact folded word (the longest word of a phrase, no stemming).
- `prefix`: a literal prefix, in buckets by its first three characters; an item word looks up
  its first three characters, then checks the few prefixes of that bucket.
- `site`, `lang`: the URL host (an item offers its host and every parent domain) and the
  language code (an item offers `fr-fr` and `fr`).

An item is analysed once (`bot.core.analysis`); its distinct words and stems are looked up,
the union of the rules found is the candidate set, and each candidate is verified exactly with
the same code as `Query.explain`, so `match` returns exactly the rules whose `explain` is not
None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.analysis import AnalysedItem, analyse
from bot.core.item import Item
from bot.core.query import Match, Query
from bot.core.rule_nodes import And, Lang, Near, Node, Or, Phrase, Prefix, Site, Word
from bot.core.text import stem_words

__all__ = ["Hit", "Matcher", "index_keys"]

Key = tuple[str, str]
_PREFIX_BUCKET = 3
# Words so common that a rule is better indexed under any other term it requires.
_COMMON = frozenset(
    (
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "at", "by", "with",
        "from", "is", "are", "was", "be", "as", "it", "its", "this", "that", "new", "says",
        "said", "le", "la", "les", "de", "des", "du", "un", "une", "et", "ou", "en", "au",
        "aux", "pour", "par", "sur", "dans", "est",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule that matched an item, and why."""

    rule_id: str
    match: Match


def _key_cost(key: Key, frequency: Mapping[str, float] | None) -> float:
    """Estimate the share of items holding `key`: lower is rarer, a better index key."""
    kind, value = key
    if kind == "site":
        return 0.3
    if kind == "lang":
        return 1.0
    if frequency is not None and value in frequency and kind != "prefix":
        return frequency[value]
    if value in _COMMON:
        return 1.0
    scale = 4.0 if kind == "prefix" else 1.0
    return min(1.0, scale / (len(value) ** 2))


def index_keys(node: Node, frequency: Mapping[str, float] | None = None) -> frozenset[Key] | None:
    """The keys to index `node` under: any item it matches holds one. None under NOT only."""
    if isinstance(node, Word):
        return frozenset({("stem", node.word)})
    if isinstance(node, Prefix):
        return frozenset({("prefix", node.prefix)})
    if isinstance(node, Phrase):
        rarest = min(node.words, key=lambda w: (_key_cost(("word", w), frequency), w))
        return frozenset({("word", rarest)})
    if isinstance(node, Site):
        return frozenset({("site", node.host)})
    if isinstance(node, Lang):
        return frozenset({("lang", node.code)})
    if isinstance(node, Or):
        union: set[Key] = set()
        for part in node.parts:
            found = index_keys(part, frequency)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if isinstance(node, (And, Near)):
        options = [k for part in node.children() if (k := index_keys(part, frequency))]
        if not options:
            return None
        return min(options, key=lambda keys: sum(_key_cost(k, frequency) for k in keys))
    return None


class Matcher:
    """Rules indexed for fast matching; `add`/`remove` are incremental and safe between matches."""

    def __init__(self, frequency: Mapping[str, float] | None = None) -> None:
        """Optionally take `frequency`: folded word -> share of items containing it."""
        self._frequency = frequency
        self._rules: dict[str, tuple[Query, frozenset[Key]]] = {}
        self._by_word: dict[str, set[str]] = {}
        self._by_stem: dict[str, dict[str, set[str]]] = {}
        self._stem_lang: dict[str, str] = {}
        self._exact: dict[str, set[str]] = {}
        self._prefixes: dict[str, dict[str, set[str]]] = {}
        self._sites: dict[str, set[str]] = {}
        self._langs: dict[str, set[str]] = {}
        self._items = 0
        self._candidates = 0
        self._most_candidates = 0
        self._hits = 0

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def rule_ids(self) -> list[str]:
        """The ids of the indexed rules, in the order they were added."""
        return list(self._rules)

    def add(self, rule_id: str, query: Query) -> None:
        """Index `query` under `rule_id`, replacing any rule with that id."""
        if rule_id in self._rules:
            self.remove(rule_id)
        keys = index_keys(query.root, self._frequency)
        if keys is None:
            raise ValueError(f"rule {rule_id!r} has no positive term to index: {query}")
        self._rules[rule_id] = (query, keys)
        for kind, value in keys:
            if kind == "stem":
                self._add_word(rule_id, value)
            elif kind == "prefix":
                bucket = self._prefixes.setdefault(value[:_PREFIX_BUCKET], {})
                bucket.setdefault(value, set()).add(rule_id)
            else:
                self._table(kind).setdefault(value, set()).add(rule_id)

    def remove(self, rule_id: str) -> None:
        """Forget the rule `rule_id`; raise KeyError when it is unknown."""
        if rule_id not in self._rules:
            raise KeyError(f"no rule with id {rule_id!r}")
        _query, keys = self._rules.pop(rule_id)
        for kind, value in keys:
            if kind == "stem":
                self._remove_word(rule_id, value)
            elif kind == "prefix":
                bucket = self._prefixes[value[:_PREFIX_BUCKET]]
                _discard(bucket, value, rule_id)
                if not bucket:
                    del self._prefixes[value[:_PREFIX_BUCKET]]
            else:
                _discard(self._table(kind), value, rule_id)

    def match(self, item: Item | AnalysedItem) -> list[Hit]:
        """Return the rules `item` matches, with their explanations, ordered by rule id."""
        doc = item if isinstance(item, AnalysedItem) else analyse(item)
        candidates = self.candidates(doc)
        self._items += 1
        self._candidates += len(candidates)
        self._most_candidates = max(self._most_candidates, len(candidates))
        rules = self._rules
        matched = [r for r in candidates if rules[r][0].root.matches(doc)]
        hits: list[Hit] = []
        for rule_id in sorted(matched):
            found = rules[rule_id][0].explain(doc)
            if found is not None:
                hits.append(Hit(rule_id, found))
        self._hits += len(hits)
        return hits

    def candidates(self, doc: AnalysedItem) -> set[str]:
        """The rules indexed under a key the item holds (a superset of its matches)."""
        out: set[str] = set()
        by_stem = self._stem_index(doc)
        if by_stem:
            for value in doc.stem_set:
                found = by_stem.get(value)
                if found:
                    out |= found
        if self._exact or self._prefixes:
            exact, prefixes = self._exact, self._prefixes
            for word in doc.word_set:
                found = exact.get(word)
                if found:
                    out |= found
                bucket = prefixes.get(word[:_PREFIX_BUCKET])
                if bucket:
                    for prefix, rule_ids in bucket.items():
                        if word.startswith(prefix):
                            out |= rule_ids
        for table, keys in ((self._sites, doc.host_keys()), (self._langs, doc.lang_keys())):
            for key in keys:
                found = table.get(key)
                if found:
                    out |= found
        return out

    def stats(self) -> dict[str, Any]:
        """Figures for tuning: rules per bucket and candidates per item."""
        tables: dict[str, list[int]] = {
            "stem": [len(v) for v in self._by_word.values()],
            "word": [len(v) for v in self._exact.values()],
            "prefix": [len(v) for b in self._prefixes.values() for v in b.values()],
            "site": [len(v) for v in self._sites.values()],
            "lang": [len(v) for v in self._langs.values()],
        }
        sizes = [n for counts in tables.values() for n in counts]
        items = self._items or 1
        return {
            "rules": len(self._rules),
            "buckets": {kind: len(counts) for kind, counts in tables.items()},
            "rules_per_bucket_mean": sum(sizes) / len(sizes) if sizes else 0.0,
            "rules_per_bucket_max": max(sizes, default=0),
            "largest_buckets": self._largest_buckets(5),
            "stemmers_seen": sorted(self._by_stem),
            "items_matched": self._items,
            "candidates_per_item": self._candidates / items,
            "candidates_max": self._most_candidates,
            "hits_per_item": self._hits / items,
        }

    def _largest_buckets(self, count: int) -> list[tuple[str, int]]:
        named = [(f"stem:{k}", len(v)) for k, v in self._by_word.items()]
        named += [(f"word:{k}", len(v)) for k, v in self._exact.items()]
        named += [(f"prefix:{k}", len(v)) for b in self._prefixes.values() for k, v in b.items()]
        named += [(f"site:{k}", len(v)) for k, v in self._sites.items()]
        named += [(f"lang:{k}", len(v)) for k, v in self._langs.items()]
        return sorted(named, key=lambda kv: (-kv[1], kv[0]))[:count]

    def _table(self, kind: str) -> dict[str, set[str]]:
        return {"word": self._exact, "site": self._sites, "lang": self._langs}[kind]

    def _add_word(self, rule_id: str, word: str) -> None:
        self._by_word.setdefault(word, set()).add(rule_id)
        for algorithm, index in self._by_stem.items():
            (stemmed,) = stem_words([word], self._stem_lang[algorithm])
            index.setdefault(stemmed, set()).add(rule_id)

    def _remove_word(self, rule_id: str, word: str) -> None:
        _discard(self._by_word, word, rule_id)
        for algorithm, index in self._by_stem.items():
            (stemmed,) = stem_words([word], self._stem_lang[algorithm])
            _discard(index, stemmed, rule_id)

    def _stem_index(self, doc: AnalysedItem) -> dict[str, set[str]]:
        """The stem -> rules map for the item's stemmer, built on first use."""
        index = self._by_stem.get(doc.algorithm)
        if index is None:
            lang = doc.item.lang or "en"
            index = {}
            indexed = list(self._by_word)
            for word, stemmed in zip(indexed, stem_words(indexed, lang), strict=True):
                index.setdefault(stemmed, set()).update(self._by_word[word])
            self._by_stem[doc.algorithm] = index
            self._stem_lang[doc.algorithm] = lang
        return index


def _discard(table: dict[str, set[str]], key: str, rule_id: str) -> None:
    found = table.get(key)
    if found is not None:
        found.discard(rule_id)
        if not found:
            del table[key]
