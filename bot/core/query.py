"""The watch-rule language: parse a rule into a `Query` that matches, explains and prints itself.

Grammar (operators are the upper-case words; precedence NOT > NEAR > AND > OR):

| form                                 | meaning                                                 |
|--------------------------------------|---------------------------------------------------------|
| `a b`, `a AND b`, `+a +b`            | both (adjacent terms are ANDed)                         |
| `a OR b`                             | either                                                  |
| `NOT a`, `-a`, `a AND NOT b`         | exclusion (`a NOT b` too)                               |
| `( ... )`                            | grouping (at most 16 levels deep)                       |
| `"exact phrase"`                     | consecutive words, in order; no stemming inside quotes  |
| `"a b"~5`                            | all the words, any order, at most 5 other words among   |
| `a NEAR/5 b`, `a NEAR b` (default 5) | at most 5 words between a and b, either order           |
| `a ONEAR/5 b`                        | at most 5 words between a and b, a before b             |
| `readmi*`                            | a word starting with `readmi` (3+ characters before *)  |
| `title:x`, `title:(a OR b)`          | field scope (below), also `title:"..."`; default `text` |

Fields: `title`, `summary`, `content`, `text` (title, summary and content), `author`, `source`,
`tag` (any tag), `site` (the URL host or a subdomain of it: `site:bbc.co.uk` matches
`www.bbc.co.uk`), `lang` (the item's language, `lang:fr` matches `fr-FR`). `site:` and `lang:`
take a bare value (or a group of them), not a phrase or a prefix.

Words: case and accents never matter (`Nunez` finds "Nuñez"). A plain word matches its
inflections by Snowball stemming in the item's language (English when unknown); quoted words
match exactly. A word holding punctuation is the phrase of its parts (`pro-independence` is
`"pro independence"`). NEAR operands are words, prefixes, phrases, OR-groups of those or other
NEARs, all in the same field. A lower-case (or mixed-case) `and`/`or` between two terms, or
`not` before a term, is refused with the fix: write the operator in capitals, or quote the word
to search it (`"rock and roll"`, `election "or" vote`). A lower-case `near` between terms is
searched as a word (it is common in news: "blast near embassy"); `Query.warnings` asks "did
you mean NEAR?".

Rejected, with the column of the problem: an empty rule; a lower-case operator between
terms (above); a dangling or doubled operator;
unbalanced parentheses or quotes; an unknown field; a rule with no positive term (`NOT a`
alone, or `a OR NOT b`, would alert on nearly everything); a prefix shorter than 3 characters;
a NEAR or `~` distance over 50; more than 1,000 characters; more than 64 words; nesting deeper
than 16 parentheses.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.analysis import AnalysedItem, analyse, normalise_lang
from bot.core.item import Item
from bot.core.query_lexer import FIELDS, Lexeme, QuerySyntaxError, lex
from bot.core.rule_nodes import (
    And,
    Evidence,
    Lang,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Positional,
    Prefix,
    Site,
    Span,
    Word,
    positive_leaves,
)
from bot.core.search_terms import STEMMER_CODES, search_groups, search_prefixes
from bot.core.text import stem_words, tokenize, words

__all__ = ["FIELDS", "Match", "Query", "QuerySyntaxError", "parse"]

MAX_LENGTH = 1000
MAX_TERMS = 64
MAX_DEPTH = 16
MIN_PREFIX = 3

_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_LANG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_OPERAND_START = frozenset({"WORD", "PREFIX", "PHRASE", "FIELD", "(", "NOT", "MINUS", "PLUS"})
_BINARY = frozenset({"AND", "OR", "NEAR"})
_REFUSED_LOOKALIKES = {"and": "AND", "or": "OR", "not": "NOT"}
_WARNED_LOOKALIKES = {"near": "NEAR"}
_TERM_END = frozenset({"WORD", "PREFIX", "PHRASE", ")"})


@dataclass(frozen=True, slots=True)
class Match:
    """Why an item matched: the terms as written, and (field, start, end) character spans."""

    terms: tuple[str, ...]
    spans: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Query:
    """A parsed watch rule. Equal queries have equal syntax trees."""

    root: Node
    source: str
    warnings: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and self.root == other.root

    def __hash__(self) -> int:
        return hash(self.root)

    def __str__(self) -> str:
        return self.root.canonical()

    def matches(self, item: Item | AnalysedItem) -> bool:
        """Tell whether `item` satisfies the rule (no explanation, faster)."""
        doc = item if isinstance(item, AnalysedItem) else analyse(item)
        return self.root.matches(doc)

    def explain(self, item: Item | AnalysedItem) -> Match | None:
        """Return which terms matched where, or None when the item does not match."""
        doc = item if isinstance(item, AnalysedItem) else analyse(item)
        evidence: list[Evidence] = []
        if not self.root.explain(doc, evidence):
            return None
        if len(evidence) == 1:
            label, spans = evidence[0]
            return Match((label,), spans)
        labels, groups = zip(*evidence, strict=True)
        return Match(tuple(dict.fromkeys(labels)), _merge(groups))

    def highlight(self, text: str, lang: str = "") -> list[tuple[int, int]]:
        """Character spans in `text` of every word a positive term of the rule would match."""
        tokens = tokenize(text)
        folded = [t.text for t in tokens]
        stems = stem_words(folded, lang or "en")
        marked: set[int] = set()
        for leaf in positive_leaves(self.root):
            if isinstance(leaf, Word):
                (target,) = stem_words([leaf.word], lang or "en")
                marked.update(i for i, s in enumerate(stems) if s == target)
            elif isinstance(leaf, Prefix):
                marked.update(i for i, w in enumerate(folded) if w.startswith(leaf.prefix))
            elif isinstance(leaf, Phrase) and leaf.slop is None:
                size = len(leaf.words)
                for i in range(len(folded) - size + 1):
                    if tuple(folded[i : i + size]) == leaf.words:
                        marked.update(range(i, i + size))
            elif isinstance(leaf, Phrase):
                wanted = set(leaf.words)
                marked.update(i for i, w in enumerate(folded) if w in wanted)
        return [(tokens[i].start, tokens[i].end) for i in sorted(marked)]

    def search_terms(self, languages: Iterable[str] | None = None) -> list[str] | None:
        """Folded prefixes, one of which starts a word of every matching item; None if none.

        Plain words give the prefix they share with their stems in `languages` (language
        codes of the archived items; default every language the stemmer knows).
        """
        codes = STEMMER_CODES if languages is None else tuple(sorted(set(languages)))
        found = search_prefixes(self.root, codes)
        return None if found is None else sorted(found)

    def search_groups(self, languages: Iterable[str] | None = None) -> list[list[str]] | None:
        """Groups of folded prefixes; every matching item has a word starting with one of each.

        Tighter than `search_terms`: every part of an AND gives its group. None if none.
        """
        codes = STEMMER_CODES if languages is None else tuple(sorted(set(languages)))
        found = search_groups(self.root, codes)
        return None if found is None else [sorted(group) for group in found]


def _merge(groups: tuple[tuple[Span, ...], ...]) -> tuple[Span, ...]:
    """Sort and de-duplicate spans given in groups, each sorted, distinct, in one field.

    A field's spans need sorting only when more than one group falls in it.
    """
    if len(groups) == 2:  # the common case, without the general bookkeeping
        first, second = groups
        if first[0][0] != second[0][0]:
            return first + second if first[0][0] < second[0][0] else second + first
        if first is second:
            return first
    by_field: dict[str, list[tuple[Span, ...]]] = {}
    for spans in groups:
        found = by_field.get(spans[0][0])
        if found is None:
            by_field[spans[0][0]] = [spans]
        elif spans not in found:
            found.append(spans)
    out: list[Span] = []
    for name in sorted(by_field):
        found = by_field[name]
        if len(found) == 1:
            out += found[0]
        else:
            out += sorted(set().union(*found))
    return tuple(out)


def parse(query: str) -> Query:
    """Parse a watch rule; raise QuerySyntaxError naming the problem and its column."""
    if not query.strip():
        raise QuerySyntaxError(query, 0, "empty rule: write at least one word to watch for")
    if len(query) > MAX_LENGTH:
        raise QuerySyntaxError(
            query, MAX_LENGTH, f"rule too long: at most {MAX_LENGTH} characters, got {len(query)}"
        )
    lexemes = lex(query)
    _refuse_lower_case_operators(query, lexemes)
    root = _Parser(query, lexemes).parse()
    _require_positive(query, root)
    return Query(root=root, source=query, warnings=_warnings(lexemes))


class _Parser:
    """Recursive descent over lexemes, one method per precedence level."""

    def __init__(self, query: str, lexemes: list[Lexeme]) -> None:
        self.query = query
        self.lexemes = lexemes
        self.index = 0
        self.depth = 0
        self.terms = 0
        self.scopes: list[str] = ["text"]

    def parse(self) -> Node:
        first = self._peek()
        if first is not None and first.kind in _BINARY:
            self._fail(first, f"{first.text} has nothing before it: put a word on each side")
        root = self._or()
        extra = self._peek()
        if extra is not None:
            if extra.kind == ")":
                self._fail(extra, "unbalanced parenthesis: this ) has no matching (")
            self._fail(extra, f'unexpected "{extra.text}"')
        return root

    def _peek(self) -> Lexeme | None:
        return self.lexemes[self.index] if self.index < len(self.lexemes) else None

    def _next(self) -> Lexeme:
        lexeme = self.lexemes[self.index]
        self.index += 1
        return lexeme

    def _fail(self, at: Lexeme | int, message: str) -> None:
        position = at if isinstance(at, int) else at.position
        raise QuerySyntaxError(self.query, position, message)

    def _expect_operand(self, operator: Lexeme) -> None:
        """Reject an operator with nothing usable after it."""
        following = self._peek()
        if following is None:
            self._fail(operator, f"{operator.text} has nothing after it: add a term or remove it")
        elif following.kind in _BINARY:
            self._fail(following, f"doubled operator: {operator.text} followed by {following.text}")
        elif following.kind == ")":
            self._fail(operator, f"{operator.text} has nothing after it before the )")

    def _or(self) -> Node:
        parts = [self._and()]
        while (lexeme := self._peek()) is not None and lexeme.kind == "OR":
            self._next()
            self._expect_operand(lexeme)
            parts.append(self._and())
        return _combine(Or, parts)

    def _and(self) -> Node:
        parts = [self._near()]
        while (lexeme := self._peek()) is not None and (
            lexeme.kind == "AND" or lexeme.kind in _OPERAND_START
        ):
            if lexeme.kind == "AND":
                self._next()
                self._expect_operand(lexeme)
            parts.append(self._near())
        return _combine(And, parts)

    def _near(self) -> Node:
        left = self._unary()
        while (lexeme := self._peek()) is not None and lexeme.kind == "NEAR":
            self._next()
            self._expect_operand(lexeme)
            right = self._unary()
            left = self._make_near(lexeme, left, right)
        return left

    def _make_near(self, operator: Lexeme, left: Node, right: Node) -> Near:
        for side in (left, right):
            if not _is_positional(side):
                self._fail(
                    operator,
                    f"{operator.text} needs words, prefixes or phrases on both sides"
                    " (not NOT, AND, site: or lang:)",
                )
        assert isinstance(left, Positional) and isinstance(right, Positional)
        if left.scope != right.scope:
            self._fail(
                operator,
                f"{operator.text} compares positions within one field: both sides"
                f" must use the same field ({left.scope}: vs {right.scope}:)",
            )
        return Near(left, right, operator.distance, operator.ordered, scope=left.scope)

    def _unary(self) -> Node:
        lexeme = self._peek()
        if lexeme is not None and lexeme.kind in ("NOT", "MINUS"):
            self._next()
            self._expect_operand(lexeme)
            following = self._peek()
            if following is not None and following.kind in ("NOT", "MINUS", "PLUS"):
                self._fail(
                    following, f"doubled operator: {lexeme.text} followed by {following.text}"
                )
            return Not(self._unary(), position=lexeme.position)
        if lexeme is not None and lexeme.kind == "PLUS":
            self._next()
            self._expect_operand(lexeme)
            following = self._peek()
            if following is not None and following.kind in ("NOT", "MINUS", "PLUS"):
                self._fail(following, f"doubled operator: + followed by {following.text}")
            return self._unary()
        return self._primary()

    def _primary(self) -> Node:
        lexeme = self._peek()
        if lexeme is None:
            self._fail(len(self.query), "the rule ends where a term was expected")
        assert lexeme is not None
        if lexeme.kind in _BINARY:
            self._fail(lexeme, f"{lexeme.text} has nothing before it: put a word on each side")
        if lexeme.kind == ")":
            self._fail(lexeme, "unbalanced parenthesis: this ) has no matching (")
        self._next()
        if lexeme.kind == "FIELD":
            target = self._peek()
            if target is None or target.kind not in ("WORD", "PREFIX", "PHRASE", "("):
                self._fail(
                    lexeme, f"{lexeme.text}: needs a word, a quoted phrase or a (group) after it"
                )
            self.scopes.append(lexeme.text)
            try:
                return self._primary()
            finally:
                self.scopes.pop()
        if lexeme.kind == "(":
            return self._group(lexeme)
        return self._leaf(lexeme)

    def _group(self, opening: Lexeme) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self._fail(opening, f"nesting too deep: at most {MAX_DEPTH} levels of parentheses")
        following = self._peek()
        if following is not None and following.kind == ")":
            self._fail(opening, "empty parentheses: put a term inside or remove them")
        inner = self._or()
        closing = self._peek()
        if closing is None or closing.kind != ")":
            self._fail(opening, "unbalanced parenthesis: this ( is never closed; add a )")
        self._next()
        self.depth -= 1
        return inner

    def _count(self, lexeme: Lexeme, count: int) -> None:
        self.terms += count
        if self.terms > MAX_TERMS:
            self._fail(lexeme, f"too many terms: at most {MAX_TERMS} words in one rule")

    def _leaf(self, lexeme: Lexeme) -> Node:
        scope = self.scopes[-1]
        # Interned: many rules name the same words, and the matcher's index keys are these.
        label = sys.intern(self.query[lexeme.position : lexeme.end])
        if scope in ("site", "lang"):
            return self._value_leaf(lexeme, scope, label)
        found = list(map(sys.intern, words(lexeme.text)))
        if not found:
            what = "phrase" if lexeme.kind == "PHRASE" else "term"
            self._fail(lexeme, f"empty {what}: {label!r} has no letters or digits to search for")
        self._count(lexeme, len(found))
        if lexeme.kind == "PHRASE":
            return Phrase(scope, tuple(found), lexeme.slop, label, lexeme.position)
        if lexeme.kind == "PREFIX":
            if len(found) != 1:
                self._fail(lexeme, f"a prefix is one word: {label!r} holds {len(found)}")
            if len(found[0]) < MIN_PREFIX:
                self._fail(
                    lexeme,
                    f"prefix too short: {label!r} needs at least {MIN_PREFIX} characters before *",
                )
            return Prefix(scope, found[0], label, lexeme.position)
        if len(found) == 1:
            return Word(scope, found[0], label, lexeme.position)
        return Phrase(scope, tuple(found), None, label, lexeme.position)

    def _value_leaf(self, lexeme: Lexeme, scope: str, label: str) -> Node:
        if lexeme.kind != "WORD":
            self._fail(lexeme, f"{scope}: takes a bare value like {_EXAMPLES[scope]}, not {label}")
        self._count(lexeme, 1)
        if scope == "site":
            host = lexeme.text.lower().rstrip(".")
            if not _HOST.fullmatch(host):
                self._fail(lexeme, f"site: takes a host name like bbc.co.uk, not {label!r}")
            return Site(host, label, lexeme.position)
        code = normalise_lang(lexeme.text)
        if not _LANG.fullmatch(code):
            self._fail(lexeme, f"lang: takes a language code like fr or pt-BR, not {label!r}")
        return Lang(code, label, lexeme.position)


_EXAMPLES = {"site": "bbc.co.uk", "lang": "fr"}


def _combine(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    """Join parts with AND or OR, flattening nested nodes of the same kind."""
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    if kind is And:
        return And(tuple(flat))
    scopes = {p.scope for p in flat if isinstance(p, Positional)}
    positional = all(_is_positional(p) for p in flat) and len(scopes) == 1
    return Or(tuple(flat), scope=scopes.pop() if positional else "")


def _is_positional(node: Node) -> bool:
    if isinstance(node, Or):
        return node.scope != ""
    return isinstance(node, Positional)


def _require_positive(query: str, root: Node) -> None:
    """Reject a rule that an item could satisfy without containing anything it names."""
    problem = _non_positive(root)
    if problem is None:
        return
    position, in_or = problem
    if in_or:
        message = (
            "each side of OR needs a term to look for: an alternative made only of NOT"
            " would alert on almost every item"
        )
    else:
        message = (
            "no positive term: NOT alone would alert on every item; add a word to look for,"
            " e.g. sanctions NOT sport"
        )
    raise QuerySyntaxError(query, position, message)


def _non_positive(node: Node, in_or: bool = False) -> tuple[int, bool] | None:
    """Find a part with no positive term: (its column, whether it is an OR alternative)."""
    if isinstance(node, Not):
        return node.position, in_or
    if isinstance(node, And):
        problems = [_non_positive(p, in_or) for p in node.parts]
        return problems[0] if all(problems) else None
    if isinstance(node, Or):
        for part in node.parts:
            problem = _non_positive(part, True)
            if problem is not None:
                return problem
    return None


def _lookalike(lexemes: list[Lexeme], i: int, table: dict[str, str]) -> str | None:
    """The operator a plain word at `i` looks like, if it stands where that operator would."""
    lexeme = lexemes[i]
    operator = table.get(lexeme.text.lower()) if lexeme.kind == "WORD" else None
    if operator is None or lexeme.text == operator:
        return None
    before = lexemes[i - 1] if i else None
    after = lexemes[i + 1] if i + 1 < len(lexemes) else None
    term_after = after is not None and after.kind in _OPERAND_START
    term_before = before is not None and before.kind in _TERM_END
    return operator if term_after and (term_before or operator == "NOT") else None


def _refuse_lower_case_operators(query: str, lexemes: list[Lexeme]) -> None:
    """Refuse `election or vote`: the writer almost surely meant OR, and AND would hide it."""
    for i, lexeme in enumerate(lexemes):
        operator = _lookalike(lexemes, i, _REFUSED_LOOKALIKES)
        if operator is None:
            continue
        word = lexeme.text
        written = f"{operator} (or -word)" if operator == "NOT" else operator
        where = "before a word" if operator == "NOT" else "between words"
        raise QuerySyntaxError(
            query,
            lexeme.position,
            f'lower-case "{word}" {where}: write {written}, or quote "{word}" to search the word',
        )


def _warnings(lexemes: list[Lexeme]) -> tuple[str, ...]:
    """Point out a lower-case `near` between terms, which is searched as a plain word."""
    out: list[str] = []
    for i, lexeme in enumerate(lexemes):
        operator = _lookalike(lexemes, i, _WARNED_LOOKALIKES)
        if operator is not None:
            out.append(
                f'did you mean {operator}? ("{lexeme.text}" at column {lexeme.position}'
                " is searched as a word)"
            )
    return tuple(out)
