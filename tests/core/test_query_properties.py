"""Properties: the fast matcher agrees with evaluating every rule; canonical forms round-trip."""

from __future__ import annotations

import contextlib
import os
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.analysis import analyse
from bot.core.item import Item
from bot.core.matcher import Matcher
from bot.core.query import Match, Query, QuerySyntaxError, parse
from bot.core.rule_nodes import (
    And,
    Lang,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Site,
    Word,
    positive_leaves,
)
from bot.core.text import stem_words, tokenize

# English and French words with their inflections, accents and shared prefixes, so that
# stems, prefixes and accent folding all get exercised in both languages.
VOCAB = [
    "readmission", "readmissions", "readmitted", "ressortissant", "ressortissants",
    "Algeria", "Algérie", "algerien", "vote", "votes", "voté", "deal", "deals", "minister",
    "ministre", "ministres", "talks", "talk", "running", "runs", "pro", "independence",
    "indépendance", "Nuñez", "nunez", "the", "le", "les", "national", "nationale",
    "nationaux", "élection", "elections", "cœur", "coeur",
]  # fmt: skip
HOSTS = ["www.bbc.co.uk", "bbc.co.uk", "lemonde.fr", "news.lemonde.fr", "example.com", ""]
LANGS = ["en", "fr", "fr-FR", "de", "", "es"]
TAGS = ["Politics", "Migration policy", "Sport"]
FIELDS = ["title", "summary", "content", "text", "author", "source", "tag"]

word = st.sampled_from(VOCAB)


prefix_leaf = word.filter(lambda w: len(w) >= 4).map(lambda w: w[: max(3, len(w) - 2)] + "*")
phrase_leaf = st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
sloppy_leaf = st.tuples(st.lists(word, min_size=2, max_size=3), st.integers(0, 4)).map(
    lambda t: '"' + " ".join(t[0]) + f'"~{t[1]}'
)
hyphen_leaf = st.tuples(word, word).map(lambda t: f"{t[0]}-{t[1]}")
text_leaf = st.one_of(word, prefix_leaf, phrase_leaf, sloppy_leaf, hyphen_leaf)
# Words, prefixes and exact phrases only: the terms `reference_explain` below understands.
exact_leaf = st.one_of(word, prefix_leaf, phrase_leaf, hyphen_leaf)


def _near(operand: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(operand, st.sampled_from(["NEAR", "ONEAR"]), st.integers(0, 4), operand).map(
        lambda t: f"{t[0]} {t[1]}/{t[2]} {t[3]}"
    )


def _scoped(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(FIELDS), inner).map(lambda t: f"{t[0]}:({t[1]})")


near = _near(text_leaf)
scoped = _scoped(st.one_of(text_leaf, near))
value_leaf = st.one_of(
    st.sampled_from(["site:bbc.co.uk", "site:lemonde.fr", "site:co.uk", "lang:fr", "lang:en"]),
)
leaf = st.one_of(text_leaf, text_leaf, near, scoped, value_leaf)
exact_near = _near(exact_leaf)
exact_rule_leaf = st.one_of(
    exact_leaf, exact_leaf, exact_near, _scoped(st.one_of(exact_leaf, exact_near)), value_leaf
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " AND ".join(xs) + ")"),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " OR ".join(xs) + ")"),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " ".join(xs) + ")"),
        st.tuples(children, children).map(lambda t: f"({t[0]} -{t[1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]} AND NOT {t[1]})"),
    )


rule_text = st.recursive(leaf, _combine, max_leaves=5)
exact_rule_text = st.recursive(exact_rule_leaf, _combine, max_leaves=5)


@st.composite
def queries(draw: st.DrawFn, exact: bool = False) -> Query:
    text = draw(exact_rule_text if exact else rule_text)
    try:
        return parse(text)
    except QuerySyntaxError:
        return parse(draw(exact_leaf if exact else text_leaf))


sentence = st.lists(
    st.one_of(word, st.sampled_from(["and", "of", ",", "-", "x"])), max_size=14
).map(" ".join)


@st.composite
def items(draw: st.DrawFn) -> Item:
    host = draw(st.sampled_from(HOSTS))
    return Item(
        title=draw(sentence),
        summary=draw(sentence),
        content=draw(sentence),
        url=f"https://{host}/a" if host else "",
        # Rule words in the byline and source name: a rule about the text must not match them.
        author=draw(st.sampled_from(["", "Jane Doe", "Nuñez", "Deal Minister"])),
        source=draw(st.sampled_from(["", "Algeria Votes", "Readmission Talks Daily"])),
        lang=draw(st.sampled_from(LANGS)),
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2))),
        # Boilerplate taken out of the text: only `content:` terms may find words there.
        boilerplate=draw(st.one_of(st.just(""), sentence)),
    )


# Set WIREWATCH_HYPOTHESIS_EXAMPLES=2000 for a longer search than the fast default.
EXAMPLES = int(os.environ.get("WIREWATCH_HYPOTHESIS_EXAMPLES", "100"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(queries(), min_size=1, max_size=12), st.lists(items(), min_size=1, max_size=4))
def test_matcher_equals_evaluating_every_rule(rules: list[Query], batch: list[Item]) -> None:
    matcher = Matcher()
    for index, query in enumerate(rules):
        matcher.add(f"r{index:02d}", query)
    for item in batch:
        expected = {
            f"r{i:02d}": found
            for i, q in enumerate(rules)
            if (found := q.explain(item)) is not None
        }
        hits = matcher.match(item)
        assert {h.rule_id: h.match for h in hits} == expected
        assert [h.rule_id for h in hits] == sorted(expected)


@FAST
@given(st.lists(queries(), min_size=2, max_size=8), st.lists(items(), min_size=2, max_size=4))
def test_add_and_remove_between_matches_stay_exact(rules: list[Query], batch: list[Item]) -> None:
    matcher = Matcher()
    for index, query in enumerate(rules):
        matcher.add(f"r{index}", query)
    live = dict(enumerate(rules))
    for step, item in enumerate(batch):
        gone = step % len(rules)
        if gone in live:
            matcher.remove(f"r{gone}")
            del live[gone]
        matcher.add(f"extra{step}", rules[-1 - gone])
        live[100 + step] = rules[-1 - gone]
        expected = sorted(
            (f"r{i}" if i < 100 else f"extra{i - 100}")
            for i, q in live.items()
            if q.explain(item) is not None
        )
        assert sorted(h.rule_id for h in matcher.match(item)) == expected


@FAST
@given(queries(), st.lists(items(), max_size=3))
def test_canonical_form_round_trips(query: Query, batch: list[Item]) -> None:
    again = parse(str(query))
    assert again == query
    assert str(again) == str(query)
    for item in batch:
        assert again.explain(item) == query.explain(item) or (
            (again.explain(item) is None) == (query.explain(item) is None)
        )


@FAST
@given(queries(), items())
def test_search_terms_start_a_word_of_every_matching_item(query: Query, item: Item) -> None:
    prefixes = query.search_terms()
    if prefixes is None or query.explain(item) is None:
        return
    from bot.core.text import words

    found = words(f"{item.title} {item.summary} {item.content} {item.boilerplate}")
    assert any(w.startswith(p) for p in prefixes for w in found)


@FAST
@given(queries(), items())
@example(  # found by hypothesis: the only matching word is in the boilerplate
    parse("(content:(readmission) -readmission)"), Item(title="", boilerplate="readmission")
)
def test_search_groups_each_start_a_word_of_every_matching_item(query: Query, item: Item) -> None:
    groups = query.search_groups()
    if groups is None or query.explain(item) is None:
        return
    from bot.core.text import words

    # The archive indexes the boilerplate too (for content: rules), as search_terms' test says.
    found = words(f"{item.title} {item.summary} {item.content} {item.boilerplate}")
    for group in groups:
        assert any(w.startswith(p) for p in group for w in found)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert error.message
        return
    assert parse(str(query)) == query


# A reference explanation, written for obviousness rather than speed: every field tokenised
# with `tokenize` and stemmed with `stem_words`, every term searched for by brute force.
# A window is (first position, last position, ((label, start, end), ...)); positions of the
# values of a multi-valued field (tags) lie far apart, so no phrase or NEAR joins two values.
RefWindow = tuple[int, int, tuple[tuple[str, int, int], ...]]
_SCOPES = {"text": ("title", "summary", "content")}


def _field_values(item: Item, name: str) -> list[str]:
    return list(item.tags) if name == "tag" else [getattr(item, name)]


def _runs(item: Item, name: str) -> list[tuple[int, list[tuple[str, str, int, int]]]]:
    """Each value of a field: (base position, [(word, stem, start, end), ...]), spans into
    the field's text (tags joined with ", ")."""
    runs = []
    offset = 0
    for index, value in enumerate(_field_values(item, name)):
        tokens = tokenize(value)
        stems = stem_words([t.text for t in tokens], item.lang)
        run = [
            (t.text, s, offset + t.start, offset + t.end)
            for t, s in zip(tokens, stems, strict=True)
        ]
        runs.append((index * 1_000_000, run))
        offset += len(value) + 2
    return runs


def _ref_windows(node: Node, item: Item, name: str) -> list[RefWindow]:
    out: list[RefWindow] = []
    if isinstance(node, Near):
        lefts = _ref_windows(node.left, item, name)
        rights = _ref_windows(node.right, item, name)
        for l_first, l_last, l_parts in lefts:
            for r_first, r_last, r_parts in rights:
                if l_last < r_first <= l_last + 1 + node.distance:
                    out.append((l_first, r_last, l_parts + r_parts))
                elif not node.ordered and r_last < l_first <= r_last + 1 + node.distance:
                    out.append((r_first, l_last, r_parts + l_parts))
        return out
    for base, run in _runs(item, name):
        for i in range(len(run)):
            if isinstance(node, Word):
                size = 1
                found = run[i][1] == stem_words([node.word], item.lang)[0]
            elif isinstance(node, Prefix):
                size = 1
                found = run[i][0].startswith(node.prefix)
            elif isinstance(node, Phrase) and node.slop is None:
                size = len(node.words)
                found = tuple(w for w, _s, _a, _b in run[i : i + size]) == node.words
            else:
                raise NotImplementedError(node)
            if found:
                start, end = run[i][2], run[i + size - 1][3]
                out.append((base + i, base + i + size - 1, ((node.label, start, end),)))
    return out


def _ref_explain(node: Node, item: Item) -> list[tuple[str, str, int, int]] | None:
    """The evidence of `node` in tree order, or None when it does not match."""
    if isinstance(node, Site):
        host = item.site
        if not (host == node.host or host.endswith("." + node.host)):
            return None
        start = item.url.lower().find(host)
        return [(node.label, "url", start, start + len(host))] if start >= 0 else []
    if isinstance(node, Lang):
        lang = item.lang.strip().lower().replace("_", "-")
        if not (lang == node.code or lang.startswith(node.code + "-")):
            return None
        return [(node.label, "lang", 0, len(item.lang))]
    if isinstance(node, Not):
        return None if _ref_explain(node.child, item) is not None else []
    if isinstance(node, And):
        found = [_ref_explain(part, item) for part in node.parts]
        return None if None in found else [e for part in found if part for e in part]
    if isinstance(node, Or):
        found = [_ref_explain(part, item) for part in node.parts]
        return None if all(f is None for f in found) else [e for f in found if f for e in f]
    # Positional terms: field by field, and in a field term by term in the order of the rule.
    rank: dict[str, int] = {}
    for leaf in positive_leaves(node):
        rank.setdefault(leaf.label, len(rank))  # type: ignore[attr-defined]
    evidence = []
    for name in _SCOPES.get(node.scope, (node.scope,)):  # type: ignore[attr-defined]
        found = [
            (label, name, start, end)
            for _first, _last, parts in _ref_windows(node, item, name)
            for label, start, end in parts
        ]
        evidence.extend(sorted(found, key=lambda e: rank[e[0]]))
    return evidence or None


def reference_explain(query: Query, item: Item) -> Match | None:
    """What `query.explain(item)` must return, computed the slow, obvious way."""
    evidence = _ref_explain(query.root, item)
    if evidence is None:
        return None
    terms: list[str] = []
    for label, _field, _start, _end in evidence:
        if label not in terms:
            terms.append(label)
    spans = sorted(set((f, s, e) for _label, f, s, e in evidence))
    return Match(terms=tuple(terms), spans=tuple(spans))


@st.composite
def rules_and_items(draw: st.DrawFn) -> tuple[list[Query], list[Item]]:
    """Rules (some moved into one field), and items mostly written with the rules' own words
    and phrases, in every field, so that many rules match."""
    rules = draw(st.lists(queries(exact=True), min_size=1, max_size=10))
    scope = draw(st.sampled_from(FIELDS))
    for index, query in enumerate(rules):
        if draw(st.booleans()):
            with contextlib.suppress(QuerySyntaxError):
                rules[index] = parse(f"{scope}:({query.source})")
    sources = " ".join(q.source for q in rules)
    used = sorted(
        set(re.findall(r"[^\W\d_]+", sources)) - {*FIELDS, "AND", "OR", "NOT", "NEAR", "ONEAR"}
    )
    phrases = re.findall(r'"([^"]+)"', sources) + re.findall(r"\w+-\w+", sources)
    pick = st.one_of(st.sampled_from(used), st.sampled_from(used), word, st.just(","))
    if phrases:
        pick = st.one_of(pick, st.sampled_from(phrases))
    text = st.lists(pick, max_size=20).map(" ".join)
    batch = []
    for _ in range(draw(st.integers(1, 3))):
        host = draw(st.sampled_from(HOSTS))
        batch.append(
            Item(
                title=draw(text),
                summary=draw(text),
                content=draw(text),
                url=f"https://{host}/a" if host else "",
                author=draw(st.one_of(st.just(""), text)),
                source=draw(st.one_of(st.just(""), text)),
                lang=draw(st.sampled_from(LANGS)),
                tags=tuple(draw(st.lists(st.one_of(st.sampled_from(TAGS), text), max_size=3))),
            )
        )
    return rules, batch


@FAST
@given(rules_and_items())
def test_explain_equals_a_reference_from_tokenize_and_stem_words(
    case: tuple[list[Query], list[Item]],
) -> None:
    rules, batch = case
    for item in batch:
        doc = analyse(item)  # shared by every rule, as in the matcher: caches must not leak
        for query in rules:
            assert query.explain(doc) == reference_explain(query, item), str(query)
        for query in reversed(rules):
            assert query.explain(doc) == query.explain(item) == reference_explain(query, item)
