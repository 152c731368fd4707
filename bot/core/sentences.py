"""Split plain text into sentences, as character spans, for English and French news copy.

A sentence ends at `.`, `!`, `?` or `…` (and runs of them), plus any closing quotes or brackets,
when the next visible character can start a sentence (a capital, a digit, an opening quote).
A line break always ends a sentence: feed text keeps block breaks from HTML.

Not an end: a period after a known abbreviation ("Mr.", "Dr.", "M.", "Mme", "etc." before a
lower-case word), after a single capital ("John F. Kennedy"), inside initialisms ("U.S.", "e.g.")
unless a typical sentence opener follows, or inside numbers ("3.5", "1.2 billion").
French spacing is understood: "Vraiment ?", "« Non ! » dit-il." and non-breaking spaces.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

# _Abbreviations written with a capital (titles, months, "No."): matched case-sensitively, so
# the ordinary words "no", "me", "est" or "art" still end a sentence.
_ENGLISH_TITLES = frozenset(
    {
        "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Col", "Lt", "Sgt", "Capt",
        "Cmdr", "Adm", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres", "Supt", "Insp", "No", "Nos",
        "Fig", "Figs", "Vol", "Dept", "Est", "Inc", "Ltd", "Co", "Corp", "Bros", "Mt", "Ft",
        "Ave", "Blvd", "Rd", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept",
        "Oct", "Nov", "Dec",
    }
)  # fmt: skip
_FRENCH_TITLES = frozenset(
    {
        "MM", "Mme", "Mmes", "Mlle", "Mlles", "Me", "Mgr", "Pr", "Dr", "St", "Ste", "Gal", "No",
        "Vol", "Art", "Chap", "Bd", "Av", "Janv", "Févr", "Avr", "Juil", "Sept", "Oct", "Nov",
        "Déc", "Dép", "Éd",
    }
)  # fmt: skip
# _Abbreviations written in lower case: matched whatever the case.
_ENGLISH_SHORT = frozenset({"vs", "v", "cf", "p", "pp", "approx", "etc", "al"})
_FRENCH_SHORT = frozenset({"cf", "etc", "env", "p", "pp", "av", "bd", "chap", "vol"})
_ABBREVIATIONS_BY_LANGUAGE = {
    "en": (_ENGLISH_TITLES, _ENGLISH_SHORT),
    "fr": (_FRENCH_TITLES, _FRENCH_SHORT),
}
_ALL_ABBREVIATIONS = (_ENGLISH_TITLES | _FRENCH_TITLES, _ENGLISH_SHORT | _FRENCH_SHORT)
# After these the sentence may well end; they only stay inside it before a lower-case word.
_MAY_END = frozenset({"etc", "inc", "ltd", "co", "corp", "bros", "al", "est", "dept"})
_OPENERS = frozenset(
    {
        "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "this", "that", "these",
        "those", "there", "in", "on", "at", "but", "and", "so", "yet", "its", "his", "her",
        "their", "our", "after", "before", "when", "while", "officials", "le", "la", "les", "il",
        "elle", "ils", "elles", "nous", "un", "une", "des", "mais", "selon", "ce", "cette",
    }
)  # fmt: skip
_SPACE = " \t\u00a0\u202f\u2009\u2007"
_CLOSERS = "\"'”’»)]"
_OPENERS_PUNCT = "\"'“‘«(["
# Closers hug the punctuation, except French closing guillemets, which follow a space.
_END = re.compile(rf"[.!?…]+(?:[{re.escape(_CLOSERS)}]|[{_SPACE}]+»)*")
_WORD_BEFORE = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*)$")
# The word before a period is looked for this far back only: searched over the whole line, the
# pattern is tried at every position of it, so a long one-line article split in quadratic time.
_WORD_BEFORE_CHARS = 80
_NEXT_WORD = re.compile(r"[^\W_]+")


_Abbreviations = tuple[frozenset[str], frozenset[str]]


def _abbreviations(lang: str) -> _Abbreviations:
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return _ABBREVIATIONS_BY_LANGUAGE.get(code, _ALL_ABBREVIATIONS)


def _is_abbreviation(word: str, abbreviations: _Abbreviations) -> bool:
    titles, short = abbreviations
    return word in titles or word.lower() in short


def _can_start(ch: str) -> bool:
    return ch.isupper() or ch.isdigit() or ch in _OPENERS_PUNCT


def _ends_here(line: str, match: re.Match[str], abbreviations: _Abbreviations) -> bool:
    """Decide whether the punctuation run `match` inside `line` closes a sentence."""
    rest = line[match.end() :].lstrip(_SPACE)
    if not rest:
        return True
    if len(rest) == len(line) - match.end():  # no space after the punctuation: "3.5", "a.m.x"
        return False
    if not _can_start(rest[0]):
        return False
    punct = match.group()
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    before = _WORD_BEFORE.search(line, max(0, match.start() - _WORD_BEFORE_CHARS), match.start())
    if before is None:
        return True
    word = before.group(1)
    next_word_match = _NEXT_WORD.match(rest.lstrip(_OPENERS_PUNCT))
    next_word = next_word_match.group().lower() if next_word_match else ""
    if "." in word:  # an initialism such as U.S or e.g
        return next_word in _OPENERS
    if len(word) == 1 and word.isupper():  # an initial: "John F. Kennedy", "M. Macron"
        return False
    if _is_abbreviation(word, abbreviations):
        return word.lower() in _MAY_END and next_word in _OPENERS
    return True


def split_sentences(text: str, lang: str = "") -> list[tuple[int, int]]:
    """Return the (start, end) spans of the sentences of `text`, trimmed of surrounding space."""
    abbreviations = _abbreviations(lang)
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start = 0
        for match in _END.finditer(line):
            if _ends_here(line, match, abbreviations):
                spans.append((offset + start, offset + match.end()))
                start = match.end()
        spans.append((offset + start, offset + len(line)))
        offset += len(line) + 1
    return [trimmed for span in spans if (trimmed := _trim(text, span))[0] < trimmed[1]]


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
