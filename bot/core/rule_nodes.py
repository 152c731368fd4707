"""The syntax tree of a watch rule and how each node matches an analysed item.

Every node answers three questions about an `AnalysedItem`: does it match (`matches`, the
fast path used by the matcher), where (`explain`, which appends evidence for highlights),
and how it is written canonically (`canonical`). Positional nodes (words, prefixes, phrases,
NEAR and OR of those) also list their occurrences as word-position windows in one field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.core.analysis import AnalysedField, AnalysedItem

__all__ = [
    "And",
    "Evidence",
    "Lang",
    "Near",
    "Node",
    "Not",
    "Occurrence",
    "Or",
    "Phrase",
    "Prefix",
    "Site",
    "Span",
    "Word",
    "positive_leaves",
]

# (field name, character start, character end)
Span = tuple[str, int, int]
# (term label as written, spans of some of its occurrences: all in one field, sorted, distinct,
# at least one)
Evidence = tuple[str, tuple[Span, ...]]
# (first word position, last word position, ((label, first, last), ...))
Occurrence = tuple[int, int, tuple[tuple[str, int, int], ...]]

PREC_OR, PREC_AND, PREC_NEAR, PREC_NOT, PREC_LEAF = 1, 2, 3, 4, 5


def _scope_prefix(scope: str) -> str:
    return "" if scope == "text" else scope + ":"


class Node(ABC):
    """A node of a rule's syntax tree."""

    __slots__ = ()
    precedence = PREC_LEAF

    @abstractmethod
    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether the item satisfies this node."""

    @abstractmethod
    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Like `matches`, appending the evidence of positive terms to `out` on success."""

    @abstractmethod
    def canonical(self) -> str:
        """The canonical text of this node; parsing it gives an equal node."""

    def children(self) -> tuple[Node, ...]:
        """The direct sub-nodes."""
        return ()

    def wrapped(self, below: int) -> str:
        """The canonical text, in parentheses when this node binds looser than `below`."""
        text = self.canonical()
        return f"({text})" if self.precedence < below else text


class Positional(Node):
    """A node that occurs at word positions inside one field."""

    __slots__ = ()
    scope: str

    @abstractmethod
    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """Every window of word positions in `fld` where this node occurs."""

    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether the node occurs in any field of its scope."""
        return any(self.occurrences(doc, fld) for fld in doc.fields_for(self.scope))

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Append the character spans of every occurrence of every part, by field and label."""
        found = False
        for fld in doc.fields_for(self.scope):
            occurrences = self.occurrences(doc, fld)
            if not occurrences:
                continue
            found = True
            name, span = fld.name, fld.span
            by_label: dict[str, set[Span]] = {}
            for _first, _last, parts in occurrences:
                for label, first, last in parts:
                    by_label.setdefault(label, set()).add((name, *span(first, last)))
            out.extend([(label, tuple(sorted(spans))) for label, spans in by_label.items()])
        return found


@dataclass(frozen=True, slots=True, eq=True)
class Word(Positional):
    """A plain word, matched by its stem in the item's language."""

    scope: str
    word: str
    label: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def stem_for(self, doc: AnalysedItem) -> str:
        """The word's stem in the item's language."""
        return doc.stem(self.word)

    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether a word of the scope has the same stem."""
        found = doc.stems.get(self.word)
        if found is None:
            found = doc.stem(self.word)
        return found in doc.stems_in(self.scope)

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Append the spans of the words sharing the stem, field by field."""
        target = doc.stems.get(self.word)
        if target is None:
            target = doc.stem(self.word)
        if target not in doc.stems_in(self.scope):
            return False
        for fld in doc.fields_for(self.scope):
            spans = fld.stem_spans(target)
            if spans:
                out.append((self.label, spans))
        return True

    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """Positions of the words sharing the stem."""
        return [(p, p, ((self.label, p, p),)) for p in fld.positions_of_stem(self.stem_for(doc))]

    def canonical(self) -> str:
        """`scope:word`."""
        return _scope_prefix(self.scope) + self.word


@dataclass(frozen=True, slots=True, eq=True)
class Prefix(Positional):
    """Any word starting with a literal prefix (no stemming)."""

    scope: str
    prefix: str
    label: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether a word of the scope starts with the prefix."""
        return any(fld.has_prefix(self.prefix) for fld in doc.fields_for(self.scope))

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Append the spans of the words starting with the prefix, field by field."""
        found = False
        for fld in doc.fields_for(self.scope):
            spans = fld.prefix_spans(self.prefix)
            if spans:
                out.append((self.label, spans))
                found = True
        return found

    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """Positions of the words starting with the prefix."""
        if not fld.has_prefix(self.prefix):
            return []
        return [(p, p, ((self.label, p, p),)) for p in fld.positions_of_prefix(self.prefix)]

    def canonical(self) -> str:
        """`scope:prefix*`."""
        return _scope_prefix(self.scope) + self.prefix + "*"


@dataclass(frozen=True, slots=True, eq=True)
class Phrase(Positional):
    """Exact words in order, or with `slop` all of them within a window, in any order."""

    scope: str
    words: tuple[str, ...]
    slop: int | None = None
    label: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether the phrase occurs in any field of its scope."""
        present = doc.words_in(self.scope)
        if not all(w in present for w in self.words):
            return False
        return any(self.occurrences(doc, fld) for fld in doc.fields_for(self.scope))

    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """Windows where the phrase occurs."""
        if self.slop is None:
            return self._exact(fld)
        return self._sloppy(fld)

    def _exact(self, fld: AnalysedField) -> list[Occurrence]:
        last = len(self.words) - 1
        label = self.label
        return [(p, p + last, ((label, p, p + last),)) for p in fld.positions_of_phrase(self.words)]

    def _sloppy(self, fld: AnalysedField) -> list[Occurrence]:
        need = Counter(self.words)
        events = sorted((p, w) for w in need for p in fld.positions_of_word(w))
        limit = len(self.words) + (self.slop or 0)
        have: Counter[str] = Counter()
        formed = 0
        left = 0
        out: list[Occurrence] = []
        for position, word in events:
            have[word] += 1
            if have[word] == need[word]:
                formed += 1
            while formed == len(need):
                first = events[left][0]
                if position - first + 1 <= limit:
                    out.append((first, position, ((self.label, first, position),)))
                dropped = events[left][1]
                have[dropped] -= 1
                if have[dropped] < need[dropped]:
                    formed -= 1
                left += 1
        return out

    def canonical(self) -> str:
        """`scope:"words"~slop`."""
        slop = "" if self.slop is None else f"~{self.slop}"
        return f'{_scope_prefix(self.scope)}"{" ".join(self.words)}"{slop}'


@dataclass(frozen=True, slots=True, eq=True)
class Site(Node):
    """The item's URL host is `host` or one of its subdomains."""

    host: str
    label: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def matches(self, doc: AnalysedItem) -> bool:
        """Compare the host at a dot boundary."""
        host = doc.host
        return host == self.host or host.endswith("." + self.host)

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Point at the host inside the item's URL."""
        if not self.matches(doc):
            return False
        start = doc.item.url.lower().find(doc.host)
        if start >= 0:
            out.append((self.label, (("url", start, start + len(doc.host)),)))
        return True

    def canonical(self) -> str:
        """`site:host`."""
        return "site:" + self.host


@dataclass(frozen=True, slots=True, eq=True)
class Lang(Node):
    """The item's language code is `code` or a regional form of it (`fr` ~ `fr-FR`)."""

    code: str
    label: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)

    def matches(self, doc: AnalysedItem) -> bool:
        """Compare the code at a "-" boundary."""
        lang = doc.lang
        return lang == self.code or lang.startswith(self.code + "-")

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Point at the item's language code."""
        if not self.matches(doc):
            return False
        out.append((self.label, (("lang", 0, len(doc.item.lang)),)))
        return True

    def canonical(self) -> str:
        """`lang:code`."""
        return "lang:" + self.code


@dataclass(frozen=True, slots=True, eq=True)
class Not(Node):
    """The item must not satisfy `child`."""

    child: Node
    position: int = field(default=0, compare=False)
    precedence = PREC_NOT

    def matches(self, doc: AnalysedItem) -> bool:
        """Invert the child."""
        return not self.child.matches(doc)

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Invert the child; an exclusion gives no evidence."""
        return not self.child.matches(doc)

    def children(self) -> tuple[Node, ...]:
        """The excluded node."""
        return (self.child,)

    def canonical(self) -> str:
        """`NOT child`."""
        return "NOT " + self.child.wrapped(PREC_NOT + 1)


@dataclass(frozen=True, slots=True, eq=True)
class And(Node):
    """Every child must match."""

    parts: tuple[Node, ...]
    precedence = PREC_AND

    def matches(self, doc: AnalysedItem) -> bool:
        """Short-circuit over the children (a plain loop: this is the matcher's hot path)."""
        for part in self.parts:  # noqa: SIM110
            if not part.matches(doc):
                return False
        return True

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Collect the evidence of every child, or none."""
        found: list[Evidence] = []
        for part in self.parts:
            if not part.explain(doc, found):
                return False
        out.extend(found)
        return True

    def children(self) -> tuple[Node, ...]:
        """The conjuncts."""
        return self.parts

    def canonical(self) -> str:
        """`a AND b AND ...`."""
        return " AND ".join(p.wrapped(PREC_AND) for p in self.parts)


@dataclass(frozen=True, slots=True, eq=True)
class Or(Positional):
    """At least one child must match (positional when every child is)."""

    parts: tuple[Node, ...]
    scope: str = field(default="", compare=False)
    precedence = PREC_OR

    def matches(self, doc: AnalysedItem) -> bool:
        """Short-circuit over the children (a plain loop: this is the matcher's hot path)."""
        for part in self.parts:  # noqa: SIM110
            if part.matches(doc):
                return True
        return False

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Collect the evidence of every matching child."""
        found = False
        for part in self.parts:
            if part.explain(doc, out):
                found = True
        return found

    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """The occurrences of every child (all children are positional here)."""
        out: list[Occurrence] = []
        for part in self.parts:
            if isinstance(part, Positional):
                out.extend(part.occurrences(doc, fld))
        return out

    def children(self) -> tuple[Node, ...]:
        """The alternatives."""
        return self.parts

    def canonical(self) -> str:
        """`a OR b OR ...`."""
        return " OR ".join(p.wrapped(PREC_OR) for p in self.parts)


@dataclass(frozen=True, slots=True, eq=True)
class Near(Positional):
    """`left` and `right` within `distance` words (at most that many words between them)."""

    left: Positional
    right: Positional
    distance: int
    ordered: bool
    scope: str = field(default="text", compare=False)
    precedence = PREC_NEAR

    def matches(self, doc: AnalysedItem) -> bool:
        """Check both sides cheaply first, then their positions."""
        if not (self.left.matches(doc) and self.right.matches(doc)):
            return False
        return any(self.occurrences(doc, fld) for fld in doc.fields_for(self.scope))

    def occurrences(self, doc: AnalysedItem, fld: AnalysedField) -> list[Occurrence]:
        """Windows joining a left and a right occurrence close enough to each other."""
        lefts = self.left.occurrences(doc, fld)
        if not lefts:
            return []
        rights = self.right.occurrences(doc, fld)
        limit = self.distance
        out: list[Occurrence] = []
        for l_first, l_last, l_parts in lefts:
            for r_first, r_last, r_parts in rights:
                if r_first > l_last and r_first - l_last - 1 <= limit:
                    out.append((l_first, r_last, l_parts + r_parts))
                elif not self.ordered and l_first > r_last and l_first - r_last - 1 <= limit:
                    out.append((r_first, l_last, r_parts + l_parts))
        return out

    def children(self) -> tuple[Node, ...]:
        """The two sides."""
        return (self.left, self.right)

    def canonical(self) -> str:
        """`left NEAR/n right` or `left ONEAR/n right`."""
        op = ("ONEAR/" if self.ordered else "NEAR/") + str(self.distance)
        return f"{self.left.wrapped(PREC_NEAR)} {op} {self.right.wrapped(PREC_NEAR + 1)}"


def positive_leaves(node: Node) -> Iterator[Node]:
    """Yield the leaves not under a NOT: the terms an item is searched for."""
    if isinstance(node, Not):
        return
    kids = node.children()
    if not kids:
        yield node
        return
    for kid in kids:
        yield from positive_leaves(kid)
