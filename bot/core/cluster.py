"""Near-duplicate story detection: one alert per story, however many outlets carry it.

Each item is reduced to the set of stemmed content words of its title and lede (the first
sentence of its body), stop words dropped, and demonyms, acronyms and common synonyms
mapped to one form ("Algerian" -> "algeria", "European Central Bank" -> "ecb", "quake" ->
"earthquake"). Candidates come from a word index of the window's items, read in bounded
work whatever the size of the window, and pass the MinHash LSH test (`bot.core.minhash`, fixed
seed, bands of two rows, so pairs sharing about 15% of their words pass): see
`bot.core.story_index`. Each candidate is then verified with an IDF-weighted cosine
similarity, the document frequencies being those of the items currently inside the window.
Rare words (names, places, figures) therefore weigh far more than "government" or "rates",
which is what separates a second Algeria story from a syndicated copy of the first. An item
joins the story of its most similar verified candidate published within `window` of it;
otherwise it starts a story.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.cleaning import html_to_text
from bot.core.item import Item
from bot.core.sentences import split_sentences
from bot.core.story_index import PROBE_DEPTH, PROBE_WORDS, StoryIndex
from bot.core.text import stem, tokenize, words

if TYPE_CHECKING:
    from bot.core.story_index import Bands

__all__ = ["DEFAULT_THRESHOLD", "ClusterStats", "StoryClusters", "StoryPrint", "story_words"]

DEFAULT_THRESHOLD = 0.26
"""Minimum IDF-weighted cosine similarity for two items to be one story."""
# The lede is in the first paragraphs; a huge article is not cleaned whole to find it.
_LEDE_SOURCE_CHARS = 20_000
_SLACK = 1 - 1e-9  # bounds never drop a pair at the threshold through rounding
# Scores this close are a tie (rounding, which depends on the order words are summed in):
# the earliest candidate wins it, so equal input always gives equal stories.
_TIE = 1 + 1e-9
_STOP_WORDS_TEXT = """
    a an the of in on at to for and or but with by from as is are was were be been being has
    have had it its this that these those after before over under into about than then their
    his her they he she we you not no will would could should can may might said says say told
    also more most new first last week month year years day days people officials official
    according other some such which who whom what when where while there here up out off all
    one two three monday tuesday wednesday thursday friday saturday sunday
    de la le les des du un une et en au aux pour par sur dans est sont ont avec qui que se sa
    son ses leur leurs ce cette il elle ils elles lundi mardi mercredi jeudi vendredi samedi
    dimanche selon apres plus entre ne pas deux trois mois annonce
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# News vocabulary: outlets reword the same fact with a demonym, an acronym or a synonym.
# Folded words (and phrases) are mapped to one form before stemming.
_SAME_WORD = {
    # demonyms -> country (English, then French)
    "algerian": "algeria", "algerians": "algeria", "french": "france", "japanese": "japan",
    "german": "germany", "germans": "germany", "portuguese": "portugal", "chilean": "chile",
    "kenyan": "kenya", "turkish": "turkey", "spanish": "spain", "british": "britain",
    "uk": "britain", "italian": "italy", "sudanese": "sudan", "nigerian": "nigeria",
    "belgian": "belgium", "mexican": "mexico", "chinese": "china", "american": "us",
    "greek": "greece", "canadian": "canada", "polish": "poland", "moroccan": "morocco",
    "egyptian": "egypt", "russian": "russia", "ukrainian": "ukraine", "israeli": "israel",
    "iranian": "iran", "indian": "india", "tunisian": "tunisia", "malian": "mali",
    "libyan": "libya", "european": "europe", "african": "africa",
    "algerien": "algerie", "algerienne": "algerie", "algeriens": "algerie",
    "algeriennes": "algerie", "francais": "france", "francaise": "france",
    "allemand": "allemagne", "allemande": "allemagne", "espagnol": "espagne",
    "espagnole": "espagne", "italien": "italie", "italienne": "italie", "marocain": "maroc",
    "marocaine": "maroc", "tunisien": "tunisie", "tunisienne": "tunisie", "europeen": "europe",
    "europeenne": "europe", "africain": "afrique", "africaine": "afrique",
    # the same fact in other words
    "quake": "earthquake", "quakes": "earthquake", "tremor": "earthquake",
    "tremors": "earthquake", "wildfire": "fire", "wildfires": "fire", "blaze": "fire",
    "blazes": "fire", "fires": "fire", "feux": "incendie", "incendies": "incendie",
    "envoy": "ambassador", "ceasefire": "truce", "dead": "killed", "death": "killed",
    "deaths": "killed", "kill": "killed", "kills": "killed", "died": "killed",
    "morts": "mort", "tues": "mort", "trims": "cut", "trim": "cut", "lowers": "cut",
    "lowered": "cut", "slashes": "cut", "axes": "cut", "quits": "resign", "quit": "resign",
    "resignation": "resign", "hikes": "raise", "hike": "raise",
}  # fmt: skip
_SAME_PHRASE = {
    ("european", "central", "bank"): "ecb", ("federal", "reserve"): "fed",
    ("us", "central", "bank"): "fed", ("bank", "of", "england"): "boe",
    ("bank", "of", "japan"): "boj", ("prime", "minister"): "pm", ("premier", "ministre"): "pm",
    ("premiere", "ministre"): "pm", ("united", "states"): "us", ("u", "s"): "us",
    ("united", "nations"): "un", ("u", "n"): "un", ("european", "union"): "eu",
    ("united", "kingdom"): "britain", ("rapid", "support", "forces"): "rsf",
    ("death", "toll"): "killed", ("basis", "points"): "bp", ("quarter", "point"): "bp",
}  # fmt: skip
_LONGEST_PHRASE = max(len(phrase) for phrase in _SAME_PHRASE)


def story_words(item: Item) -> frozenset[str]:
    """Return the stemmed content words of the item's title and lede."""
    words: set[str] = set()
    for part in (html_to_text(item.title), _lede(item)):
        for word in _normalise([token.text for token in tokenize(part)]):
            if word in _STOP_WORDS or (len(word) < 2 and not word.isdigit()):
                continue
            words.add(stem(word, item.lang))
    return frozenset(words)


def _normalise(words: list[str]) -> list[str]:
    """Map demonyms, acronyms' long forms and synonyms to one form (longest phrase first)."""
    out: list[str] = []
    index = 0
    while index < len(words):
        for length in range(min(_LONGEST_PHRASE, len(words) - index), 1, -1):
            phrase = tuple(words[index : index + length])
            if phrase in _SAME_PHRASE:
                out.append(_SAME_PHRASE[phrase])
                index += length
                break
        else:
            out.append(_SAME_WORD.get(words[index], words[index]))
            index += 1
    return out


def _lede(item: Item) -> str:
    """The first sentence with words (the source's boilerplate was taken out at ingest)."""
    raw = item.content if item.content.strip() else item.summary
    text = html_to_text(raw[:_LEDE_SOURCE_CHARS])
    for start, end in split_sentences(text, item.lang):
        if words(text[start:end]):
            return text[start:end]
    return ""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class StoryPrint:
    """An item's story words and MinHash bands: the costly part of `assign`, worked out ahead.

    It depends on the item alone, so the pipeline computes it before its write transaction
    and `assign` (which needs the item's id) only looks the bands up.
    """

    words: tuple[str, ...]
    bands: Bands | None


@dataclass(frozen=True, slots=True)
class ClusterStats:
    """The work `assign` did: items placed, candidates read, similarities computed."""

    items: int
    read: int
    compared: int
    most_read: int
    most_compared: int


@dataclass(frozen=True, slots=True)
class _Member:
    cluster: int
    at: datetime
    words: tuple[str, ...]


class StoryClusters:
    """Assign items to stories, online, within a sliding time window."""

    def __init__(
        self,
        *,
        window: timedelta = timedelta(hours=48),
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = 128,
        probe_words: int = PROBE_WORDS,
        probe_depth: int = PROBE_DEPTH,
    ) -> None:
        """Cluster items published within `window` of each other whose similarity >= threshold.

        An item reads at most `probe_words * probe_depth` remembered items (`StoryIndex`).
        """
        self._index = StoryIndex(
            num_perm=num_perm, probe_words=probe_words, probe_depth=probe_depth
        )
        self._window = window
        self._threshold = threshold
        self._members: dict[int, _Member] = {}
        self._items = self._read = self._compared = self._most_read = self._most_compared = 0

    def __len__(self) -> int:
        """Return the number of items remembered."""
        return len(self._members)

    def fingerprint(self, item: Item) -> StoryPrint:
        """Return the item's story words and MinHash bands (pure: nothing is remembered)."""
        return self.print_of(story_words(item))

    def print_of(self, words: Iterable[str]) -> StoryPrint:
        """Return the StoryPrint of an item's story words (kept from an earlier fingerprint)."""
        ordered = tuple(sorted(map(sys.intern, set(words))))
        return StoryPrint(ordered, self._index.bands(ordered) if ordered else None)

    def assign(
        self, item_id: int, item: Item, at: datetime, *, fingerprint: StoryPrint | None = None
    ) -> int:
        """Return the story id for the item: the first item_id of the story it joins, or its own.

        `fingerprint`, from `fingerprint(item)`, saves computing it again.
        """
        known = self._members.get(item_id)
        if known is not None:
            return known.cluster
        at = _utc(at)
        printed = fingerprint or self.fingerprint(item)
        words, bands = printed.words, printed.bands
        if not words or bands is None:
            self._members[item_id] = _Member(item_id, at, ())
            return item_id
        self._index.add(item_id, words, bands)
        cluster = self._best_cluster(item_id, words, bands, at)
        story = item_id if cluster is None else cluster
        self._members[item_id] = _Member(story, at, words)
        return story

    def remember(self, item_id: int, at: datetime, story: int, fingerprint: StoryPrint) -> None:
        """Remember an item whose story was settled already (by an earlier run), so that later
        items can join that story; an item already known is left as it is."""
        if item_id in self._members:
            return
        if fingerprint.words and fingerprint.bands is not None:
            self._index.add(item_id, fingerprint.words, fingerprint.bands)
        self._members[item_id] = _Member(story, _utc(at), fingerprint.words)

    def forget_before(self, cutoff: datetime) -> None:
        """Drop the items published before `cutoff`."""
        cutoff = _utc(cutoff)
        self.forget([i for i, member in self._members.items() if member.at < cutoff])

    def forget(self, item_ids: Iterable[int]) -> None:
        """Drop these items (those whose write was rolled back); unknown ids are ignored."""
        for item_id in list(item_ids):
            member = self._members.pop(item_id, None)
            if member is not None and member.words:
                self._index.remove(item_id, member.words)

    def similarity(self, a: frozenset[str], b: frozenset[str]) -> float:
        """Return the IDF-weighted cosine similarity of two word sets, given the window's items."""
        if not a or not b:
            return 0.0
        weights = self._index.weights()
        shared = sum(weights[w] for w in a & b)
        if not shared:
            return 0.0
        return shared / math.sqrt(
            sum(map(weights.__getitem__, a)) * sum(map(weights.__getitem__, b))
        )

    def stats(self) -> ClusterStats:
        """Return the work done so far (for tests and benchmarks)."""
        return ClusterStats(
            self._items, self._read, self._compared, self._most_read, self._most_compared
        )

    def _best_cluster(
        self, item_id: int, words: tuple[str, ...], bands: Bands, at: datetime
    ) -> int | None:
        weights = self._index.weights()
        mine = {w: weights[w] for w in words}
        candidates, read = self._index.candidates(item_id, mine, bands, self._threshold)
        norm = math.sqrt(sum(mine.values()))
        # A member sharing words of squared weight S scores at most sqrt(S) / norm.
        least_shared = (self._threshold * _SLACK * norm) ** 2
        best: tuple[float, int] | None = None
        compared = 0
        for candidate in candidates:
            member = self._members[candidate]
            if abs(member.at - at) > self._window:
                continue
            shared = sum(map(mine.__getitem__, mine.keys() & member.words))
            if shared < least_shared:
                continue
            compared += 1
            score = shared / (norm * math.sqrt(sum(map(weights.__getitem__, member.words))))
            if score >= self._threshold and (best is None or score > best[0] * _TIE):
                best = (score, member.cluster)
        self._count(read, compared)
        return None if best is None else best[1]

    def _count(self, read: int, compared: int) -> None:
        self._items += 1
        self._read += read
        self._compared += compared
        self._most_read = max(self._most_read, read)
        self._most_compared = max(self._most_compared, compared)
