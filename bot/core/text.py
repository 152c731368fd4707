"""The analyser shared by watch rules and items: fold case and accents, tokenise, stem.

Rules and items go through the same functions so that a rule word and an item word meet
on the same form. Hyphens and apostrophes split words (`pro-independence` is two tokens).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress, islice, repeat
from operator import add, is_, is_not
from typing import Any, cast

import Stemmer

__all__ = [
    "CACHED_WORD_CHARS",
    "Token",
    "blank_ascii",
    "fold",
    "forget_older_half",
    "stem",
    "stem_cache",
    "stem_set",
    "stem_uncached",
    "stem_words",
    "stemmer_language",
    "tokenize",
    "word_spans",
    "words",
]

# Letters NFKD does not decompose into a base letter plus marks.
_EXTRA_FOLDS = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "þ": "th", "ı": "i", "ŀ": "l"}
)
_WORD = re.compile(r"[^\W_]+")
_MATCH_SPAN = re.Match.span
# Byte -> byte for the fast path of `words`: ASCII letters and digits lower-cased, every
# other byte a space.
_ASCII_BLANKS = bytes(
    ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else ord(" ") for c in range(256)
)
# Longer words (and language codes) are worked out each time, never remembered: the caches
# count entries, not bytes, and a hostile feed's 100,000-character "words" would otherwise stay
# in memory by the thousand. The longest words of real text, German compounds, are shorter.
CACHED_WORD_CHARS = 64

_LANGUAGES = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}


@dataclass(frozen=True, slots=True)
class Token:
    """A folded word and its character span in the original text."""

    text: str
    start: int
    end: int


def _fold_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_word(word: str) -> str:
    return _cached_fold(word) if len(word) <= CACHED_WORD_CHARS else fold(word)


@lru_cache(maxsize=65536)
def _cached_fold(word: str) -> str:
    return fold(word)


def fold(text: str) -> str:
    """Lower-case `text` and strip accents: "Nuñez" -> "nunez", "Algérie" -> "algerie".

    Folding twice gives the same result: compatibility forms that decompose into capitals
    (mathematical "𝗔" -> "A") are folded again.
    """
    if text.isascii():
        return text.lower()
    once = _fold_once(text)
    return once if once.isascii() and once.islower() else _fold_once(once)


def tokenize(text: str) -> list[Token]:
    """Split `text` into folded word tokens with spans into the original string."""
    out: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        folded = word.lower() if word.isascii() else _fold_word(word)
        # Folding may split one character into letters and marks; keep only word characters.
        if not folded.isalnum():
            folded = "".join(ch for ch in folded if ch.isalnum())
            if not folded:
                continue
        out.append(Token(folded, m.start(), m.end()))
    return out


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans of `tokenize(text)`, computed faster."""
    if text.isascii():
        # The words are the runs between single spaces of the blanked text that are not
        # empty; each run starts one character after the end of the previous one.
        sizes = list(map(len, blank_ascii(text).split(" ")))
        starts = list(compress(accumulate(map(add, sizes, repeat(1)), initial=0), sizes))
        return list(zip(starts, map(add, starts, compress(sizes, sizes)), strict=True))
    spans = list(map(_MATCH_SPAN, _WORD.finditer(text)))
    found: list[str] = _WORD.findall(text)
    if all(w.isascii() or _fold_token(w) for w in found):
        return spans
    # Folding left some token with no letter or digit: `tokenize` drops it.
    return [span for span, w in zip(spans, found, strict=True) if w.isascii() or _fold_token(w)]


def blank_ascii(text: str) -> str:
    """An ASCII `text` lower-cased, every character but letters and digits made a space.

    Its runs of non-spaces are `words(text)`, at the same character offsets as in `text`.
    """
    return text.encode("ascii").translate(_ASCII_BLANKS).decode("ascii")  # bytes: a table in C


def _fold_token(word: str) -> str:
    folded = _fold_word(word)
    return folded if folded.isalnum() else "".join(ch for ch in folded if ch.isalnum())


def words(text: str) -> list[str]:
    """Return the folded words of `text`: the texts of `tokenize(text)`, computed faster."""
    if text.isascii():
        return blank_ascii(text).split()
    found: list[str] = _WORD.findall(text)
    out = [w.lower() if w.isascii() else _fold_token(w) for w in found]
    return [w for w in out if w] if "" in out else out


def stemmer_language(lang: str) -> str:
    """Map an ISO 639-1 code ("fr", "fr-FR") to a Snowball algorithm; English when unknown."""
    return _cached_algorithm(lang) if len(lang or "") <= CACHED_WORD_CHARS else _algorithm(lang)


def _algorithm(lang: str) -> str:
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return _LANGUAGES.get(code, "english")


_cached_algorithm = lru_cache(maxsize=1024)(_algorithm)


_STEM_CACHE_LIMIT = 100_000
_stem_caches: dict[str, dict[str, str]] = {}


@lru_cache(maxsize=64)
def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(algorithm)
    # Our own cache (`_stem_caches`) sits in front; PyStemmer's would cost ~1 µs a miss.
    stemmer.maxCacheSize = 0
    return stemmer


def stem(word: str, lang: str = "en") -> str:
    """Stem one folded word with Snowball in the item's language (English when unknown)."""
    cache = _stem_caches.get(stemmer_language(lang))
    found = cache.get(word) if cache is not None else None
    return found if found is not None else stem_words([word], lang)[0]


def stem_cache(lang: str) -> dict[str, str]:
    """The live stem cache of `lang`'s stemmer (folded word -> stem); read it, never write."""
    return _stem_caches.setdefault(stemmer_language(lang), {})


def stem_words(folded: list[str], lang: str = "en") -> list[str]:
    """Stem many folded words at once, in the order given (cached per language)."""
    algorithm = stemmer_language(lang)
    cache = _stem_caches.setdefault(algorithm, {})
    probed = list(map(cache.get, folded))
    if None not in probed:  # all cached: one look-up per word
        return cast(list[str], probed)
    unseen = set(folded).difference(cache)
    if len(cache) + len(unseen) > _STEM_CACHE_LIMIT:
        forget_older_half(cache)
        unseen = set(folded).difference(cache)
    missing = list(unseen)
    stems = _stem_into(cache, algorithm, missing)
    if max(map(len, missing), default=0) <= CACHED_WORD_CHARS:  # all of them cached now
        return list(map(cache.__getitem__, folded))
    fresh = dict(zip(missing, stems, strict=True))
    return [fresh[w] if w in fresh else cache[w] for w in folded]


def stem_uncached(folded: list[str], lang: str = "en") -> list[str]:
    """Stem words with Snowball without the shared cache, for a caller that keeps its own."""
    return list(map(str, _stemmer(stemmer_language(lang)).stemWords(folded)))


def stem_set(distinct: Collection[str], lang: str = "en") -> frozenset[str]:
    """The stems of distinct folded words, as a set: one cache look-up per word, all in C."""
    algorithm = stemmer_language(lang)
    cache = _stem_caches.setdefault(algorithm, {})
    ordered = list(distinct)
    probed = list(map(cache.get, ordered))
    if None not in probed:
        return frozenset(cast(list[str], probed))
    missing = list(compress(ordered, map(is_, probed, repeat(None))))
    if len(cache) + len(missing) > _STEM_CACHE_LIMIT:
        forget_older_half(cache)  # the stems already read stay valid
    found = set(compress(probed, map(is_not, probed, repeat(None))))
    found.update(_stem_into(cache, algorithm, missing))
    return frozenset(cast(set[str], found))


def _stem_into(cache: dict[str, str], algorithm: str, missing: list[str]) -> list[str]:
    """Stem words the cache lacks, add them to it (up to CACHED_WORD_CHARS long), and return
    their stems in order."""
    stems = list(map(str, _stemmer(algorithm).stemWords(missing)))
    if max(map(len, missing), default=0) <= CACHED_WORD_CHARS:
        cache.update(zip(missing, stems, strict=True))
    else:
        pairs = zip(missing, stems, strict=True)
        cache.update([(w, s) for w, s in pairs if len(w) <= CACHED_WORD_CHARS])
    return stems


def forget_older_half(cache: dict[str, Any]) -> None:
    """Drop the older half of a cache (dicts keep insertion order), not all of it."""
    for old in list(islice(cache, len(cache) // 2)):
        del cache[old]
