"""Split a watch rule into lexemes (words, phrases, operators, fields) with their positions."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIELDS", "MAX_DISTANCE", "Lexeme", "QuerySyntaxError", "lex"]

FIELDS = ("text", "title", "summary", "content", "author", "source", "site", "lang", "tag")
MAX_DISTANCE = 50
DEFAULT_DISTANCE = 5

_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_NEAR = re.compile(r"(O?NEAR)(?:/(\d*))?")
_FIELD = re.compile(r"([A-Za-z]+):")
_DIGITS = re.compile(r"\d+")
_STOP = frozenset(' \t\r\n\f\v()"')


class QuerySyntaxError(ValueError):
    """A watch rule that cannot be parsed; `position` is the 0-based column of the problem."""

    def __init__(self, query: str, position: int, message: str) -> None:
        self.query = query
        self.position = max(0, min(position, len(query)))
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        """The query on one line and a caret under the problem (the message is `.message`)."""
        shown = "".join(" " if ch in "\t\r\n\f\v" else ch for ch in self.query)
        return f"{shown}\n{' ' * self.position}^"


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One lexeme: `kind` is WORD, PREFIX, PHRASE, FIELD, AND, OR, NOT, NEAR, PLUS, MINUS, (, )."""

    kind: str
    text: str
    position: int
    end: int
    distance: int = 0
    ordered: bool = False
    slop: int | None = None


def lex(query: str) -> list[Lexeme]:
    """Split `query` into lexemes, rejecting malformed quotes, fields and operators."""
    out: list[Lexeme] = []
    i = 0
    n = len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(Lexeme(ch, ch, i, i + 1))
            i += 1
        elif ch == '"':
            i = _lex_phrase(query, i, out)
        elif ch in "+-" and (i + 1 >= n or query[i + 1].isspace()):
            raise QuerySyntaxError(
                query, i, f'"{ch}" must touch the word it applies to, e.g. {ch}word'
            )
        elif ch in "+-" and query[i + 1] in "+-":
            raise QuerySyntaxError(query, i + 1, f'doubled operator: "{query[i : i + 2]}"')
        elif ch in "+-":
            out.append(Lexeme("PLUS" if ch == "+" else "MINUS", ch, i, i + 1))
            i += 1
        else:
            i = _lex_word(query, i, out)
    return out


def _lex_phrase(query: str, start: int, out: list[Lexeme]) -> int:
    close = query.find('"', start + 1)
    if close < 0:
        raise QuerySyntaxError(
            query, start, 'unbalanced quote: this " is never closed; add a closing "'
        )
    end = close + 1
    slop: int | None = None
    if end < len(query) and query[end] == "~":
        digits = _DIGITS.match(query, end + 1)
        if digits is None:
            raise QuerySyntaxError(query, end, 'a number must follow "~", e.g. "a b"~5')
        slop = int(digits.group())
        if slop > MAX_DISTANCE:
            raise QuerySyntaxError(
                query, end, f"proximity {slop} is too far: the most is {MAX_DISTANCE} words"
            )
        end = digits.end()
    out.append(Lexeme("PHRASE", query[start + 1 : close], start, end, slop=slop))
    return end


def _lex_word(query: str, start: int, out: list[Lexeme]) -> int:
    end = start
    while end < len(query) and query[end] not in _STOP:
        end += 1
    raw = query[start:end]
    field = _FIELD.match(raw)
    if field is not None:
        name = field.group(1).lower()
        if name not in FIELDS:
            raise QuerySyntaxError(
                query,
                start,
                f'unknown field "{field.group(1)}": use one of {", ".join(FIELDS)}'
                " (to search for the text itself, put it in quotes)",
            )
        after = start + len(field.group())
        if after == end and (end >= len(query) or query[end] not in '("'):
            raise QuerySyntaxError(
                query, start, f"{name}: needs a word, a quoted phrase or a (group) right after it"
            )
        out.append(Lexeme("FIELD", name, start, after))
        if after == end:
            return end
        start, raw = after, query[after:end]
    near = _NEAR.fullmatch(raw)
    if raw in _OPERATORS:
        out.append(Lexeme(_OPERATORS[raw], raw, start, end))
    elif near is not None:
        out.append(_near_lexeme(query, start, end, near))
    else:
        out.append(_plain_lexeme(query, start, end, raw))
    return end


def _near_lexeme(query: str, start: int, end: int, near: re.Match[str]) -> Lexeme:
    digits = near.group(2)
    if digits == "":
        raise QuerySyntaxError(query, start, f"{near.group(1)}/ needs a number, e.g. NEAR/5")
    distance = DEFAULT_DISTANCE if digits is None else int(digits)
    if distance > MAX_DISTANCE:
        raise QuerySyntaxError(
            query, start, f"NEAR distance {distance} is too far: the most is {MAX_DISTANCE} words"
        )
    ordered = near.group(1) == "ONEAR"
    return Lexeme("NEAR", near.group(), start, end, distance=distance, ordered=ordered)


def _plain_lexeme(query: str, start: int, end: int, raw: str) -> Lexeme:
    tilde = raw.find("~")
    if tilde >= 0:
        raise QuerySyntaxError(
            query, start + tilde, '"~" only follows a quoted phrase, e.g. "a b"~5'
        )
    star = raw.find("*")
    if star >= 0 and star != len(raw) - 1:
        raise QuerySyntaxError(
            query, start + star, '"*" only ends a word, as in readmi* (a prefix search)'
        )
    if star >= 0:
        return Lexeme("PREFIX", raw[:-1], start, end)
    return Lexeme("WORD", raw, start, end)
