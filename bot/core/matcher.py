"""Match one item against many watch rules: a presearcher index, then exact verification.

Design (after Lucene Monitor / Luwak). Each rule is indexed under a small set of keys, one of
which any item it matches must contain: for AND the cheapest child (estimated rarest), for OR
every child, for NEAR the cheaper side; NOT contributes nothing (the parser guarantees every
rule has a positive term). Key kinds:

- `stem`: a plain word. Plain words match by their Snowball stem in the *item's* language, so
  the index keeps the language-independent word -> rules map as the source of truth and, for
  each stemmer actually seen on an item, a lazily built stem -> rules map (`stem(word, L)` for
  every indexed word). `add`/`remove` update every map built so far, so nothing is rebuilt.
- `word`: an exact folded word (the rarest-looking word of a phrase, no stemming).
- `prefix`: a literal prefix, in a bucket of its own. Which indexed prefixes (keys or guard
  atoms) an item's words start with comes from a per-language `WordTable`, memoised per
  word together with the word's stem (`bot.core.prefixes`).
- `site`, `lang`: the URL host (an item offers its host and every parent domain) and the
  language code (an item offers `fr-fr` and `fr`).

Words and prefixes of the text (title, summary, content) are keys as they are; those of the
author, source and tag fields are scoped (":author:doe", `bot.core.analysis.scoped`), so a
byline never makes a text rule a candidate, nor the text an `author:` rule.

Guards. Each key a rule is posted under carries a guard when the AND (or NEAR) that chose it
has another child that is a plain word, a phrase, a prefix, a `site:`/`lang:` value or an OR
of those: a posting maps guard -> rules, and a rule becomes a candidate only when the item also
holds one atom of the guard (a word's stem, a prefix, the host, the language). Each branch of
an OR carries its own guard. The guard check is one set
lookup per distinct (key, guard) pair, shared by every rule with that pair, so rules like
`Iran AND sanctions` stop costing a verification on every item that only mentions Iran.

An item is analysed once (`bot.core.analysis`). Its distinct stems are first cut, in one C
set intersection, to the stems the index holds as keys or guards (`_stem_counts`); the
postings of those keys, admitted by their guards, give the candidate set. A candidate whose
rule the lookup alone decides (`plan_decides`: words, one-word phrases, prefixes, sites and
languages joined by OR, or an AND of two such groups) is a match; every other candidate is
verified exactly with the same node code as `Query.explain`. So `match` returns exactly the
rules whose `explain` is not None.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from typing import Any

from bot.core.analysis import AnalysedItem, analyse, scoped, stem_key, stem_keys
from bot.core.item import Item
from bot.core.postings import (
    ATOM_MARKS,
    LANG_MARK,
    PREFIX_MARK,
    SITE_MARK,
    Guard,
    Posting,
    Tally,
)
from bot.core.prefixes import PrefixSet, WordBudget, WordTable
from bot.core.query import Match, Query
from bot.core.rule_nodes import And, Lang, Near, Node, Not, Or, Phrase, Prefix, Site, Word

__all__ = ["Hit", "Matcher", "index_guard", "index_keys", "index_plan", "plan_decides"]

Key = tuple[str, str]
Plan = list[tuple[Key, Guard]]
# Words so common that a rule is better indexed under any other term it requires.
_COMMON = frozenset(
    (
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "at", "by", "with",
        "from", "is", "are", "was", "be", "as", "it", "its", "this", "that", "new", "says",
        "said", "le", "la", "les", "de", "des", "du", "un", "une", "et", "ou", "en", "au",
        "aux", "pour", "par", "sur", "dans", "est",
    )
)  # fmt: skip


class Hit:
    """One rule that matched an item; `match` (why) is worked out on first access."""

    __slots__ = ("_doc", "_match", "_query", "rule_id")

    def __init__(
        self,
        rule_id: str,
        match: Match | None = None,
        *,
        query: Query | None = None,
        doc: AnalysedItem | None = None,
    ) -> None:
        """Give either the `match`, or the `query` and `doc` to explain it from later."""
        if match is None and (query is None or doc is None):
            raise ValueError("a Hit needs a match, or a query and an analysed item")
        self.rule_id = rule_id
        self._match = match
        self._query = query
        self._doc = doc

    @property
    def match(self) -> Match:
        """Which terms matched where (computed once, on first use)."""
        if self._match is None:
            assert self._query is not None and self._doc is not None
            found = self._query.explain(self._doc)
            # The matcher verified the rule with the same node code, so explain cannot fail.
            self._match = found if found is not None else Match(terms=(), spans=())
            self._query = None
            self._doc = None
        return self._match

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hit) and (self.rule_id, self.match) == (other.rule_id, other.match)

    def __hash__(self) -> int:
        return hash(self.rule_id)

    def __repr__(self) -> str:
        return f"Hit(rule_id={self.rule_id!r}, match={self.match!r})"


def _lazy_hit(rule_id: str, query: Query, doc: AnalysedItem) -> Hit:
    """A Hit to explain later, made without `Hit.__init__`'s checks (the matcher's hot path)."""
    hit = Hit.__new__(Hit)
    hit.rule_id = rule_id
    hit._match = None
    hit._query = query
    hit._doc = doc
    return hit


def _key_cost(key: Key, frequency: Mapping[str, float] | None) -> float:
    """Estimate the share of items holding `key`: lower is rarer, a better index key."""
    kind, value = key
    value = value.rpartition(":")[2]  # the word of a scoped value (`scoped`)
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
        return frozenset({("stem", scoped(node.scope, node.word))})
    if isinstance(node, Prefix):
        return frozenset({("prefix", scoped(node.scope, node.prefix))})
    if isinstance(node, Phrase):
        return frozenset({("word", scoped(node.scope, _rarest_word(node, frequency)))})
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
        cheapest = _cheapest_child(node, frequency)
        return None if cheapest is None else cheapest[1]
    return None


def _cheapest_child(
    node: Node, frequency: Mapping[str, float] | None
) -> tuple[Node, frozenset[Key]] | None:
    """The child of an AND or NEAR with the cheapest keys, and those keys."""
    options = [(p, k) for p in node.children() if (k := index_keys(p, frequency))]
    if not options:
        return None
    return min(options, key=lambda o: sum(_key_cost(k, frequency) for k in o[1]))


def index_guard(node: Node, frequency: Mapping[str, float] | None = None) -> tuple[str, ...] | None:
    """Words one of which every match holds, besides its index key; None when there are none.

    Taken from another child of an AND or NEAR than the one the rule is indexed under: a plain
    word, a phrase (its rarest word), or an OR of those (any of their words).
    """
    if not isinstance(node, (And, Near)):
        return None
    cheapest = _cheapest_child(node, frequency)
    chosen = cheapest[0] if cheapest is not None else None
    options = [g for p in node.children() if p is not chosen and (g := _guard_words(p, frequency))]
    if not options:
        return None
    return min(options, key=lambda g: sum(_atom_cost(atom, frequency) for atom in g))


def _atom_cost(atom: str, frequency: Mapping[str, float] | None) -> float:
    kind = ATOM_MARKS.get(atom[0])
    if kind is None:
        return _key_cost(("stem", atom), frequency)
    return _key_cost((kind, atom[1:]), frequency)


def index_plan(node: Node, frequency: Mapping[str, float] | None = None) -> Plan | None:
    """The (key, guard) pairs to post a rule under; None when it has no positive term.

    The keys are those of `index_keys`; each carries the guard of the innermost AND or NEAR
    on its way down that has one, so every branch of an OR is guarded by its own words.
    """
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        plan: Plan = []
        for part in node.parts:
            found = index_plan(part, frequency)
            if found is None:
                return None
            plan.extend(found)
        return plan
    if isinstance(node, (And, Near)):
        cheapest = _cheapest_child(node, frequency)
        if cheapest is None:
            return None
        inner = index_plan(cheapest[0], frequency)
        if inner is None:
            return None
        guard = index_guard(node, frequency)
        return inner if guard is None else [(key, guard) for key, _ in inner]
    keys = index_keys(node, frequency)
    return None if keys is None else [(key, None) for key in sorted(keys)]


def _guard_words(node: Node, frequency: Mapping[str, float] | None) -> tuple[str, ...] | None:
    """Words whose stems cover every match of `node`, or None."""
    if isinstance(node, Word):
        return (scoped(node.scope, node.word),)
    if isinstance(node, Phrase):
        return (scoped(node.scope, _rarest_word(node, frequency)),)
    if isinstance(node, Prefix):
        return (PREFIX_MARK + scoped(node.scope, node.prefix),)
    if isinstance(node, Site):
        return (SITE_MARK + node.host,)
    if isinstance(node, Lang):
        return (LANG_MARK + node.code,)
    if isinstance(node, Or):
        found: list[str] = []
        for part in node.parts:
            words = _guard_words(part, frequency)
            if words is None:
                return None
            found.extend(words)
        return tuple(dict.fromkeys(found))
    return None


def _rarest_word(node: Phrase, frequency: Mapping[str, float] | None) -> str:
    return min(node.words, key=lambda w: (_key_cost(("word", w), frequency), w))


# Scopes indexed under the words of the whole text: a hit on the key still needs a check.
_TEXT_PARTS = frozenset(("title", "summary", "content"))


def _decisive_key(node: Node) -> bool:
    """Tell whether holding `node`'s index key proves that `node` matches."""
    if isinstance(node, (Word, Prefix)):
        return node.scope not in _TEXT_PARTS
    if isinstance(node, Phrase):
        return len(node.words) == 1 and node.slop is None and node.scope not in _TEXT_PARTS
    if isinstance(node, Or):
        return all(_decisive_key(part) for part in node.parts)
    return isinstance(node, (Site, Lang))


def _decisive_guard(node: Node) -> bool:
    """Tell whether holding one of `node`'s guard atoms proves that `node` matches."""
    if isinstance(node, Or):
        return all(_decisive_guard(part) for part in node.parts)
    # A phrase guards with one of its words, stemmed: not proof of the phrase.
    return isinstance(node, (Word, Prefix, Site, Lang)) and _decisive_key(node)


def plan_decides(node: Node, frequency: Mapping[str, float] | None = None) -> bool:
    """Tell whether an item holding a key of `index_plan(node)` and its guard matches `node`.

    True for rules made of words (in the text, author, source or tag), one-word phrases,
    prefixes, sites and languages, joined by OR, and for an AND of two such groups: the
    matcher accepts those candidates without verifying them. Anything else (NOT, NEAR,
    phrases, title/summary/content scopes, three-way ANDs) is verified.
    """
    if _decisive_key(node):
        return True
    if isinstance(node, Or):
        return all(plan_decides(part, frequency) for part in node.parts)
    if isinstance(node, And) and len(node.parts) == 2:
        cheapest = _cheapest_child(node, frequency)
        if cheapest is None:
            return False
        chosen = cheapest[0]
        other = node.parts[1] if chosen is node.parts[0] else node.parts[0]
        # `index_plan` keys the chosen child and guards it with the other's `_guard_words`.
        return other is not chosen and _decisive_key(chosen) and _decisive_guard(other)
    return False


class Matcher:
    """Rules indexed for fast matching; `add`/`remove` are incremental and safe between matches."""

    def __init__(self, frequency: Mapping[str, float] | None = None) -> None:
        """Optionally take `frequency`: folded word -> share of items containing it.

        `frequency` must not change while the matcher lives: a rule's plan (the keys and
        guards it is posted under) is worked out again from it when the rule is removed.
        """
        self._frequency = frequency
        self._rules: dict[str, Query] = {}
        # The node to verify a candidate with, for rules `plan_decides` does not decide; and
        # their ids as a set, to pick them out of the candidates in one C intersection.
        self._checks: dict[str, Node] = {}
        self._checked: set[str] = set()
        # Rules with a `content:` term: `content:` also reads an item's boilerplate, whose
        # words are not among the text words the index is looked up with (see `match`).
        self._content_rules: set[str] = set()
        # Plans are not kept (about 25 MB at 100,000 rules): `remove` works them out again.
        self._guarded = 0  # rules with a guard on some key, for `stats`
        self._by_word: dict[str, Posting] = {}
        self._by_stem: dict[str, dict[str, Posting]] = {}
        # Per stemmer: how many filings each stem has in that stem index, as a key or as a
        # plain guard atom. An item's stems are cut to these first, in one pass in C: most of
        # its words are neither, and every later lookup only sees the few that are.
        self._stem_counts: dict[str, Tally] = {}
        self._stem_lang: dict[str, str] = {}
        self._exact: dict[str, Posting] = {}
        self._exact_words: set[str] = set()  # the keys of `_exact`, for set & set in C
        self._prefixes: dict[str, Posting] = {}
        # Every prefix a plan refers to, as a key or a guard atom, and per stemmer a table of
        # word -> (stem, those prefixes it starts with): one look-up per word of an item.
        self._prefix_atoms = PrefixSet()
        self._word_tables: dict[str, WordTable] = {}
        self._word_budget = WordBudget()  # shared by the word tables of every language
        self._sites: dict[str, Posting] = {}
        self._langs: dict[str, Posting] = {}
        self._items = 0
        self._candidates = 0
        self._most_candidates = 0
        self._hits = 0
        self._verified = 0

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def stem_indexes(self) -> int:
        """How many per-language stem indexes exist: the first item in a language builds one,
        as large as the rules' word index, and it lives as long as the matcher."""
        return len(self._by_stem)

    def query(self, rule_id: str) -> Query | None:
        """The indexed rule `rule_id`, or None."""
        return self._rules.get(rule_id)

    def rule_ids(self) -> list[str]:
        """The ids of the indexed rules, in the order they were added."""
        return list(self._rules)

    def add(self, rule_id: str, query: Query) -> None:
        """Index `query` under `rule_id`, replacing any rule with that id."""
        if rule_id in self._rules:
            self.remove(rule_id)
        plan = index_plan(query.root, self._frequency)
        if plan is None:
            raise ValueError(f"rule {rule_id!r} has no positive term to index: {query}")
        self._rules[rule_id] = query
        if not plan_decides(query.root, self._frequency):
            self._checks[rule_id] = query.root
            self._checked.add(rule_id)
        if _reads_content(query.root):
            self._content_rules.add(rule_id)
        self._guarded += any(guard is not None for _key, guard in plan)
        self._prefix_atoms.add(_plan_prefixes(plan))
        for (kind, value), guard in plan:
            if kind == "stem":
                _post(self._by_word, value, guard, rule_id)
                for algorithm, index in self._by_stem.items():
                    lang = self._stem_lang[algorithm]
                    key, counts = stem_key(value, lang), self._stem_counts[algorithm]
                    _posting(index, key).add(_stem_guard(guard, lang), {rule_id}, counts, key)
            elif kind == "prefix":
                _post(self._prefixes, value, guard, rule_id)
            else:
                _post(self._table(kind), value, guard, rule_id)
                if kind == "word":
                    self._exact_words.add(value)

    def remove(self, rule_id: str) -> None:
        """Forget the rule `rule_id`; raise KeyError when it is unknown."""
        if rule_id not in self._rules:
            raise KeyError(f"no rule with id {rule_id!r}")
        if self._checks.pop(rule_id, None) is not None:
            self._checked.discard(rule_id)
        self._content_rules.discard(rule_id)
        query = self._rules.pop(rule_id)
        plan = index_plan(query.root, self._frequency)
        assert plan is not None  # `add` refused rules without one
        self._guarded -= any(guard is not None for _key, guard in plan)
        self._prefix_atoms.discard(_plan_prefixes(plan))
        for (kind, value), guard in plan:
            if kind == "stem":
                _unpost(self._by_word, value, guard, rule_id)
                for algorithm, index in self._by_stem.items():
                    lang = self._stem_lang[algorithm]
                    key = stem_key(value, lang)
                    _unpost(
                        index, key, _stem_guard(guard, lang), rule_id, self._stem_counts[algorithm]
                    )
            elif kind == "prefix":
                _unpost(self._prefixes, value, guard, rule_id)
            else:
                _unpost(self._table(kind), value, guard, rule_id)
                if kind == "word" and value not in self._exact:
                    self._exact_words.discard(value)

    def match(self, item: Item | AnalysedItem) -> list[Hit]:
        """Return the rules `item` matches, ordered by rule id; each hit explains itself lazily."""
        doc = item if isinstance(item, AnalysedItem) else analyse(item)
        candidates = self.candidates(doc)
        self._items += 1
        self._candidates += len(candidates)
        self._most_candidates = max(self._most_candidates, len(candidates))
        # Candidates of rules the lookup decides are matches; the others are verified.
        verify = candidates & self._checked
        matched = candidates - verify if verify else candidates
        checks = self._checks
        for rule_id in verify:
            if checks[rule_id].matches(doc):
                matched.add(rule_id)
        self._verified += len(verify)
        if self._content_rules and doc.item.boilerplate:
            # A `content:` term may be found only in the boilerplate, which the index does
            # not see: such rules (few) are verified here instead.
            missed = self._content_rules - candidates
            for rule_id in missed:
                if self._rules[rule_id].root.matches(doc):
                    matched.add(rule_id)
            self._verified += len(missed)
        self._hits += len(matched)
        rules = self._rules
        return [_lazy_hit(rule_id, rules[rule_id], doc) for rule_id in sorted(matched)]

    def candidates(self, doc: AnalysedItem) -> set[str]:
        """The rules indexed under a key the item holds, admitted by their guards."""
        out: set[str] = set()
        by_stem = self._stem_index(doc)
        counts = self._stem_counts[doc.algorithm].keys
        # One look-up per distinct text word gives its stem and the indexed prefixes it
        # starts with; the item keeps the stems for verification and explanations.
        ordered = list(doc.text_words)
        stems, prefixes = self._word_tables[doc.algorithm].look_up(ordered)
        # Set & set walks the smaller side in C.
        relevant = doc.adopt_text_stems(ordered, stems) & counts
        field_words = doc.field_words
        if field_words:
            relevant |= doc.field_stems & counts
            prefixes |= self._prefix_atoms.held_by_scoped(list(field_words))
        for posting in map(by_stem.get, relevant):  # a relevant stem may be a guard only
            if posting is not None:
                posting.collect(doc, relevant, prefixes, out)
        exact = self._exact
        for words in (doc.text_words, field_words):
            for word in words & self._exact_words:
                exact[word].collect_raw(doc, prefixes, out)
        by_prefix = self._prefixes
        for value in prefixes.intersection(by_prefix):
            by_prefix[value].collect_raw(doc, prefixes, out)
        for table, keys in ((self._sites, doc.host_keys()), (self._langs, doc.lang_keys())):
            for key in keys:
                posting = table.get(key)
                if posting is not None:
                    posting.collect_raw(doc, prefixes, out)
        return out

    def stats(self) -> dict[str, Any]:
        """Figures for tuning: rules per bucket and candidates per item."""
        tables: dict[str, list[int]] = {
            "stem": [_size(p) for p in self._by_word.values()],
            "word": [_size(p) for p in self._exact.values()],
            "prefix": [_size(p) for p in self._prefixes.values()],
            "site": [_size(p) for p in self._sites.values()],
            "lang": [_size(p) for p in self._langs.values()],
        }
        sizes = [n for counts in tables.values() for n in counts]
        items = self._items or 1
        return {
            "rules": len(self._rules),
            "guarded_rules": self._guarded,
            "buckets": {kind: len(counts) for kind, counts in tables.items()},
            "rules_per_bucket_mean": sum(sizes) / len(sizes) if sizes else 0.0,
            "rules_per_bucket_max": max(sizes, default=0),
            "largest_buckets": self._largest_buckets(5),
            "stemmers_seen": sorted(self._by_stem),
            "items_matched": self._items,
            "candidates_per_item": self._candidates / items,
            "candidates_max": self._most_candidates,
            "hits_per_item": self._hits / items,
            "verified_per_item": self._verified / items,
        }

    def _largest_buckets(self, count: int) -> list[tuple[str, int]]:
        named = [(f"stem:{k}", _size(p)) for k, p in self._by_word.items()]
        named += [(f"word:{k}", _size(p)) for k, p in self._exact.items()]
        named += [(f"prefix:{k}", _size(p)) for k, p in self._prefixes.items()]
        named += [(f"site:{k}", _size(p)) for k, p in self._sites.items()]
        named += [(f"lang:{k}", _size(p)) for k, p in self._langs.items()]
        return sorted(named, key=lambda kv: (-kv[1], kv[0]))[:count]

    def _table(self, kind: str) -> dict[str, Posting]:
        return {"word": self._exact, "site": self._sites, "lang": self._langs}[kind]

    def _stem_index(self, doc: AnalysedItem) -> dict[str, Posting]:
        """The stem -> posting map for the item's stemmer, built on first use."""
        index = self._by_stem.get(doc.algorithm)
        if index is None:
            lang = doc.item.lang or "en"
            index = {}
            counts = Tally()
            by_word = self._by_word
            # Every key word and plain guard atom, stemmed in one batch.
            atoms = [atom for posting in by_word.values() for atom in posting.plain or ()]
            stem_of = stem_keys(chain(by_word, atoms), lang)
            for word, posting in by_word.items():
                key = stem_of[word]
                _posting(index, key).absorb(posting, stem_of, counts, key)
            self._by_stem[doc.algorithm] = index
            self._stem_counts[doc.algorithm] = counts
            self._stem_lang[doc.algorithm] = lang
            self._word_tables[doc.algorithm] = WordTable(
                lang, self._prefix_atoms, self._word_budget
            )
        return index


def _reads_content(node: Node) -> bool:
    """Tell whether a rule has a term scoped to `content:`."""
    if getattr(node, "scope", "") == "content":
        return True
    return any(_reads_content(child) for child in node.children())


def _plan_prefixes(plan: Plan) -> list[str]:
    """The prefixes a plan refers to, as keys or as guard atoms (without their mark)."""
    found = [value for (kind, value), _guard in plan if kind == "prefix"]
    for _key, guard in plan:
        found += [atom[1:] for atom in guard or () if atom[0] == PREFIX_MARK]
    return found


def _stem_guard(guard: Guard, lang: str) -> Guard:
    if guard is None:
        return None
    return tuple(atom if atom[0] in ATOM_MARKS else stem_key(atom, lang) for atom in guard)


def _size(posting: Posting) -> int:
    return len(posting.rule_ids())


def _posting(table: dict[str, Posting], key: str) -> Posting:
    found = table.get(key)
    if found is None:
        found = table[key] = Posting()
    return found


def _post(table: dict[str, Posting], key: str, guard: Guard, rule_id: str) -> None:
    _posting(table, key).add(guard, {rule_id})


def _unpost(
    table: dict[str, Posting],
    key: str,
    guard: Guard,
    rule_id: str,
    counts: Tally | None = None,
) -> None:
    posting = table.get(key)
    if posting is None:
        return
    posting.discard(guard, rule_id, counts, key)
    if not posting:
        del table[key]
