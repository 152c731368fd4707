"""MinHash signatures of word sets: datasketch's "affine32" scheme, computed with numpy alone.

The values are those of `datasketch.MinHash(num_perm, seed, scheme="affine32")` fed the same
words (tests/core/test_minhash.py checks it against datasketch): each word is hashed to the
first 32 bits of its SHA-1, pre-mixed with the MurmurHash3 finalizer, and mapped through
`num_perm` seeded affine permutations h -> a * h + b (mod 2^32, a odd); a signature keeps the
least value of each permutation. datasketch itself is not imported at run time because
importing it loads SciPy (for an LSH parameter search the bot never runs): about a second of
CPU at every start of the bot, a third of its start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Permutations", "permutations", "signature"]

Permutations = npt.NDArray[np.uint32]
"""Shape (2, num_perm): the multipliers a (odd) and the offsets b."""

_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_EMPTY = np.uint32(0xFFFFFFFF)


def permutations(num_perm: int, seed: int) -> Permutations:
    """Return the seeded permutation parameters (as datasketch draws them)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


def _fmix32(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The MurmurHash3 32-bit finalizer (a bijection), element-wise; products wrap mod 2^32."""
    shift1, mul1, shift2, mul2 = _FMIX32
    values = values ^ (values >> shift1)
    values = values * mul1
    values = values ^ (values >> shift2)
    values = values * mul2
    result: npt.NDArray[np.uint32] = values ^ (values >> shift1)
    return result


def signature(words: Iterable[bytes], perms: Permutations) -> npt.NDArray[Any]:
    """Return the MinHash values of a set of words (all 2^32 - 1 for no words)."""
    hashed = [
        int.from_bytes(hashlib.sha1(word, usedforsecurity=False).digest()[:4], "little")
        for word in words
    ]
    if not hashed:
        return np.full(perms.shape[1], _EMPTY, dtype=np.uint32)
    column = _fmix32(np.array(hashed, dtype=np.uint32).reshape(-1, 1))
    values: npt.NDArray[Any] = (column * perms[0] + perms[1]).min(axis=0)
    return values
