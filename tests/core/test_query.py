"""The watch-rule language: every grammar row, every rejection (with its column), explanations."""

from __future__ import annotations

import pytest

from bot.core import rule_nodes
from bot.core.analysis import analyse
from bot.core.item import Item
from bot.core.query import Match, QuerySyntaxError, parse
from bot.core.rule_nodes import And, Near, Not, Word

ITEM = Item(
    title="Algérie : la réadmission des ressortissants au cœur des discussions",
    summary="Paris and Algiers discussed readmissions of nationals; Nuñez spoke to reporters.",
    content="The pro-independence party held a vote. Talks on readmission agreements resumed "
    "after the minister said the deal was close.",
    url="https://www.bbc.co.uk/news/world-123",
    source="BBC News",
    author="Jane Doe",
    lang="fr-FR",
    tags=("Politics", "Migration policy"),
)
EN_ITEM = Item(
    title="Readmissions rise as Algeria talks resume",
    summary="Ministers met in Algiers to discuss the readmission of nationals.",
    lang="en",
)

# (rule, matches ITEM) for every row of the grammar table.
GRAMMAR = [
    # a b, a AND b, +a +b
    ("readmission discussed", True),
    ("readmission AND discussed", True),
    ("+readmission +discussed", True),
    ("readmission AND football", False),
    ("+readmission +football", False),
    # OR
    ("football OR readmission", True),
    ("football OR cricket", False),
    # NOT, -a, a AND NOT b, a NOT b
    ("readmission NOT football", True),
    ("readmission -football", True),
    ("readmission AND NOT football", True),
    ("readmission AND NOT Nunez", False),
    ("readmission -Nunez", False),
    # grouping
    ("(football OR readmission) AND (cricket OR Nunez)", True),
    ("(football OR readmission) AND (cricket OR tennis)", False),
    # exact phrase: consecutive, no stemming
    ('"readmission agreements"', True),
    ('"readmission agreement"', False),
    ('"agreements readmission"', False),
    # proximity ~N
    ('"talks agreements"~2', True),
    ('"talks agreements"~1', False),
    ('"agreements talks"~2', True),
    # NEAR
    ("minister NEAR/3 deal", True),
    ("minister NEAR/2 deal", True),
    ("minister NEAR/1 deal", False),
    ("deal NEAR/3 minister", True),
    ("minister NEAR deal", True),
    ('"readmission agreements" NEAR/1 talks', True),
    ("(vote OR deal) NEAR/3 minister", True),
    # ONEAR
    ("minister ONEAR/3 deal", True),
    ("deal ONEAR/3 minister", False),
    # prefix
    ("readmi*", True),
    ("ressortis*", True),
    ("readmx*", False),
    # field scopes
    ("title:ressortissants", True),
    ("title:Nunez", False),
    ("summary:Nunez", True),
    ("content:Nunez", False),
    ("text:Nunez", True),
    ("title:(football OR reunion OR discussions)", True),
    ('title:"au coeur"', True),
    ('summary:"au coeur"', False),
    ("author:doe", True),
    ("author:smith", False),
    ('source:"bbc news"', True),
    ("tag:politics", True),
    ('tag:"migration policy"', True),
    ('tag:"politics migration"', False),
    ("tag:sport", False),
    ("site:bbc.co.uk", True),
    ("site:www.bbc.co.uk", True),
    ("site:co.uk", True),
    ("site:c.co.uk", False),
    ("site:cnn.com", False),
    ("lang:fr", True),
    ("lang:fr-FR", True),
    ("lang:fr_fr", True),
    ("lang:en", False),
    ("lang:fra", False),
    ("site:(cnn.com OR bbc.co.uk) readmission", True),
    # hyphen inside a word is part of it
    ("pro-independence", True),
    ("pro-independence -independence", False),
    ("independence-pro", False),
    # case and accents
    ("ALGERIE", True),
    ("nunez", True),
    ("Nuñez", True),
    ("coeur", True),
    # stemming in the item's language
    ("ressortissant", True),
    ("discussion", True),
    ('"ressortissant"', False),
]


@pytest.mark.parametrize(("rule", "expected"), GRAMMAR)
def test_grammar_row_matches(rule: str, expected: bool) -> None:
    query = parse(rule)
    assert (query.explain(ITEM) is not None) is expected
    assert query.matches(ITEM) is expected


@pytest.mark.parametrize(("rule", "expected"), GRAMMAR)
def test_canonical_form_parses_to_an_equal_query(rule: str, expected: bool) -> None:
    query = parse(rule)
    again = parse(str(query))
    assert again == query
    assert str(again) == str(query)
    assert (again.explain(ITEM) is not None) is expected


def test_english_stemming_when_item_is_english() -> None:
    assert parse("readmission").explain(EN_ITEM) is not None
    assert parse("Algerie").explain(Item(title="Vote en Algérie")) is not None


def test_unknown_language_stems_as_english() -> None:
    item = Item(title="Readmissions rise", lang="xx")
    assert parse("readmission").explain(item) is not None


def test_precedence_not_near_and_or() -> None:
    assert str(parse("a OR b c")) == "a OR b AND c"
    assert str(parse("(a OR b) c")) == "(a OR b) AND c"
    assert str(parse("a b NEAR/2 c")) == "a AND b NEAR/2 c"
    assert str(parse("NOT a b")) == "NOT a AND b"
    assert str(parse("a NEAR b")) == "a NEAR/5 b"
    assert str(parse("a ONEAR b")) == "a ONEAR/5 b"
    assert str(parse("x AND NOT (a OR b)")) == "x AND NOT (a OR b)"
    assert str(parse("a NEAR/2 (b NEAR/3 c)")) == "a NEAR/2 (b NEAR/3 c)"


def test_near_counts_words_between() -> None:
    item = Item(title="alpha one two three beta")
    assert parse("alpha NEAR/3 beta").matches(item)
    assert not parse("alpha NEAR/2 beta").matches(item)
    assert parse("alpha ONEAR/3 beta").matches(item)
    assert not parse("beta ONEAR/3 alpha").matches(item)
    assert parse("alpha NEAR/0 one").matches(item)


def test_near_does_not_cross_fields() -> None:
    item = Item(title="end alpha", summary="beta start")
    assert not parse("alpha NEAR/0 beta").matches(item)
    assert parse("alpha beta").matches(item)


def test_phrase_does_not_span_two_tags() -> None:
    item = Item(title="x", tags=("world", "news"))
    assert not parse('tag:"world news"').matches(item)
    assert parse("tag:world tag:news").matches(item)


def test_explain_gives_terms_as_written_and_spans_into_fields() -> None:
    found = parse("Readmission AND title:Algérie").explain(EN_ITEM)
    assert found is None
    match = parse("Readmission AND Algiers").explain(EN_ITEM)
    assert isinstance(match, Match)
    assert match.terms == ("Readmission", "Algiers")
    texts = {(field, getattr(EN_ITEM, field)[s:e]) for field, s, e in match.spans}
    assert texts == {
        ("title", "Readmissions"),
        ("summary", "readmission"),
        ("summary", "Algiers"),
    }


def test_explain_reports_no_evidence_for_exclusions_and_all_or_branches() -> None:
    match = parse("(readmission OR Algiers) -football").explain(EN_ITEM)
    assert match is not None
    assert match.terms == ("readmission", "Algiers")


def test_explain_phrase_and_near_spans() -> None:
    match = parse('"readmission agreements" NEAR/1 talks').explain(ITEM)
    assert match is not None
    spans = {ITEM.content[s:e] for _f, s, e in match.spans}
    assert spans == {"readmission agreements", "Talks"}


def test_nested_near_highlights_only_the_pairings_that_make_the_match() -> None:
    # Both "beta"s are within 8 words of "alpha", but only the second pairing ends next to
    # "gamma": the first "beta" takes part in no match and is not highlighted.
    text = "alpha x beta x x x x x x beta gamma"
    match = parse("(alpha NEAR/8 beta) NEAR/1 gamma").explain(Item(title=text))
    assert match is not None
    assert match.terms == ("alpha", "beta", "gamma")
    second_beta = text.rindex("beta")
    assert match.spans == (
        ("title", 0, 5),
        ("title", second_beta, second_beta + 4),
        ("title", second_beta + 5, second_beta + 10),
    )


def test_near_terms_come_in_the_order_of_the_rule() -> None:
    match = parse("minister NEAR/3 deal").explain(Item(title="The deal, the minister said"))
    assert match is not None
    assert match.terms == ("minister", "deal")


def _pairings(node: rule_nodes.Node, words: list[str]) -> list[tuple[int, int]]:
    """Every window of a NEAR of single words, once per pairing (a slow reference)."""
    if isinstance(node, rule_nodes.Word):
        return [(p, p) for p, w in enumerate(words) if w == node.word]
    assert isinstance(node, Near)
    out = []
    for l_first, l_last in _pairings(node.left, words):
        for r_first, r_last in _pairings(node.right, words):
            if l_last < r_first <= l_last + 1 + node.distance:
                out.append((l_first, r_last))
            elif not node.ordered and r_last < l_first <= r_last + 1 + node.distance:
                out.append((r_first, l_last))
    return out


def test_nested_near_of_common_words_keeps_each_window_once() -> None:
    # 100 words of "a" and "b": the pairings multiply at every level, the windows do not.
    item = Item(title="x", content=" ".join(["a", "b"] * 50))
    query = parse("((a NEAR/5 b) NEAR/5 (a NEAR/5 b)) NEAR/5 a")
    doc = analyse(item)
    (field,) = doc.fields_for("content")
    root = query.root
    assert isinstance(root, Near)
    found = root.windows(doc, field, None)
    pairings = _pairings(root, field.words)
    assert len(found) == len(set(found)) == len(set(pairings)) < len(pairings) / 10
    assert set(found) == set(pairings)
    assert query.matches(item)
    match = query.explain(item)
    assert match is not None and len(match.spans) == 100


def test_near_stops_pairing_past_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Past NEAR_PAIRS pairings in a field a NEAR stops looking (bounded work per rule); the
    # windows it found are real, so a match found stays a match.
    item = Item(title="x", content=" ".join(["a", "b"] * 150))
    doc = analyse(item)
    (field,) = doc.fields_for("content")
    root = parse("a NEAR/5 b").root
    assert isinstance(root, Near)
    every = set(root.windows(doc, field, None))
    monkeypatch.setattr(rule_nodes, "NEAR_PAIRS", 20)
    some = root.windows(doc, field, None)
    assert 20 <= len(some) < len(every) and set(some) <= every
    assert parse("a NEAR/5 b").matches(item)


def test_explain_site_and_lang_point_at_their_values() -> None:
    match = parse("site:bbc.co.uk lang:fr readmission").explain(ITEM)
    assert match is not None
    by_field = {f: (s, e) for f, s, e in match.spans if f in ("url", "lang")}
    start, end = by_field["url"]
    assert ITEM.url[start:end] == "www.bbc.co.uk"
    assert by_field["lang"] == (0, 5)


def test_explain_multivalued_tag_spans_into_joined_tags() -> None:
    match = parse("tag:policy").explain(ITEM)
    assert match is not None
    ((field, start, end),) = match.spans
    assert field == "tag"
    assert ", ".join(ITEM.tags)[start:end] == "policy"


# (rule, column, words the message must contain) for every rejection.
ERRORS = [
    ("", 0, "empty rule"),
    ("   ", 0, "empty rule"),
    ("AND a", 0, "nothing before"),
    ("a AND", 2, "nothing after"),
    ("a OR", 2, "nothing after"),
    ("a NEAR", 2, "nothing after"),
    ("(a AND) b", 3, "nothing after"),
    ("a OR OR b", 5, "doubled operator"),
    ("a AND OR b", 6, "doubled operator"),
    ("a NOT NOT b", 6, "doubled operator"),
    ("a --b", 3, "doubled operator"),
    ("a - b", 2, "must touch"),
    ("(a", 0, "unbalanced parenthesis"),
    ("a (b OR (c)", 2, "unbalanced parenthesis"),
    ("a)", 1, "unbalanced parenthesis"),
    ("()", 0, "empty parentheses"),
    ('"a b', 0, "unbalanced quote"),
    ('x "a b', 2, "unbalanced quote"),
    ('x ""', 2, "empty phrase"),
    ("foo:x", 0, "unknown field"),
    ("x Title:y bar:z", 10, "title, summary, content"),
    ("title: x", 0, "needs a word"),
    ("title:NOT x", 0, "needs a word"),
    ("NOT a", 0, "no positive term"),
    ("-a -b", 0, "no positive term"),
    ("a OR NOT b", 5, "each side of OR"),
    ("(NOT a) OR b", 1, "each side of OR"),
    ("ab*", 0, "prefix too short"),
    ("x é*", 2, "prefix too short"),
    ("pro-ind*", 0, "one word"),
    ("re*ad", 2, '"*" only ends a word'),
    ("a NEAR/51 b", 2, "too far"),
    ("a ONEAR/99 b", 2, "too far"),
    ('"a b"~51', 5, "too far"),
    ('"a b"~', 5, "number must follow"),
    ("a NEAR/ b", 2, "needs a number"),
    ("word~2", 4, "only follows a quoted phrase"),
    ("x" * 1001, 1000, "too long"),
    (" ".join(f"w{i}" for i in range(65)), 3 * 10 + 4 * 54, "too many terms"),
    ("(" * 17 + "a" + ")" * 17, 16, "nesting too deep"),
    ("NOT a NEAR b", 6, "NEAR needs words"),
    ("(a b) NEAR c", 6, "NEAR needs words"),
    ("site:bbc.co.uk NEAR c", 15, "NEAR needs words"),
    ("title:a NEAR b", 8, "same field"),
    ('site:"bbc"', 5, "bare value"),
    ("site:bbc*", 5, "bare value"),
    ("site:bbc.co.uk/news", 5, "host name"),
    ("lang:french1", 5, "language code"),
    ("!!!", 0, "no letters or digits"),
]


@pytest.mark.parametrize(("rule", "position", "words"), ERRORS)
def test_rejections_name_the_problem_and_its_column(rule: str, position: int, words: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(rule)
    error = caught.value
    assert isinstance(error, ValueError)
    assert words in error.message
    assert error.position == position
    query_line, caret_line = str(error).split("\n")
    assert len(query_line) == len(rule)
    assert caret_line == " " * position + "^"


def test_sixty_four_terms_and_sixteen_levels_are_accepted() -> None:
    parse(" ".join(f"w{i}" for i in range(64)))
    parse("(" * 16 + "a" + ")" * 16)
    parse("x" * 1000)
    parse('"a b"~50 NEAR/50 c')


def test_error_display_keeps_the_caret_aligned_with_tabs() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("a\tOR")
    assert str(caught.value) == "a OR\n  ^"


LOWER_CASE_OPERATORS = [
    ("election or vote", 9, 'lower-case "or" between words: write OR, or quote "or"'),
    ("Algeria and readmission", 8, 'lower-case "and" between words: write AND, or quote "and"'),
    ("Algeria not football", 8, 'lower-case "not" before a word: write NOT (or -word)'),
    ("not football", 0, 'lower-case "not" before a word: write NOT (or -word), or quote "not"'),
    ("a AND not b", 6, 'lower-case "not" before a word'),
    ("(a Or b)", 3, 'lower-case "Or" between words: write OR'),
    ('"state" and (b OR c)', 8, 'lower-case "and" between words'),
    ("readmi* or visa", 8, 'lower-case "or" between words'),
]


@pytest.mark.parametrize(("rule", "column", "message"), LOWER_CASE_OPERATORS)
def test_lower_case_operators_between_words_are_refused_with_the_fix(
    rule: str, column: int, message: str
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(rule)
    assert caught.value.position == column
    assert caught.value.message.startswith(message)
    assert "to search the word" in caught.value.message


@pytest.mark.parametrize(
    "rule",
    ['"law and order"', 'election "or" vote', "rock and", "and", "Algeria AND readmission"],
)
def test_quoted_or_trailing_lower_case_operator_words_are_accepted(rule: str) -> None:
    assert parse(rule).warnings == ()


def test_a_quoted_operator_word_is_searched_as_the_word() -> None:
    query = parse('election "or" vote')
    assert query.matches(Item(title="Election or vote: the choice"))
    assert not query.matches(Item(title="Election and vote"))


def test_lower_case_near_is_a_word_with_a_warning() -> None:
    query = parse("Algeria near Tunisia")
    assert list(query.warnings) == ['did you mean NEAR? ("near" at column 8 is searched as a word)']
    assert query.matches(Item(title="Algeria, near Tunisia"))


def test_highlight_marks_positive_terms_only() -> None:
    text = "Readmission talks: Algerian readmissions and football, readmitted."
    spans = parse('readmission "algerian readmissions" readmit* -football').highlight(text)
    assert [text[s:e] for s, e in spans] == [
        "Readmission",
        "Algerian",
        "readmissions",
        "readmitted",
    ]


def test_highlight_stems_in_the_given_language() -> None:
    text = "Les ressortissants algériens"
    assert [text[s:e] for s, e in parse("ressortissant").highlight(text, "fr")] == [
        "ressortissants"
    ]


def test_highlight_sloppy_phrase_marks_each_word() -> None:
    text = "deal near the minister"
    spans = parse('"minister deal"~3').highlight(text)
    assert [text[s:e] for s, e in spans] == ["deal", "minister"]


SEARCH_TERMS = [
    ("readmission", ["readmis"]),
    ("Algeria AND readmission", ["readmis"]),
    ("readmi* OR title:Tunisia", ["readmi", "tun"]),
    ('"pro independence" vote', ["independence"]),
    ("site:bbc.co.uk", None),
    ("lang:fr", None),
    ("tag:sport", None),
    ("author:smith", None),
    ("site:bbc.co.uk readmission", ["readmis"]),
    ("a1 OR tag:x", None),
]


@pytest.mark.parametrize(("rule", "expected"), SEARCH_TERMS)
def test_search_terms(rule: str, expected: list[str] | None) -> None:
    assert parse(rule).search_terms() == expected


SEARCH_GROUPS = [
    ("readmission", [["readmis"]]),
    ("Algeria AND readmission", [["alg"], ["readmis"]]),
    ("readmi* OR title:Tunisia", [["readmi", "tun"]]),
    ('"pro independence" vote', [["pro"], ["independence"], ["vot"]]),
    ("Algeria NEAR/3 gas -court", [["alg"], ["gas"]]),
    ("(Algeria OR France) AND (visa OR quota)", [["alg", "franc"], ["quo", "vis"]]),
    ("(a1 OR tag:x) AND b2", [["b2"]]),
    ("site:bbc.co.uk", None),
    ("author:smith AND NOT readmission", None),
]


@pytest.mark.parametrize(("rule", "expected"), SEARCH_GROUPS)
def test_search_groups(rule: str, expected: list[list[str]] | None) -> None:
    assert parse(rule).search_groups() == expected


def test_search_terms_for_known_languages_are_longer() -> None:
    assert parse("readmission").search_terms(["en", "fr"]) == ["readmiss"]
    assert parse("ressortissant").search_terms(["fr"]) == ["ressort"]


def test_search_terms_are_prefixes_of_matching_words() -> None:
    (prefix,) = parse("ressortissant").search_terms() or []
    assert "ressortissants".startswith(prefix)
    assert "ressortissant".startswith(prefix)


def test_a_chain_of_nears_works_out_each_near_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A NEAR used to check its NEAR side on its own first: a chain of N was worked out N times.
    calls: list[int] = []
    windows = Near.windows

    def counted(self: Near, *args: object) -> list[tuple[int, int]]:
        calls.append(id(self))
        return windows(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Near, "windows", counted)
    query = parse(" NEAR/2 ".join(["alpha", "beta"] * 6))  # 11 NEARs, nested to the left
    assert query.matches(Item(title=" ".join(["alpha", "beta"] * 6)))
    assert len(calls) == len(set(calls)) == 11


def test_rules_share_the_strings_of_the_words_they_name() -> None:
    # 100,000 watches name the same words many times over: one string each, not one per rule.
    first = parse(" ".join(["Kalomir", "AND", "storm" + "s"]))
    second = parse("".join(["kalo", "mir"]) + " -" + "".join(["Kalo", "mir"]))
    assert isinstance(first.root, And) and isinstance(second.root, And)
    word = first.root.parts[0]
    other, negated = second.root.parts
    assert isinstance(word, Word) and isinstance(other, Word) and isinstance(negated, Not)
    assert isinstance(negated.child, Word)
    assert word.word == other.word == "kalomir"
    assert word.word is other.word is negated.child.word
    assert word.label is negated.child.label  # "Kalomir" as written, twice
