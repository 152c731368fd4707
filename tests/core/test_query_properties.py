"""Properties: the fast matcher agrees with evaluating every rule; canonical forms round-trip."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.item import Item
from bot.core.matcher import Matcher
from bot.core.query import Query, QuerySyntaxError, parse

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


text_leaf = st.one_of(
    word,
    word.filter(lambda w: len(w) >= 4).map(lambda w: w[: max(3, len(w) - 2)] + "*"),
    st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
    st.tuples(st.lists(word, min_size=2, max_size=3), st.integers(0, 4)).map(
        lambda t: '"' + " ".join(t[0]) + f'"~{t[1]}'
    ),
    st.tuples(word, word).map(lambda t: f"{t[0]}-{t[1]}"),
)
near = st.tuples(text_leaf, st.sampled_from(["NEAR", "ONEAR"]), st.integers(0, 4), text_leaf).map(
    lambda t: f"{t[0]} {t[1]}/{t[2]} {t[3]}"
)
scoped = st.tuples(st.sampled_from(FIELDS), st.one_of(text_leaf, near)).map(
    lambda t: f"{t[0]}:({t[1]})"
)
value_leaf = st.one_of(
    st.sampled_from(["site:bbc.co.uk", "site:lemonde.fr", "site:co.uk", "lang:fr", "lang:en"]),
)
leaf = st.one_of(text_leaf, text_leaf, near, scoped, value_leaf)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " AND ".join(xs) + ")"),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " OR ".join(xs) + ")"),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(" + " ".join(xs) + ")"),
        st.tuples(children, children).map(lambda t: f"({t[0]} -{t[1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]} AND NOT {t[1]})"),
    )


rule_text = st.recursive(leaf, _combine, max_leaves=5)


@st.composite
def queries(draw: st.DrawFn) -> Query:
    text = draw(rule_text)
    try:
        return parse(text)
    except QuerySyntaxError:
        return parse(draw(text_leaf))


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

    found = words(f"{item.title} {item.summary} {item.content}")
    assert any(w.startswith(p) for p in prefixes for w in found)


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
