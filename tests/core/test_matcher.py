"""The matcher: presearch + verification returns exactly the rules whose explain() matches."""

from __future__ import annotations

import pytest

from bot.core.analysis import analyse
from bot.core.item import Item
from bot.core.matcher import Hit, Matcher, index_guard, index_keys, index_plan
from bot.core.query import parse

RULES = {
    "readmission": "Algeria AND readmission",
    "french": "ressortissant",
    "phrase": '"pro independence" vote',
    "near": "minister NEAR/3 deal",
    "prefix": "readmi*",
    "site": "site:bbc.co.uk",
    "lang": "lang:fr sport",
    "either": "Tunisia OR Morocco",
    "exclude": "Algeria -football",
    "tag": "tag:politics",
    "author": "author:doe",
}

EN = Item(
    title="Algeria and France resume readmission talks",
    summary="The minister said the deal was close.",
    url="https://www.bbc.co.uk/news/1",
    lang="en",
    tags=("Politics",),
)
FR = Item(
    title="Les ressortissants tunisiens et le sport",
    summary="Le vote pro-independence au Morocco",
    url="https://lemonde.fr/a",
    lang="fr-FR",
    author="Jane Doe",
)


@pytest.fixture
def matcher() -> Matcher:
    m = Matcher()
    for rule_id, rule in RULES.items():
        m.add(rule_id, parse(rule))
    return m


def brute_force(rules: dict[str, str], item: Item) -> list[str]:
    return sorted(rid for rid, rule in rules.items() if parse(rule).explain(item) is not None)


@pytest.mark.parametrize("item", [EN, FR])
def test_match_equals_evaluating_every_rule(matcher: Matcher, item: Item) -> None:
    hits = matcher.match(item)
    assert [h.rule_id for h in hits] == brute_force(RULES, item)
    for hit in hits:
        assert isinstance(hit, Hit)
        assert hit.match == parse(RULES[hit.rule_id]).explain(item)


def test_expected_hits(matcher: Matcher) -> None:
    assert [h.rule_id for h in matcher.match(EN)] == [
        "exclude",
        "near",
        "prefix",
        "readmission",
        "site",
        "tag",
    ]
    assert [h.rule_id for h in matcher.match(FR)] == [
        "author",
        "either",
        "french",
        "lang",
        "phrase",
    ]


def test_add_and_remove_between_matches(matcher: Matcher) -> None:
    assert len(matcher) == len(RULES)
    matcher.match(FR)  # builds the French stem index
    matcher.add("new", parse("tunisien"))
    matcher.remove("french")
    ids = [h.rule_id for h in matcher.match(FR)]
    assert "new" in ids
    assert "french" not in ids
    assert "french" not in matcher
    assert len(matcher) == len(RULES)
    with pytest.raises(KeyError, match="no rule with id 'french'"):
        matcher.remove("french")


def test_add_replaces_a_rule_with_the_same_id(matcher: Matcher) -> None:
    matcher.add("site", parse("site:lemonde.fr"))
    assert "site" not in [h.rule_id for h in matcher.match(EN)]
    assert "site" in [h.rule_id for h in matcher.match(FR)]
    assert len(matcher) == len(RULES)


def test_rule_ids_in_insertion_order(matcher: Matcher) -> None:
    assert matcher.rule_ids() == list(RULES)


def test_removing_every_rule_empties_every_bucket(matcher: Matcher) -> None:
    matcher.match(EN)
    matcher.match(FR)
    assert matcher.stats()["guarded_rules"] > 0
    for rule_id in list(RULES):
        matcher.remove(rule_id)
    stats = matcher.stats()
    assert stats["rules"] == 0
    assert stats["guarded_rules"] == 0
    assert stats["buckets"] == {"stem": 0, "word": 0, "prefix": 0, "site": 0, "lang": 0}
    # The plans are worked out again on removal (not kept): the stem indexes of both
    # languages and the stem counts empty too.
    assert all(not index for index in matcher._by_stem.values())
    assert all(not counts.keys for counts in matcher._stem_counts.values())
    assert matcher.match(EN) == []


def test_after_removals_a_matcher_answers_as_one_built_from_the_rest(matcher: Matcher) -> None:
    matcher.match(EN)
    matcher.match(FR)  # both stem indexes built: removals must update them too
    kept = dict(list(RULES.items())[::2])
    for rule_id in RULES:
        if rule_id not in kept:
            matcher.remove(rule_id)
    fresh = Matcher()
    for rule_id, rule in kept.items():
        fresh.add(rule_id, parse(rule))
    for item in (EN, FR):
        assert [h.rule_id for h in matcher.match(item)] == [h.rule_id for h in fresh.match(item)]
    assert matcher.stats()["guarded_rules"] == fresh.stats()["guarded_rules"]
    assert all(matcher.query(r) is None for r in RULES if r not in kept)
    assert all(matcher.query(r) == parse(rule) for r, rule in kept.items())


def test_plain_word_found_whatever_the_item_language() -> None:
    m = Matcher()
    m.add("r", parse("ressortissant"))
    assert [h.rule_id for h in m.match(Item(title="ressortissants", lang="fr"))] == ["r"]
    assert [h.rule_id for h in m.match(Item(title="ressortissants", lang="en"))] == ["r"]
    assert m.stats()["stemmers_seen"] == ["english", "french"]


def test_stats_report_buckets_and_candidates(matcher: Matcher) -> None:
    matcher.match(EN)
    matcher.match(FR)
    stats = matcher.stats()
    assert stats["rules"] == len(RULES)
    assert stats["items_matched"] == 2
    assert stats["buckets"]["site"] == 1
    assert stats["buckets"]["prefix"] == 1
    assert stats["candidates_per_item"] >= stats["hits_per_item"] > 0
    assert 0 < stats["verified_per_item"] < stats["candidates_per_item"]
    assert stats["rules_per_bucket_max"] >= 1
    assert stats["largest_buckets"]


def test_candidates_are_few_when_rules_do_not_share_words() -> None:
    m = Matcher()
    for i in range(500):
        m.add(f"r{i}", parse(f"word{i} AND news"))
    doc_hits = m.match(Item(title="word7 and news things"))
    assert [h.rule_id for h in doc_hits] == ["r7"]
    assert m.stats()["candidates_max"] == 1


def test_and_is_indexed_under_its_rarest_child() -> None:
    assert index_keys(parse("the AND readmission").root) == {("stem", "readmission")}
    assert index_keys(parse("site:bbc.co.uk AND iran").root) == {("stem", "iran")}
    assert index_keys(parse("a OR readmi*").root) == {("stem", "a"), ("prefix", "readmi")}
    assert index_keys(parse('"the hague" court').root) == {("word", "hague")}


def test_frequency_estimates_choose_the_key() -> None:
    query = parse("iran AND sanctions")
    assert index_keys(query.root) == {("stem", "sanctions")}
    assert index_keys(query.root, {"sanctions": 0.2, "iran": 0.01}) == {("stem", "iran")}


def test_hostile_items_do_not_crash(matcher: Matcher) -> None:
    weird = Item(
        title="\x00\ufeff" + "é" * 5000,
        summary="<script>" * 100,
        url="http://[::1",
        lang="zz_ZZ-@@@",
        tags=("", " "),
    )
    assert matcher.match(weird) == []


def test_guard_word_keeps_rules_out_of_the_candidates() -> None:
    m = Matcher()
    m.add("r", parse("Iran AND sanctions"))
    assert index_guard(parse("Iran AND sanctions").root) == ("iran",)
    assert m.match(Item(title="Iran wins the cup")) == []
    assert m.stats()["candidates_max"] == 0
    assert [h.rule_id for h in m.match(Item(title="New sanctions on Iran", lang="fr"))] == ["r"]


def test_guard_is_stemmed_in_the_item_language() -> None:
    m = Matcher()
    m.add("r", parse("ressortissant AND expulsion"))
    m.match(Item(title="nothing", lang="fr"))  # builds the French index before the check
    m.add("s", parse("ressortissants AND expulsions"))
    item = Item(title="Expulsions de ressortissants", lang="fr")
    assert [h.rule_id for h in m.match(item)] == ["r", "s"]


def test_guards_cover_words_phrases_prefixes_sites_and_or_groups() -> None:
    assert index_guard(parse("Iran").root) is None
    assert index_guard(parse("Iran OR Iraq").root) is None
    assert index_guard(parse("sanctions AND (oil NEAR gas)").root) is None
    assert index_guard(parse('Iran "nuclear deal"').root) == ("iran",)
    assert index_guard(parse("Iran NEAR/3 talks").root) == ("iran",)
    assert index_guard(parse("(Iran OR Iraq) AND sanctions").root) == ("iran", "iraq")
    assert index_guard(parse('sanctions "Tehran talks"').root) == ("tehran",)
    assert index_guard(parse("sanctions AND (Iran OR Tehr*)").root) == ("iran", "*tehr")
    assert index_guard(parse('"nuclear deal" site:bbc.co.uk').root) == ("@bbc.co.uk",)
    assert index_guard(parse("sanctions lang:fr").root) == ("#fr",)


def test_each_or_branch_carries_its_own_guard() -> None:
    plan = index_plan(parse("Tehran OR (sanctions AND Iraq)").root)
    assert plan == [(("stem", "tehran"), None), (("stem", "sanctions"), ("iraq",))]


@pytest.mark.parametrize(
    ("rule", "miss", "hit"),
    [
        ("sanctions AND Tehr*", "sanctions on oil", "sanctions on Tehran"),
        ("sanctions site:bbc.co.uk", "sanctions", "sanctions"),
        ("sanctions lang:fr", "sanctions", "sanctions"),
        ("Tehran OR (sanctions AND Iraq)", "sanctions on oil", "sanctions on Iraq"),
    ],
)
def test_guards_keep_non_matching_rules_out_of_the_candidates(
    rule: str, miss: str, hit: str
) -> None:
    m = Matcher()
    m.add("r", parse(rule))
    assert m.match(Item(title=miss, url="https://cnn.com/x", lang="en")) == []
    assert m.stats()["candidates_max"] == 0
    found = m.match(Item(title=hit, url="https://www.bbc.co.uk/x", lang="fr"))
    assert [h.rule_id for h in found] == ["r"]
    m.remove("r")
    assert m.stats()["buckets"] == {"stem": 0, "word": 0, "prefix": 0, "site": 0, "lang": 0}


def test_hit_explains_itself_once_and_equals_an_eager_hit(matcher: Matcher) -> None:
    (hit,) = [h for h in matcher.match(EN) if h.rule_id == "readmission"]
    expected = parse(RULES["readmission"]).explain(EN)
    assert expected is not None
    assert hit.match == expected
    assert hit.match is hit.match
    assert hit == Hit("readmission", expected)
    assert "readmission" in repr(hit)


def test_hit_needs_a_match_or_what_to_explain_it_from() -> None:
    with pytest.raises(ValueError, match="needs a match"):
        Hit("r")


def test_rules_sharing_a_key_and_guard_come_and_go_independently() -> None:
    m = Matcher()
    for rule_id in ("a", "b", "c"):
        m.add(rule_id, parse("sanctions AND Iran"))
    item = Item(title="Iran sanctions", lang="fr")
    assert [h.rule_id for h in m.match(item)] == ["a", "b", "c"]
    m.remove("b")
    assert [h.rule_id for h in m.match(item)] == ["a", "c"]
    m.remove("a")
    assert [h.rule_id for h in m.match(Item(title="Iran sanctions"))] == ["c"]
    m.remove("c")
    assert m.stats()["buckets"]["stem"] == 0
    assert m.match(item) == []


@pytest.mark.parametrize("index_first", [True, False])
def test_removing_a_rule_keeps_the_guard_stems_other_rules_need(index_first: bool) -> None:
    # "twice" files "alpha" under the guard "beta" from two OR branches; removing it must not
    # forget "beta" as a guard that "other" still needs, whichever way the index was built.
    m = Matcher()
    if index_first:
        m.match(Item(title="warm up", lang="en"))
    m.add("twice", parse("(alpha AND beta) OR (alpha AND (beta OR gamma))"))
    m.add("other", parse("delta AND beta"))
    m.match(Item(title="warm up", lang="en"))
    m.remove("twice")
    assert [h.rule_id for h in m.match(Item(title="delta beta", lang="en"))] == ["other"]
    m.remove("other")
    assert m.match(Item(title="delta beta alpha", lang="en")) == []


def test_prefixes_found_in_short_and_long_items() -> None:
    # Thirty prefixes share the first letters "zor": only the ones that start an item word
    # match, in an item of two words and in one of four hundred.
    m = Matcher()
    for i in range(30):
        m.add(f"p{i:02d}", parse(f"zor{i:02d}ba*"))
    short = Item(title="zor07bala zor11b")
    assert [h.rule_id for h in m.match(short)] == ["p07"]
    filler = " ".join(f"word{n}" for n in range(400))
    long = Item(title="zor07bala", summary=filler, content="zor29bat zor11b")
    assert [h.rule_id for h in m.match(long)] == ["p07", "p29"]


@pytest.mark.parametrize(
    "rule",
    ["readmi*", "Algeria AND readmi*", "author:jan*", "talks AND (readmi* OR tunis*)"],
)
def test_prefix_rules_added_after_an_item_was_matched_find_it(rule: str) -> None:
    """Which prefixes a word starts with is remembered: a new prefix must still be found."""
    matcher = Matcher()
    matcher.add("other", parse("readmo* AND Algeria"))
    item = Item(title="Algeria and France resume readmission talks", author="Jane Doe")
    assert [h.rule_id for h in matcher.match(item)] == []
    matcher.add("new", parse(rule))
    assert [h.rule_id for h in matcher.match(item)] == ["new"]
    matcher.remove("new")
    assert [h.rule_id for h in matcher.match(item)] == []


def test_a_key_with_many_guards_stays_current_as_rules_come_and_go() -> None:
    # Past a few guard words a posting keeps their set for the item look-up: adding and
    # removing rules after a match must show in the next match.
    m = Matcher()
    guards = ["alpha", "beta", "gamma", "delta", "epsilon"]
    for guard in guards:
        m.add(guard, parse(f"sanctionsbill AND {guard}"))
    assert [h.rule_id for h in m.match(Item(title="sanctionsbill gamma"))] == ["gamma"]
    m.add("zeta", parse("sanctionsbill AND zeta"))
    assert [h.rule_id for h in m.match(Item(title="sanctionsbill zeta"))] == ["zeta"]
    m.remove("gamma")
    assert m.match(Item(title="sanctionsbill gamma")) == []
    assert [h.rule_id for h in m.match(Item(title="sanctionsbill zeta delta"))] == [
        "delta",
        "zeta",
    ]


def test_author_source_and_tag_rules_use_the_item_language() -> None:
    # The words of these fields are remembered per value and language: the same author on
    # items in two languages is stemmed in each ("ressortissants": "ressort" in French).
    m = Matcher()
    m.add("fr", parse("author:ressort"))
    m.add("tag", parse("tag:elect"))
    french = Item(title="x", author="Les Ressortissants", lang="fr", tags=("Elections",))
    english = Item(title="x", author="Les Ressortissants", lang="en", tags=("Elections",))
    assert [h.rule_id for h in m.match(french)] == ["fr", "tag"]
    assert [h.rule_id for h in m.match(english)] == ["tag"]
    assert [h.rule_id for h in m.match(french)] == ["fr", "tag"]


def _stem_index_contents(m: Matcher, algorithm: str) -> tuple[dict[str, object], dict[str, int]]:
    """A stem index as plain values: per stem, its unguarded rules and rules per guard atom."""
    index = {
        stem: (
            sorted(posting.unguarded or ()),
            sorted((atom, sorted(found)) for atom, found in posting.guarded()),
        )
        for stem, posting in m._by_stem[algorithm].items()
    }
    return index, dict(m._stem_counts[algorithm].counts)


def test_a_stem_index_built_from_the_rules_equals_one_kept_up_rule_by_rule() -> None:
    # The first French item builds the French stem index from every rule in one pass; a
    # matcher that saw a French item before any rule fills it rule by rule. Words sharing a
    # stem ("sanctions", "sanction"), guards of every kind and scoped words must come out the
    # same, and stay the same as rules go.
    rules = {
        "a": "sanctions AND Iran",
        "b": "sanction AND (Iran OR irak)",
        "c": "sanctionner AND readmi*",
        "d": "ressortissants AND site:lemonde.fr",
        "e": "ressortissant AND lang:fr",
        "f": "author:doe AND sanctions",
        "g": "ressortissants",
        "h": '"accord de readmission" AND Algérie',
    }
    item = Item(title="Sanctions contre l'Iran", lang="fr")
    built, kept = Matcher(), Matcher()
    kept.match(item)
    for rule_id, rule in rules.items():
        built.add(rule_id, parse(rule))
        kept.add(rule_id, parse(rule))
    built.match(item)
    assert _stem_index_contents(built, "french") == _stem_index_contents(kept, "french")
    assert _stem_index_contents(built, "french")[0]["sanction"][1] == [
        ("*readmi", ["c"]),
        (":author:do", ["f"]),  # French Snowball: "doe" -> "do"
        ("irak", ["b"]),
        ("iran", ["a", "b"]),
    ]
    for rule_id in ("b", "d", "g"):
        built.remove(rule_id)
        kept.remove(rule_id)
        assert _stem_index_contents(built, "french") == _stem_index_contents(kept, "french")


# --- boilerplate: out of default matching, within reach of content: -------------------------

HN_ITEM = Item(
    title="Show HN: A tiny text editor",
    summary="",
    boilerplate="Article URL: https://editor.example/\nComments URL: https://news.example/1\n"
    "Points: 12\n# Comments: 3",
)


@pytest.mark.parametrize(
    ("rule", "hits"),
    [
        ("points", False),  # the default scope is the cleaned text
        ("summary:points", False),
        ("content:points", True),  # found only in the boilerplate, which the index never sees
        ('content:"comments url"', True),
        ("content:(points OR nothing) AND editor", True),
        ("editor AND NOT content:points", False),  # verified against the whole text
        ("editor AND NOT content:nothing", True),
        ("content:point* AND title:tiny", True),
    ],
)
def test_content_scope_reads_the_boilerplate_and_the_default_does_not(
    rule: str, hits: bool
) -> None:
    matcher = Matcher()
    matcher.add("r", parse(rule))
    matcher.add("other", parse("text AND editor"))
    assert ("r" in {h.rule_id for h in matcher.match(HN_ITEM)}) is hits
    assert (parse(rule).explain(HN_ITEM) is not None) is hits


def test_a_lone_unguarded_rule_is_kept_without_a_set() -> None:
    # Most keys hold one rule: a set (216 bytes) each cost about 7 MB per stem index at
    # 100,000 rules; a 1-tuple costs 48 bytes.
    from bot.core.postings import Posting

    posting = Posting()
    posting.add(None, {"r1"})
    assert posting.unguarded == ("r1",)
    posting.add(None, {"r2"})
    assert posting.unguarded == {"r1", "r2"}
    out: set[str] = set()
    doc = analyse(Item(title="x"))
    posting.collect(doc, set(), frozenset(), out)
    assert out == {"r1", "r2"}
    posting.discard(None, "r1")
    assert posting.unguarded == ("r2",)
    posting.discard(None, "r1")  # not there: nothing changes
    assert posting.unguarded == ("r2",) and posting
    posting.discard(None, "r2")
    assert posting.unguarded is None and not posting
    m = Matcher()
    m.add("alone", parse("kalomir"))
    m.match(EN)  # builds the English stem index from the word index: the tuple is shared
    assert m._by_word["kalomir"].unguarded == ("alone",)
    assert m._by_stem["english"]["kalomir"].unguarded is m._by_word["kalomir"].unguarded
