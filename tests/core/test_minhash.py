"""bot.core.minhash gives datasketch's affine32 MinHash values, bit for bit."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.minhash import permutations, signature


def datasketch_values(words: list[bytes], num_perm: int, seed: int) -> np.ndarray:
    reference = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    reference.update_batch(words)
    return reference.hashvalues


def test_the_permutations_are_datasketchs() -> None:
    expected = MinHash(num_perm=128, seed=1, scheme="affine32").permutations
    assert np.array_equal(permutations(128, 1), expected)
    assert permutations(128, 1).dtype == expected.dtype


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=12), max_size=40),
    st.sampled_from([2, 16, 128]),
    st.integers(min_value=0, max_value=2**16),
)
def test_signatures_equal_datasketchs(words: list[str], num_perm: int, seed: int) -> None:
    encoded = [w.encode() for w in sorted(set(words))]
    ours = signature(encoded, permutations(num_perm, seed))
    assert np.array_equal(ours, datasketch_values(encoded, num_perm, seed))
    assert ours.dtype == np.uint32


def test_story_words_in_several_languages_hash_alike() -> None:
    words = [w.encode() for w in ["algérie", "réadmission", "straße", "señor", "東京", "x"]]
    assert np.array_equal(signature(words, permutations(128, 1)), datasketch_values(words, 128, 1))
