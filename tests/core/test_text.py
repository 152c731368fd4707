"""The stem cache agrees with Snowball, when full too; the fast tokenisers agree with `tokenize`."""

from __future__ import annotations

import pytest
import Stemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import text
from bot.core.text import stem_set, stem_words, tokenize, word_spans, words

WORDS = ["readmissions", "readmitted", "running", "runs", "nationals", "votes", "voted"]


def snowball(words: list[str], algorithm: str) -> list[str]:
    """Stems from a fresh PyStemmer instance: nothing of our cache involved."""
    return [str(s) for s in Stemmer.Stemmer(algorithm).stemWords(words)]


@pytest.fixture
def small_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "_STEM_CACHE_LIMIT", 8)
    monkeypatch.setattr(text, "_stem_caches", {})


def test_stem_set_and_stem_words_agree_with_snowball(small_cache: None) -> None:
    expected = snowball(WORDS, "english")
    assert stem_set(WORDS[:3], "en") == frozenset(expected[:3])  # cold
    assert stem_words(WORDS, "en-GB") == expected  # part warm, part cold
    assert stem_set(WORDS, "en") == frozenset(expected)  # warm
    french = ["ressortissants", "ressortissant", "nationaux"]
    assert stem_set(french, "fr") == frozenset(snowball(french, "french"))


def test_a_full_cache_forgets_its_older_half_and_stays_correct(small_cache: None) -> None:
    many = [f"{w}{n}" for n in range(3) for w in WORDS]  # 21 words through a cache of 8
    assert stem_set(many, "en") == frozenset(snowball(many, "english"))
    cache = text._stem_caches["english"]
    assert len(cache) == len(many)
    more = [f"{w}x" for w in WORDS]
    assert stem_set(more, "en") == frozenset(snowball(more, "english"))
    assert len(cache) < len(many) + len(more)  # the older half went
    assert set(more) <= cache.keys()
    assert stem_words(many + more, "en") == snowball(many + more, "english")


# Separators, accents, letters that fold into two, and "ͺ", a letter that folds to no letter.
PIECES = ["a", "Z", "09", " ", "_", "-", "'", "’", ",", "\n", "é", "Éß", "œ", "ǅ", "ﬁ", "ı", "İ"]
PIECES += ["ᾈ", "̀", "٣", "𝗔", "ͺ", "ﾞ", "Algérie", "Nuñez", "pro-independence"]
SAMPLE = st.lists(st.one_of(st.sampled_from(PIECES), st.characters()), max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(SAMPLE, SAMPLE.map(lambda t: t.encode("ascii", "replace").decode())))
def test_words_and_word_spans_are_the_texts_and_spans_of_tokenize(text: str) -> None:
    tokens = tokenize(text)
    assert words(text) == [t.text for t in tokens]
    assert word_spans(text) == [(t.start, t.end) for t in tokens]


def test_long_words_are_stemmed_and_folded_but_not_remembered(small_cache: None) -> None:
    # A hostile feed's huge "words" must not pile up in the caches, which count words.
    long_ascii = "readmission" * 600  # 6,600 characters
    long_accented = "Algérie" * 1000
    batch = ["votes", long_ascii, "nationals", long_ascii + "s"]
    assert stem_words(batch, "en") == snowball(batch, "english")
    assert stem_set([long_ascii, "runs"], "en") == frozenset(
        snowball([long_ascii, "runs"], "english")
    )
    assert set(text._stem_caches["english"]) == {"votes", "nationals", "runs"}
    text._cached_fold.cache_clear()
    assert words(f"{long_accented} Algérie") == [long_accented.replace("é", "e").lower(), "algerie"]
    assert text._cached_fold.cache_info().currsize == 1  # "Algérie" only
    text._cached_algorithm.cache_clear()
    assert text.stemmer_language("fr" + "x" * 10_000) == "english"
    assert text.stemmer_language("fr-FR") == "french"
    assert text._cached_algorithm.cache_info().currsize == 1
