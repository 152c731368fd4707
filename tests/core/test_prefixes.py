"""Indexed prefixes and the per-word table of stems and prefixes held."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.core.prefixes as prefixes_module
from bot.core.prefixes import NO_PREFIXES, NONE_HELD, PrefixSet, WordBudget, WordTable
from bot.core.text import stem_words


def table_with(*prefixes: str, lang: str = "en") -> tuple[PrefixSet, WordTable]:
    counted = PrefixSet()
    counted.add(prefixes)
    return counted, WordTable(lang, counted)


def test_look_up_gives_stems_in_order_and_every_prefix_held() -> None:
    _counted, table = table_with("readmi", "readmission", "alg", ":author:do")
    words = ["readmissions", "talks", "algeria"]
    stems, held = table.look_up(words)
    assert stems == stem_words(words, "en")
    assert held == {"readmi", "readmission", "alg"}
    assert table.look_up([]) == ([], NO_PREFIXES)


def test_stems_follow_the_table_language() -> None:
    _counted, table = table_with("ressort", lang="fr")
    stems, held = table.look_up(["ressortissants"])
    assert stems == stem_words(["ressortissants"], "fr")
    assert held == {"ressort"}


def test_a_word_equal_to_a_prefix_starts_with_it() -> None:
    _counted, table = table_with("alg")
    assert table.look_up(["alg"])[1] == {"alg"}


def test_a_prefix_added_after_a_word_was_looked_up_is_seen() -> None:
    counted, table = table_with("xyz")
    assert table.look_up(["readmissions"])[1] == NO_PREFIXES  # remembered as holding none
    counted.add(["readm"])
    assert table.look_up(["readmissions"])[1] == {"readm"}
    counted.discard(["readm"])
    assert table.look_up(["readmissions"])[1] == NO_PREFIXES


def test_a_prefix_is_forgotten_only_with_its_last_reference() -> None:
    counted, table = table_with("readm", "readm")
    counted.discard(["readm"])
    assert "readm" in counted
    assert table.look_up(["readmissions"])[1] == {"readm"}
    counted.discard(["readm"])
    assert "readm" not in counted and len(counted) == 0
    counted.discard(["never-added"])  # no error, no count below zero
    assert table.look_up(["readmissions"])[1] == NO_PREFIXES


def test_scoped_prefixes_are_found_only_in_scoped_words() -> None:
    counted = PrefixSet()
    assert counted.held_by_scoped([":author:doe"]) == NO_PREFIXES
    counted.add(["doe", ":author:do"])
    assert counted.held_by_scoped([":author:doe", ":source:doe"]) == {":author:do"}
    counted.discard([":author:do"])
    assert counted.held_by_scoped([":author:doe"]) == NO_PREFIXES


def test_the_table_drops_its_older_half_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefixes_module, "MEMO_LIMIT", 10)
    _counted, table = table_with("abc")
    for batch in range(5):
        words = [f"abc{batch}{n}" for n in range(4)] + [f"zz{batch}{n}" for n in range(4)]
        stems, held = table.look_up(words)
        assert held == {"abc"} and stems == stem_words(words, "en")
        assert len(table) <= 10 + len(words)


def test_tables_of_several_languages_share_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # However many languages come, the tables together stay near the budget: past it the
    # largest table drops its older half, and each still answers every word right.
    monkeypatch.setattr(prefixes_module, "MEMO_LIMIT", 40)
    counted = PrefixSet()
    counted.add(["abc"])
    budget = WordBudget()
    tables = {lang: WordTable(lang, counted, budget) for lang in ("en", "fr", "de", "es")}
    for batch in range(12):
        for lang, table in tables.items():
            words = [f"abc{lang}{batch}{n}" for n in range(6)]
            stems, held = table.look_up(words)
            assert held == {"abc"} and stems == stem_words(words, lang)
            assert sum(map(len, tables.values())) <= 40
    assert min(map(len, tables.values())) > 0


PIECES = st.text(alphabet="abcde", min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(
    counted=st.lists(PIECES, max_size=8),
    batches=st.lists(st.lists(st.text(alphabet="abcde", min_size=1, max_size=7), max_size=8),
                     min_size=1, max_size=4),
    dropped=st.lists(PIECES, max_size=4),
    added=st.lists(PIECES, max_size=3),
)  # fmt: skip
def test_look_up_equals_checking_every_prefix_against_every_word(
    counted: list[str], batches: list[list[str]], dropped: list[str], added: list[str]
) -> None:
    prefixes = PrefixSet()
    prefixes.add(counted)
    table = WordTable("en", prefixes)
    refs = {p: counted.count(p) for p in counted}
    for number, batch in enumerate(batches):
        if number == 1:  # change the set between look-ups: no answer may go stale
            prefixes.discard(dropped)
            prefixes.add(added)
            for p in dropped:
                if refs.get(p, 0) > 0:
                    refs[p] -= 1
            for p in added:
                refs[p] = refs.get(p, 0) + 1
        alive = {p for p, n in refs.items() if n > 0}
        words = list(dict.fromkeys(batch))
        stems, held = table.look_up(words)
        assert stems == stem_words(words, "en")
        assert held == {p for p in alive for w in words if w.startswith(p)}


def test_words_holding_the_same_prefixes_share_one_answer() -> None:
    counted = PrefixSet()
    counted.add(["readmi", "alg"])
    first = counted.starting(["readmission", "readmitted", "algeria"])
    again = counted.starting(["readmissions"])
    assert first[0] == ("readmi",) and first[0] is first[1] is again[0]
    assert first[2] == ("alg",)
    counted.add(["readmis"])  # a change: answers are worked out afresh
    assert counted.starting(["readmission"])[0] == ("readmi", "readmis")
    assert counted.starting(["other"]) == [NONE_HELD]


def test_remembered_words_are_not_tracked_by_the_garbage_collector() -> None:
    # A running bot's tables hold up to MEMO_LIMIT words; entries the collector tracks would
    # be walked by every full pass (the collector untracks tuples holding only strings and
    # untracked tuples).
    counted = PrefixSet()
    counted.add(["readmi", "alg", "al"])
    table = WordTable("en", counted)
    table.look_up(["readmissions", "algeria", "algiers", "paris"])
    # A pass may see a tuple before the tuple it holds has been untracked: the next one
    # untracks it. An entry holding a set would stay tracked whatever the passes.
    gc.collect()
    gc.collect()
    facts = [table._memo[word] for word in ("readmissions", "algeria", "paris")]
    assert facts[1][1] == ("al", "alg")
    assert not any(gc.is_tracked(f) for f in facts)


def test_long_words_are_looked_up_but_not_remembered() -> None:
    _counted, table = table_with("readmi")
    huge = "readmission" * 600
    stems, held = table.look_up([huge, "readmissions"])
    assert stems == stem_words([huge, "readmissions"], "en")
    assert held == {"readmi"}
    assert len(table) == 1  # "readmissions" only
    assert table.look_up([huge]) == ([stems[0]], frozenset({"readmi"}))
