"""The items of the story window, indexed by word: an item's candidates in bounded work.

`StoryClusters` asks which remembered items might be the same story as a new one. Looking
through every item of the window (or every item in its MinHash LSH buckets: with bands of two
rows, about one item in three of a busy window shares a bucket with any other) makes each item
cost more the more items the window holds. This index answers with at most
`probe_words * probe_depth` items, whatever the size of the window:

1. The item's words are weighted by squared IDF over the window (`weights`).
2. Its commonest words, while their squared weights add up to less than threshold^2 times the
   item's squared norm, are dropped: an item sharing only those words has a cosine similarity
   under the threshold (Cauchy-Schwarz), so they cannot be what a story-mate shares.
3. Of the words left, the `probe_words` rarest that other items have are looked up, and the
   `probe_depth` items that had each most recently are read (the most recent first: a story's
   other outlets come within hours, and finding one member of a story is enough to join it).
4. The MinHash LSH test of the original design is kept as a filter: a candidate must share
   all the rows of at least one band (bands of two rows) with the item.

Without the caps of step 3 the candidates that pass step 4 are exactly those MinHash LSH
would give that can reach the threshold, so clustering is unchanged (the labelled set gives
the same pairs); with them, a word shared by many recent items is read only as far as its
newest `probe_depth`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy loads with the first item fingerprinted, not with the bot
    import numpy.typing as npt

    from bot.core.minhash import Permutations

    Bands = npt.NDArray[Any]

__all__ = ["PROBE_DEPTH", "PROBE_WORDS", "StoryIndex", "WordWeights"]

PROBE_WORDS = 8
"""An item looks up its story-mates under at most this many of its rarest words..."""
PROBE_DEPTH = 16
"""...and reads at most this many of the items most recently indexed under each."""
_SEED = 1
_ROWS_PER_BAND = 2
# Bounds are compared with this much slack, so that rounding never drops a pair at the threshold.
_SLACK = 1 - 1e-9


class WordWeights(dict[str, float]):
    """Squared IDF weights over the window's items, worked out on first use (one per look-up)."""

    def __init__(self, postings: dict[str, dict[int, None]], documents: int) -> None:
        super().__init__()
        self._postings = postings
        self._documents = documents

    def __missing__(self, word: str) -> float:
        postings = self._postings.get(word)
        idf = math.log((self._documents + 1) / ((len(postings) if postings else 0) + 0.5))
        self[word] = weight = idf * idf
        return weight


class StoryIndex:
    """Items by word (with their MinHash bands), and the bounded look-up of candidates."""

    def __init__(
        self,
        *,
        num_perm: int = 128,
        probe_words: int = PROBE_WORDS,
        probe_depth: int = PROBE_DEPTH,
    ) -> None:
        """Index items under their words; look up at most probe_words * probe_depth of them."""
        if num_perm < _ROWS_PER_BAND:
            raise ValueError(f"num_perm must be at least {_ROWS_PER_BAND}, got {num_perm}")
        if probe_words < 1 or probe_depth < 1:
            raise ValueError(
                f"probe_words and probe_depth must be at least 1, got {probe_words}, {probe_depth}"
            )
        self._num_perm = num_perm
        self._rows = num_perm // _ROWS_PER_BAND * _ROWS_PER_BAND
        self._permutations: Permutations | None = None  # made on first use (numpy: ~0.1 s)
        self._probe_words = probe_words
        self._probe_depth = probe_depth
        # word -> ids of the indexed items that have it, in the order they were added
        self._postings: dict[str, dict[int, None]] = {}
        self._bands: dict[int, bytes] = {}

    def __len__(self) -> int:
        """Return the number of items indexed."""
        return len(self._bands)

    def bands(self, words: tuple[str, ...]) -> Bands:
        """Return the MinHash values of a set of words that the LSH test compares, band by band."""
        from bot.core.minhash import permutations, signature

        if self._permutations is None:
            self._permutations = permutations(self._num_perm, _SEED)
        values: Bands = signature([w.encode() for w in sorted(words)], self._permutations)[
            : self._rows
        ]
        return values

    def add(self, item_id: int, words: tuple[str, ...], bands: Bands) -> None:
        """Index an item under its (non-empty) words."""
        for word in words:
            self._postings.setdefault(word, {})[item_id] = None
        self._bands[item_id] = bands.tobytes()

    def remove(self, item_id: int, words: tuple[str, ...]) -> None:
        """Drop an item indexed under these words."""
        del self._bands[item_id]
        for word in words:
            ids = self._postings[word]
            del ids[item_id]
            if not ids:
                del self._postings[word]

    def weights(self) -> WordWeights:
        """Return the words' squared IDF weights as the window stands now."""
        return WordWeights(self._postings, len(self._bands))

    def candidates(
        self, item_id: int, weights: dict[str, float], bands: Bands, threshold: float
    ) -> tuple[list[int], int]:
        """Return, in id order, the indexed items that might reach `threshold` with this one.

        `weights` holds the item's own words (an indexed item: it is left out of the answer).
        The second value is the number of items read from the index.
        """
        found: set[int] = set()
        looked_up = 0
        for word in self._probes(weights, threshold):
            postings = self._postings[word]
            if len(postings) < 2:  # only the item itself
                continue
            for depth, other in enumerate(reversed(postings)):
                if depth == self._probe_depth:
                    break
                found.add(other)
            looked_up += 1
            if looked_up == self._probe_words:
                break
        found.discard(item_id)
        import numpy as np  # loaded already: `bands` came from `self.bands`

        ordered = sorted(found)
        shape = (len(ordered), self._rows // _ROWS_PER_BAND, _ROWS_PER_BAND)
        others = np.frombuffer(b"".join(map(self._bands.__getitem__, ordered)), dtype=bands.dtype)
        collides = (others.reshape(shape) == bands.reshape(shape[1:])).all(axis=2).any(axis=1)
        passed = [other for other, hit in zip(ordered, collides.tolist(), strict=True) if hit]
        return passed, len(ordered)

    @staticmethod
    def _probes(weights: dict[str, float], threshold: float) -> list[str]:
        """Return the item's words, rarest first, without the commonest it cannot match on."""
        by_rarity = sorted(weights, key=lambda w: (-weights[w], w))
        budget = (threshold * _SLACK) ** 2 * sum(weights.values())
        common = 0.0
        while by_rarity and common + weights[by_rarity[-1]] < budget:
            common += weights[by_rarity.pop()]
        return by_rarity
