"""An item analysed once for matching: folded words, stems, positions and spans, all lazy.

Every watch rule checked against an item reads the same `AnalysedItem`, so folding,
tokenising and stemming happen once per item however many rules look at it. Word lists and
stem sets are computed on first use; positions and character spans only when a phrase, a
NEAR operator or an explanation asks for them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import eq
from typing import cast

from bot.core.item import Item
from bot.core.text import (
    blank_ascii,
    stem,
    stem_cache,
    stem_set,
    stem_uncached,
    stem_words,
    stemmer_language,
    word_spans,
    words,
)

__all__ = [
    "FIELD_GAP",
    "KEYED_FIELDS",
    "LANG_MARK",
    "PREFIX_MARK",
    "SITE_MARK",
    "TEXT_FIELDS",
    "TOKEN_FIELDS",
    "AnalysedField",
    "AnalysedItem",
    "TextStems",
    "analyse",
    "keyed_terms",
    "normalise_lang",
    "scoped",
    "stem_key",
    "stem_keys",
]

TEXT_FIELDS = ("title", "summary", "content")
# Marks of guard atoms that are not words: a prefix, a host, a language (see bot.core.postings).
PREFIX_MARK, SITE_MARK, LANG_MARK = "*", "@", "#"
# Fields outside the text whose words the matcher looks up under a scope mark (`scoped`).
KEYED_FIELDS = ("author", "source", "tag")
TOKEN_FIELDS = (*TEXT_FIELDS, *KEYED_FIELDS)

# Empty placeholder words between the values of a multi-valued field (tags), so that no
# phrase or NEAR window (at most 64 words plus a distance of 50) spans two values.
FIELD_GAP = 128
_GAP = frozenset({""})


def scoped(scope: str, value: str) -> str:
    """The index form of a word or prefix read in `scope`.

    Words of the text (title, summary, content) are looked up as they are; words of the
    author, source and tag fields as ":author:doe", so that a rule about the text is never a
    candidate because of the byline, and the other way round. Folded words hold letters and
    digits only, so a scoped form never equals, or starts with, a text word or prefix.
    """
    return f":{scope}:{value}" if scope in KEYED_FIELDS else value


def _split_scoped(value: str) -> tuple[str, str]:
    """A word in its index form (`scoped`) as (scope mark, word): ":author:doe" gives
    (":author:", "doe"), a text word ("", itself)."""
    if value.startswith(":"):
        _, scope, word = value.split(":", 2)
        return f":{scope}:", word
    return "", value


def stem_key(value: str, lang: str) -> str:
    """Stem a word in its index form (`scoped`), keeping its scope mark."""
    mark, word = _split_scoped(value)
    return mark + stem(word, lang)


def stem_keys(values: Iterable[str], lang: str) -> dict[str, str]:
    """Map many words in their index form (`scoped`) to `stem_key(value, lang)`, stemmed in one
    batch outside the shared stem cache. A stem equal to its word is the word's own string, so
    an index keyed by stems shares the strings of an index keyed by words."""
    distinct = list(dict.fromkeys(values))
    split = [_split_scoped(value) for value in distinct]
    stems = stem_uncached([word for _mark, word in split], lang)
    out: dict[str, str] = {}
    for value, (mark, word), its_stem in zip(distinct, split, stems, strict=True):
        out[value] = value if its_stem == word else mark + its_stem
    return out


def normalise_lang(code: str) -> str:
    """Return a language code lower-cased with "-" separators: "fr_FR" -> "fr-fr"."""
    return code.strip().lower().replace("_", "-")


_SCANS_BEFORE_MAP = 4  # see `TextStems.forms_of`


class TextStems:
    """The stems of an item's text words as the matcher looked them up, shared by the item's
    text fields (empty until the matcher hands them over, `AnalysedItem.adopt_text_stems`)."""

    __slots__ = ("_form_of", "_forms", "_shared", "_stem_of", "_stems", "_words")

    def __init__(self) -> None:
        self._words: list[str] = []
        self._stems: list[str] = []
        self._stem_of: dict[str, str] | None = None
        # Stem -> a word with that stem, and how many words have each stem when some stems
        # have several (None when none has): made, in C, on the first `forms_of`.
        self._form_of: dict[str, str] | None = None
        self._shared: Counter[str] | None = None
        self._forms: dict[str, list[str]] = {}

    def adopt(self, words: list[str], stems: list[str]) -> None:
        """Take the item's distinct text words and their stems, in the same order."""
        if len(words) != len(stems):
            raise ValueError(f"{len(words)} words but {len(stems)} stems")
        self._words, self._stems = words, stems
        self._stem_of = self._form_of = self._shared = None
        self._forms = {}

    @property
    def adopted(self) -> bool:
        """Whether the stems have been handed over (an item with no words has none to give)."""
        return bool(self._words)

    @property
    def stem_of(self) -> dict[str, str]:
        """Word -> stem, made on first use: most items are matched without needing it."""
        if self._stem_of is None:
            self._stem_of = dict(zip(self._words, self._stems, strict=True))
        return self._stem_of

    def forms_of(self, stem: str) -> list[str]:
        """The item's text words whose stem is `stem` (remembered per stem).

        The first few stems asked for (a rule being verified) cost one scan of the item's
        words each, in C; past them (explanations ask for many) a stem -> word map answers the
        stems that one word has, and only a stem several words share costs a scan.
        """
        found = self._forms.get(stem)
        if found is None:
            found = self._forms[stem] = self._find_forms(stem)
        return found

    def _find_forms(self, stem: str) -> list[str]:
        if len(self._forms) >= _SCANS_BEFORE_MAP:
            if self._form_of is None:
                self._form_of = dict(zip(self._stems, self._words, strict=True))
                if len(self._form_of) != len(self._stems):
                    self._shared = Counter(self._stems)
            form = self._form_of.get(stem)
            if form is None:
                return []
            if self._shared is None or self._shared[stem] == 1:
                return [form]
        return list(compress(self._words, map(eq, self._stems, repeat(stem))))


class AnalysedField:
    """One field of an item: its words, and lazily their stems, positions and spans."""

    __slots__ = (
        "_blank",
        "_forms",
        "_joined",
        "_known",
        "_lang",
        "_occurrences",
        "_sorted",
        "_spans",
        "_stem_of",
        "_stem_positions",
        "_stem_set",
        "_stem_spans",
        "_word_positions",
        "_word_set",
        "name",
        "text",
        "values",
        "words",
    )

    def __init__(
        self, name: str, values: tuple[str, ...], lang: str, known: TextStems | None = None
    ) -> None:
        """Tokenise `values`; `lang` is the item's language, for stemming.

        `known` holds the item's text words and their stems as the item has already looked
        them up (it may fill in later): the field reads its stems there before asking the
        stem cache.
        """
        self.name = name
        self.values = values
        self.text = ", ".join(values) if len(values) != 1 else values[0]
        # No reference back to the item: a cycle would leave every analysed item to the
        # garbage collector instead of freeing it when the last reference goes.
        self._lang = lang
        self._known = known if known is not None else TextStems()
        self._stem_of: dict[str, str] | None = None
        if len(values) == 1:
            self.words: list[str] = words(values[0])
        else:
            joined: list[str] = []
            for index, value in enumerate(values):
                if index:
                    joined.extend([""] * FIELD_GAP)
                joined.extend(words(value))
            self.words = joined
        self._word_set: frozenset[str] | None = None
        self._stem_set: frozenset[str] | None = None
        self._sorted: list[str] | None = None
        self._joined: str | None = None
        self._word_positions: dict[str, list[int]] = {}
        self._stem_positions: dict[str, list[int]] = {}
        self._spans: list[tuple[int, int]] | None = None
        self._stem_spans: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._forms: dict[str, list[str]] | None = None
        self._blank: str | None = None
        self._occurrences: dict[str, tuple[list[int], tuple[tuple[str, int, int], ...]]] = {}

    @property
    def word_set(self) -> frozenset[str]:
        """The distinct folded words of the field."""
        if self._word_set is None:
            found = frozenset(self.words)
            self._word_set = found - _GAP if "" in found else found
        return self._word_set

    @property
    def stem_set(self) -> frozenset[str]:
        """The distinct stems of the field's words in the item's language."""
        if self._stem_set is None:
            if self._known.adopted:
                self._stem_set = frozenset(self.stem_of.values())
            else:
                self._stem_set = stem_set(self.word_set, self._lang)
        return self._stem_set

    @property
    def stem_of(self) -> dict[str, str]:
        """Map every distinct word of the field to its stem in the item's language."""
        if self._stem_of is None:
            distinct = list(self.word_set)
            known = list(map(self._known.stem_of.get, distinct))
            stems = (
                cast(list[str], known) if None not in known else stem_words(distinct, self._lang)
            )
            self._stem_of = dict(zip(distinct, stems, strict=True))
            if self._stem_set is None:
                self._stem_set = frozenset(stems)
        return self._stem_of

    def has_prefix(self, prefix: str) -> bool:
        """Tell whether some word of the field starts with `prefix`."""
        if self._sorted is None:
            self._sorted = sorted(self.word_set)
        ordered = self._sorted
        index = bisect_left(ordered, prefix)
        return index < len(ordered) and ordered[index].startswith(prefix)

    def positions_of_word(self, word: str) -> list[int]:
        """Positions where the folded word `word` occurs exactly (shared: do not modify)."""
        found = self._word_positions.get(word)
        if found is None:
            found = self._word_positions[word] = _positions(self._words_joined(), word)
        return found

    def positions_of_stem(self, stem: str) -> list[int]:
        """Positions of the words whose stem is `stem` (shared: do not modify)."""
        found = self._stem_positions.get(stem)
        if found is None:
            # The item's text stems, when the matcher has looked them up, name the forms
            # without mapping every word of the field to its stem.
            known = self._known
            forms = known.forms_of(stem) if known.adopted else self.forms_of(stem)
            joined = self._words_joined()
            found = []
            for form in forms:
                found += _positions(joined, form)
            if len(forms) > 1:
                found.sort()
            self._stem_positions[stem] = found
        return found

    def positions_of_phrase(self, words: tuple[str, ...]) -> list[int]:
        """Positions where `words` occur one after the other (of the first word), in order."""
        return _positions(self._words_joined(), " ".join(words))

    def _words_joined(self) -> str:
        """The words between single spaces, and a space before and after."""
        if self._joined is None:
            self._joined = f" {' '.join(self.words)} "
        return self._joined

    def positions_of_prefix(self, prefix: str) -> list[int]:
        """Positions of the words starting with `prefix`, in order."""
        found: list[int] = []
        for word in self._words_from(prefix):
            found += self.positions_of_word(word)
        return sorted(found)

    def _words_from(self, prefix: str) -> list[str]:
        """The distinct words of the field starting with `prefix`."""
        if self._sorted is None:
            self._sorted = sorted(self.word_set)
        ordered = self._sorted
        first = index = bisect_left(ordered, prefix)
        while index < len(ordered) and ordered[index].startswith(prefix):
            index += 1
        return ordered[first:index]

    def stem_spans(self, stem: str) -> tuple[tuple[str, int, int], ...]:
        """(field name, start, end) of every word whose stem is `stem`, in order (cached).

        The many rules explained on one item share their words: each stem is looked for once.
        """
        found = self._stem_spans.get(stem)
        if found is None:
            known = self._known
            if known.adopted:  # the item's words with that stem that are in this field
                word_set = self.word_set
                forms = [form for form in known.forms_of(stem) if form in word_set]
            else:
                forms = self.forms_of(stem)
            if not forms:
                found = ()
            elif self.text.isascii():  # find the word forms in the text: no positions needed
                found = self._find(forms)
            else:
                found = self._spans_at(self.positions_of_stem(stem))
            self._stem_spans[stem] = found
        return found

    def prefix_spans(self, prefix: str) -> tuple[tuple[str, int, int], ...]:
        """(field name, start, end) of every word starting with `prefix`, in order (cached)."""
        key = PREFIX_MARK + prefix  # stems hold letters and digits only: no clash
        found = self._stem_spans.get(key)
        if found is None:
            if not self.has_prefix(prefix):
                found = ()
            elif self.text.isascii():
                found = self._find(self._words_from(prefix))
            else:
                found = self._spans_at(self.positions_of_prefix(prefix))
            self._stem_spans[key] = found
        return found

    def forms_of(self, stem: str) -> list[str]:
        """The distinct words of the field whose stem is `stem`."""
        if self._forms is None:
            forms: dict[str, list[str]] = {}
            for word, its_stem in self.stem_of.items():
                found = forms.get(its_stem)
                if found is None:
                    forms[its_stem] = [word]
                else:
                    found.append(word)
            self._forms = forms
        return self._forms.get(stem, [])

    def _find(self, forms: list[str]) -> tuple[tuple[str, int, int], ...]:
        """(field name, start, end) of the occurrences of `forms` in an ASCII field."""
        if self._blank is None:
            self._blank = f" {blank_ascii(self.text)} "
        return _find_words(self._blank, forms, self.name)

    def _spans_at(self, positions: list[int]) -> tuple[tuple[str, int, int], ...]:
        """(field name, start, end) of the words at `positions`."""
        spans, name = self.spans, self.name
        return tuple([(name, *spans[p]) for p in positions])

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span in `text` covering the words at positions `first`..`last`."""
        if self._spans is None and self.text.isascii():  # a few spans: skip the full list
            return self._word_span(first)[1], self._word_span(last)[2]
        spans = self.spans
        return spans[first][0], spans[last][1]

    def _word_span(self, position: int) -> tuple[str, int, int]:
        """(field name, start, end) of the word at `position` of an ASCII field: the k-th
        occurrence of that word in the text, where `position` is its k-th position."""
        word = self.words[position]
        found = self._occurrences.get(word)
        if found is None:
            found = self._occurrences[word] = (self.positions_of_word(word), self._find([word]))
        positions, spans = found
        return spans[bisect_left(positions, position)]

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The (start, end) character span in `text` of the word at each position."""
        if self._spans is None:
            spans: list[tuple[int, int]] = []
            offset = 0
            for index, value in enumerate(self.values):
                if index:
                    spans.extend([(offset, offset)] * FIELD_GAP)
                if offset:
                    spans.extend((offset + s, offset + e) for s, e in word_spans(value))
                else:
                    spans.extend(word_spans(value))
                offset += len(value) + 2
            self._spans = spans
        return self._spans


class AnalysedItem:
    """An item prepared for matching against many rules."""

    __slots__ = (
        "_field_stems",
        "_field_words",
        "_fields",
        "_host",
        "_host_keys",
        "_lang_keys",
        "_scoped_stems",
        "_scoped_words",
        "_scopes",
        "_text_stems",
        "_text_words",
        "_value_atoms",
        "_word_stems",
        "algorithm",
        "item",
        "lang",
        "stems",
    )

    def __init__(self, item: Item) -> None:
        self.item = item
        self.algorithm = stemmer_language(item.lang)
        self.stems = stem_cache(item.lang)
        self.lang = normalise_lang(item.lang)
        self._host: str | None = None
        self._host_keys: tuple[str, ...] | None = None
        self._lang_keys: tuple[str, ...] | None = None
        self._value_atoms: frozenset[str] | None = None
        self._fields: dict[str, AnalysedField] = {}
        # Text words -> stems, filled by `text_stems` and shared with the text fields.
        self._word_stems = TextStems()
        self._scopes: dict[str, tuple[AnalysedField, ...]] = {}
        self._scoped_stems: dict[str, frozenset[str]] = {}
        self._scoped_words: dict[str, frozenset[str]] = {}
        self._text_words: frozenset[str] | None = None
        self._text_stems: frozenset[str] | None = None
        self._field_words: frozenset[str] | None = None
        self._field_stems: frozenset[str] | None = None

    @property
    def host(self) -> str:
        """The host of the item's URL ("" when unknown), parsed on first use."""
        if self._host is None:
            self._host = self.item.site
        return self._host

    def stem(self, word: str) -> str:
        """Stem a folded word in the item's language (rule words use this, cached)."""
        found = self.stems.get(word)
        return found if found is not None else stem(word, self.item.lang)

    def fields_for(self, scope: str) -> tuple[AnalysedField, ...]:
        """The analysed fields a rule scope reads: "text" is title, summary and content.

        "content" also reads the boilerplate taken out of the item's text (`Item.boilerplate`):
        default matching sees the cleaned text, `content:` the whole text as published.
        """
        found = self._scopes.get(scope)
        if found is None:
            if scope == "text":
                found = (self.field("title"), self.field("summary"), self.field("content"))
            elif scope == "content" and self.item.boilerplate:
                found = (self.field("content"), self.field("boilerplate"))
            else:
                found = (self.field(scope),)
            self._scopes[scope] = found
        return found

    def stems_in(self, scope: str) -> frozenset[str]:
        """The distinct stems of the fields in `scope`."""
        found = self._scoped_stems.get(scope)
        if found is None:
            if scope == "text":
                found = self.text_stems
            else:
                found = _union(f.stem_set for f in self.fields_for(scope))
            self._scoped_stems[scope] = found
        return found

    def words_in(self, scope: str) -> frozenset[str]:
        """The distinct folded words of the fields in `scope`."""
        found = self._scoped_words.get(scope)
        if found is None:
            if scope == "text":
                found = self.text_words
            else:
                found = _union(f.word_set for f in self.fields_for(scope))
            self._scoped_words[scope] = found
        return found

    @property
    def text_words(self) -> frozenset[str]:
        """The distinct folded words of the title, summary and content."""
        if self._text_words is None:
            fields = self.fields_for("text")  # tokenised once, for positions later as well
            self._text_words = frozenset(chain(*[f.words for f in fields]))
        return self._text_words

    def adopt_text_stems(self, ordered: list[str], stems: list[str]) -> frozenset[str]:
        """Take the stems of the text words, looked up by the caller, and return the stem set.

        `ordered` holds the distinct text words (`text_words`) and `stems` their stems in the
        item's language, in the same order; an item that already has its stems keeps them.
        The text fields then read their stems from here rather than from the large stem cache.
        """
        if self._text_stems is None:
            self._word_stems.adopt(ordered, stems)
            self._text_stems = frozenset(stems)
        return self._text_stems

    @property
    def text_stems(self) -> frozenset[str]:
        """The distinct stems of the title, summary and content."""
        if self._text_stems is None:
            ordered = list(self.text_words)
            return self.adopt_text_stems(ordered, stem_words(ordered, self.item.lang))
        return self._text_stems

    @property
    def field_words(self) -> frozenset[str]:
        """The author, source and tag words in `scoped` form (":author:doe")."""
        return self._keyed_terms()[0]

    @property
    def field_stems(self) -> frozenset[str]:
        """The author, source and tag stems in `scoped` form."""
        return self._keyed_terms()[1]

    def _keyed_terms(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._field_words is None or self._field_stems is None:
            item = self.item
            self._field_words, self._field_stems = keyed_terms(
                item.author, item.source, tuple(item.tags), item.lang
            )
        return self._field_words, self._field_stems

    def has_stem(self, value: str) -> bool:
        """Tell whether the item holds a stem in `scoped` form (text or other fields)."""
        return value in self.text_stems or value in self.field_stems

    @property
    def value_atoms(self) -> frozenset[str]:
        """The host keys marked "@" and the language keys marked "#" (guard atoms)."""
        if self._value_atoms is None:
            self._value_atoms = _value_atoms(self.host, self.lang)
        return self._value_atoms

    def stem_atom(self, value: str) -> str:
        """Stem a word in its index form (`scoped`) in the item's language."""
        if value.startswith(":"):
            return stem_key(value, self.item.lang)
        found = self.stems.get(value)  # the cache first: guard atoms are common words
        return found if found is not None else stem(value, self.item.lang)

    def field(self, name: str) -> AnalysedField:
        """The analysed field `name` (one of TOKEN_FIELDS, or "boilerplate")."""
        found = self._fields.get(name)
        if found is None:
            if name == "tag":
                values: tuple[str, ...] = tuple(self.item.tags)
            else:
                values = (getattr(self.item, name),)
            known = self._word_stems if name in TEXT_FIELDS else None
            found = AnalysedField(name, values, self.item.lang, known)
            self._fields[name] = found
        return found

    def host_keys(self) -> tuple[str, ...]:
        """The host and every parent domain: "www.bbc.co.uk", "bbc.co.uk", "co.uk", "uk"."""
        if self._host_keys is None:
            self._host_keys = _host_keys(self.host)
        return self._host_keys

    def lang_keys(self) -> tuple[str, ...]:
        """The language code and its shorter forms: "fr-fr", "fr"."""
        if self._lang_keys is None:
            self._lang_keys = _lang_keys(self.lang)
        return self._lang_keys


# Hosts and languages repeat from item to item (a feed's items share them): their keys are
# worked out once for many items. Values longer than any real host or language code (a
# hostile feed's) are worked out each time, so that the caches stay small.
_CACHED_HOST, _CACHED_LANG = 253, 35


def _host_keys(host: str) -> tuple[str, ...]:
    return _cached_host_keys(host) if len(host) <= _CACHED_HOST else _split_host(host)


def _lang_keys(lang: str) -> tuple[str, ...]:
    return _cached_lang_keys(lang) if len(lang) <= _CACHED_LANG else _split_lang(lang)


def _value_atoms(host: str, lang: str) -> frozenset[str]:
    if len(host) <= _CACHED_HOST and len(lang) <= _CACHED_LANG:
        return _cached_value_atoms(host, lang)
    return _atoms_of(host, lang)


def _split_host(host: str) -> tuple[str, ...]:
    parts = host.split(".") if host else []
    return tuple(".".join(parts[i:]) for i in range(len(parts)))


def _split_lang(lang: str) -> tuple[str, ...]:
    parts = lang.split("-") if lang else []
    return tuple("-".join(parts[: i + 1]) for i in range(len(parts)))


def _atoms_of(host: str, lang: str) -> frozenset[str]:
    hosts = [SITE_MARK + key for key in _host_keys(host)]
    return frozenset(hosts + [LANG_MARK + key for key in _lang_keys(lang)])


_cached_host_keys = lru_cache(maxsize=4096)(_split_host)
_cached_lang_keys = lru_cache(maxsize=256)(_split_lang)
_cached_value_atoms = lru_cache(maxsize=4096)(_atoms_of)


# Keyed-field terms of recent (author, source, tags, language) values: the items of one feed
# share their source, and often their authors and tags. Values longer than _KEYED_TERMS_CHARS
# in all are worked out each time, so that a hostile feed cannot fill the cache with text.
_KEYED_TERMS_LIMIT = 4096
_KEYED_TERMS_CHARS = 1000
_keyed_terms: dict[
    tuple[str, str, tuple[str, ...], str], tuple[frozenset[str], frozenset[str]]
] = {}


def keyed_terms(
    author: str, source: str, tags: tuple[str, ...], lang: str
) -> tuple[frozenset[str], frozenset[str]]:
    """The words and the stems of the author, source and tag fields, in `scoped` form."""
    key = (author, source, tags, lang)
    found = _keyed_terms.get(key)
    if found is None:
        found = _work_out_keyed_terms(author, source, tags, lang)
        if len(author) + len(source) + sum(map(len, tags)) + len(lang) <= _KEYED_TERMS_CHARS:
            if len(_keyed_terms) >= _KEYED_TERMS_LIMIT:
                _keyed_terms.clear()
            _keyed_terms[key] = found
    return found


def _work_out_keyed_terms(
    author: str, source: str, tags: tuple[str, ...], lang: str
) -> tuple[frozenset[str], frozenset[str]]:
    by_field = (("author", (author,)), ("source", (source,)), ("tag", tags))
    pairs = [(name, w) for name, values in by_field for value in values for w in words(value)]
    stems = stem_words([w for _name, w in pairs], lang)
    return (
        frozenset([scoped(name, w) for name, w in pairs]),
        frozenset([scoped(name, s) for (name, _w), s in zip(pairs, stems, strict=True)]),
    )


def _union(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*sets)


def _positions(joined: str, form: str) -> list[int]:
    """Positions of `form` (a word, or words joined by one space) in `joined`, words (or stems)
    between single spaces with one before and after: found in C, the position of a word being
    the number of spaces before it. Occurrences may overlap ("a a" twice in "a a a")."""
    if not form:
        return []
    needle = f" {form} "
    step = form.find(" ") + 1 or len(form) + 1  # on to the next word
    find, count = joined.find, joined.count
    out: list[int] = []
    at = find(needle)
    position = previous = 0
    while at >= 0:
        position += count(" ", previous, at)
        out.append(position)
        previous = at
        at = find(needle, at + step)
    return out


def _find_words(padded: str, forms: list[str], name: str) -> tuple[tuple[str, int, int], ...]:
    """(name, start, end) of every occurrence of any of `forms` as a whole word in `padded`
    (a `blank_ascii` text between two spaces, words being the runs between spaces), in order
    (offsets into the text without the padding)."""
    out: list[tuple[str, int, int]] = []
    find = padded.find
    for form in forms:
        needle = f" {form} "
        step = len(form) + 1
        at = find(needle)
        while at >= 0:  # the word starts at `at` + 1 in `padded`, so at `at` in the text
            out.append((name, at, at + step - 1))
            at = find(needle, at + step)  # from the space after the word
    if len(forms) > 1:
        out.sort()
    return tuple(out)


def analyse(item: Item) -> AnalysedItem:
    """Prepare `item` for matching."""
    return AnalysedItem(item)
