"""An analysed field's word positions agree with reading its word list one word at a time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.analysis import FIELD_GAP, AnalysedField, analyse, stem_key, stem_keys
from bot.core.item import Item

# Words whose stems are shared ("vote", "votes", "voting") and words that are the start of
# others ("a", "an"), so that forms, overlaps and near-misses are exercised.
VOCAB = ["vote", "votes", "voting", "a", "an", "ana", "Nuñez", "nunez", "deal", "deals", "1"]
values = st.lists(
    st.lists(st.sampled_from(VOCAB), max_size=12).map(" ".join), min_size=1, max_size=3
)
words = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3)


def reference(tokens: list[str], wanted: tuple[str, ...]) -> list[int]:
    """Positions where `wanted` starts in `tokens`, read one position at a time."""
    size = len(wanted)
    return [p for p in range(len(tokens)) if tuple(tokens[p : p + size]) == wanted]


@given(values, words)
def test_positions_agree_with_a_scan_of_the_words(texts: list[str], picked: list[str]) -> None:
    fld = AnalysedField("tag", tuple(texts), "en")
    folded = [AnalysedField("x", (w,), "en").words[0] for w in picked]
    assert fld.positions_of_word(folded[0]) == reference(fld.words, (folded[0],))
    assert fld.positions_of_phrase(tuple(folded)) == reference(fld.words, tuple(folded))
    stem = fld.stem_of.get(folded[0])
    if stem is not None:
        expected = [p for p, w in enumerate(fld.words) if w and fld.stem_of[w] == stem]
        assert fld.positions_of_stem(stem) == expected
    # Asked again, the answers are the same (they are remembered per word and stem).
    assert fld.positions_of_word(folded[0]) == reference(fld.words, (folded[0],))


def test_overlapping_phrases_and_values_kept_apart() -> None:
    fld = AnalysedField("tag", ("a a a", "a"), "en")
    assert fld.positions_of_phrase(("a", "a")) == [0, 1]
    # The last value starts after the gap: a phrase never joins two values.
    assert fld.positions_of_word("a") == [0, 1, 2, 3 + FIELD_GAP]
    assert fld.positions_of_phrase(("a", "a", "a", "a")) == []


def test_stem_positions_cover_every_form() -> None:
    fld = AnalysedField("title", ("Votes: the vote, voting.",), "en")
    assert fld.positions_of_stem(fld.stem_of["votes"]) == [0, 2, 3]
    assert fld.positions_of_stem("absent") == []


@given(st.lists(st.sampled_from(VOCAB), max_size=10), st.lists(st.sampled_from(VOCAB), max_size=30))
def test_positions_from_the_item_stems_agree(title: list[str], summary: list[str]) -> None:
    # Once the item's text stems are looked up (as the matcher does), a field finds a stem's
    # forms among them: the positions and spans are the same as from the field's own stems,
    # for the first stems asked (a scan each) and the later ones (a stem -> word map).
    doc = analyse(Item(title=" ".join(title), summary=" ".join(summary), lang="en"))
    assert doc.text_stems is not None  # fills the stems the fields share
    for name in ("title", "summary"):
        fld = doc.field(name)
        alone = AnalysedField(name, fld.values, "en")
        for stem in sorted({*doc.text_stems, "absent"}):
            assert fld.positions_of_stem(stem) == alone.positions_of_stem(stem)
            assert fld.stem_spans(stem) == alone.stem_spans(stem)
            expected = [p for p, w in enumerate(alone.words) if alone.stem_of[w] == stem]
            assert alone.positions_of_stem(stem) == expected


def test_an_empty_word_is_found_nowhere() -> None:
    fld = AnalysedField("tag", ("a", "b"), "en")
    assert fld.positions_of_word("") == []


def test_long_hostile_values_are_matched_but_not_remembered() -> None:
    from bot.core import analysis

    author = "Doe " + "x" * 2000
    host = "a." * 150 + "example.org"  # 311 characters: longer than any real host name
    held = analysis._cached_value_atoms.cache_info().currsize
    doc = analyse(Item(title="t", author=author, url=f"https://{host}/story", lang="en"))
    assert ":author:doe" in doc.field_words
    assert doc.host_keys()[-2:] == ("example.org", "org")
    assert "@example.org" in doc.value_atoms
    assert (author, "", (), "en") not in analysis._keyed_terms
    assert analysis._cached_value_atoms.cache_info().currsize == held


def test_stem_keys_equal_stem_key_and_share_unchanged_words() -> None:
    values = ["sanctions", "iran", ":author:doe", ":tag:elections", ":source:reuters", "iran"]
    for lang in ("en", "fr"):
        found = stem_keys(values, lang)
        assert found == {value: stem_key(value, lang) for value in values}
        for value in values:
            if found[value] == value:
                assert found[value] is value  # a stem index shares the word index's strings
    assert stem_keys(["sanctions", ":tag:elections"], "en") == {
        "sanctions": "sanction",
        ":tag:elections": ":tag:elect",
    }
