"""The syntax tree of a watch rule and how each node matches an analysed item.

Every node answers three questions about an `AnalysedItem`: does it match (`matches`, the
fast path used by the matcher), where (`explain`, which appends evidence for highlights),
and how it is written canonically (`canonical`). Positional nodes (words, prefixes, phrases,
NEAR and OR of those) also list the windows of word positions where they occur in one field
(`windows`), and which of their terms' windows make up some of them (`mark`, for highlights).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from bot.core.analysis import AnalysedField, AnalysedItem

__all__ = [
    "And",
    "Evidence",
    "Lang",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "Scan",
    "Site",
    "Span",
    "Window",
    "Word",
    "positive_leaves",
]

# (field name, character start, character end)
Span = tuple[str, int, int]
# (term label as written, spans of some of its occurrences: all in one field, sorted, distinct,
# at least one)
Evidence = tuple[str, tuple[Span, ...]]
# (first word position, last word position) of an occurrence of a positional node in a field
Window = tuple[int, int]

PREC_OR, PREC_AND, PREC_NEAR, PREC_NOT, PREC_LEAF = 1, 2, 3, 4, 5

# Pairings of occurrences a NEAR and the NEARs nested in it make in one field, at most
# (`Near.windows`); a rule of several NEARs side by side (ANDed, ORed) has this for each.
NEAR_PAIRS = 20_000
_LAST = itemgetter(1)


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
    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """The distinct windows of word positions in `fld` where this node occurs.

        `scan` (made here when None) holds what the nodes below one positional node share in
        one field:
        the NEARs' budget of pairings and, when explaining, the windows of every node.
        """

    def mark(
        self,
        doc: AnalysedItem,
        fld: AnalysedField,
        used: Iterable[Window],
        scan: Scan,
        out: dict[str, set[Window]],
    ) -> None:
        """Add to `out[label]` the windows of this node's terms that make up the `used` windows
        of this node (a term's own windows, for a term)."""
        out.setdefault(getattr(self, "label", ""), set()).update(used)

    def matches(self, doc: AnalysedItem) -> bool:
        """Tell whether the node occurs in any field of its scope."""
        return any(self.windows(doc, fld, None) for fld in doc.fields_for(self.scope))

    def explain(self, doc: AnalysedItem, out: list[Evidence]) -> bool:
        """Append the character spans of every term occurrence that takes part in an
        occurrence of the node, field by field, and in each field term by term in the order
        of the rule."""
        found = False
        term = not self.children()
        for fld in doc.fields_for(self.scope):
            scan = Scan(keep=not term)
            occurring = _windows_of(self, doc, fld, scan)
            if not occurring:
                continue
            found = True
            by_label: Mapping[str, Collection[Window]]
            if term:  # its own windows
                by_label = {getattr(self, "label", ""): occurring}
            else:
                marked: dict[str, set[Window]] = {}
                self.mark(doc, fld, occurring, scan, marked)
                by_label = marked
            labels = list(by_label)
            if len(labels) > 1:
                rank: dict[str, int] = {}
                for leaf in positive_leaves(self):
                    rank.setdefault(getattr(leaf, "label", ""), len(rank))
                labels.sort(key=rank.__getitem__)
            name, span = fld.name, fld.span
            for label in labels:
                spans = {(name, *span(first, last)) for first, last in by_label[label]}
                out.append((label, tuple(sorted(spans))))
        return found


class Scan:
    """Working out the windows of a positional node and the nodes below it in one field: the
    pairings its NEARs may still make, and (`keep`, for `Positional.mark`) the windows of each
    node by node id."""

    __slots__ = ("budget", "kept")

    def __init__(self, *, keep: bool = False) -> None:
        self.budget = NEAR_PAIRS
        self.kept: dict[int, list[Window]] | None = {} if keep else None


def _windows_of(
    node: Positional, doc: AnalysedItem, fld: AnalysedField, scan: Scan
) -> list[Window]:
    """`node.windows`, read from or kept in `scan` when it keeps them."""
    kept = scan.kept
    if kept is None:
        return node.windows(doc, fld, scan)
    found = kept.get(id(node))
    if found is None:
        found = kept[id(node)] = node.windows(doc, fld, scan)
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

    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """Positions of the words sharing the stem."""
        return [(p, p) for p in fld.positions_of_stem(self.stem_for(doc))]

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

    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """Positions of the words starting with the prefix."""
        if not fld.has_prefix(self.prefix):
            return []
        return [(p, p) for p in fld.positions_of_prefix(self.prefix)]

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
        return any(self.windows(doc, fld, None) for fld in doc.fields_for(self.scope))

    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """Windows where the phrase occurs."""
        if self.slop is None:
            last = len(self.words) - 1
            return [(p, p + last) for p in fld.positions_of_phrase(self.words)]
        return self._sloppy(fld)

    def _sloppy(self, fld: AnalysedField) -> list[Window]:
        need = Counter(self.words)
        events = sorted((p, w) for w in need for p in fld.positions_of_word(w))
        limit = len(self.words) + (self.slop or 0)
        have: Counter[str] = Counter()
        formed = 0
        left = 0
        out: list[Window] = []
        for position, word in events:
            have[word] += 1
            if have[word] == need[word]:
                formed += 1
            while formed == len(need):
                first = events[left][0]
                if position - first + 1 <= limit:
                    out.append((first, position))
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

    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """The windows of every child (all children are positional here)."""
        scan = scan if scan is not None else Scan()
        found: dict[Window, None] = {}
        for part in self._positional_parts():
            found.update(dict.fromkeys(_windows_of(part, doc, fld, scan)))
        return list(found)

    def mark(
        self,
        doc: AnalysedItem,
        fld: AnalysedField,
        used: Iterable[Window],
        scan: Scan,
        out: dict[str, set[Window]],
    ) -> None:
        """Each child marks those of the `used` windows that are its own."""
        wanted = set(used)
        for part in self._positional_parts():
            own = wanted.intersection(_windows_of(part, doc, fld, scan))
            if own:
                part.mark(doc, fld, own, scan, out)

    def _positional_parts(self) -> list[Positional]:
        return [part for part in self.parts if isinstance(part, Positional)]

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
        """Check both sides cheaply first, then their positions.

        Only a word, prefix or phrase side is checked on its own: the windows of a NEAR or
        OR side are worked out with this node's anyway, and checking them first would work
        out a chain of N NEARs N times.
        """
        for side in (self.left, self.right):
            if isinstance(side, (Word, Prefix, Phrase)) and not side.matches(doc):
                return False
        return any(self.windows(doc, fld, None) for fld in doc.fields_for(self.scope))

    def windows(self, doc: AnalysedItem, fld: AnalysedField, scan: Scan | None) -> list[Window]:
        """Windows joining a left and a right occurrence close enough to each other.

        Each window is kept once however many pairings span it, so nested NEARs of common
        words do not multiply their pairings level after level; the rights close enough to a
        left are found by bisection. A NEAR and the NEARs nested in it make at most about
        NEAR_PAIRS pairings in one field (`scan.budget`): past that (very common words in
        nested NEARs over a long article) each stops at its first window, so that one rule
        cannot stall the bot (and may then miss a pairing a longer search would have found).
        """
        scan = scan if scan is not None else Scan()
        lefts = _windows_of(self.left, doc, fld, scan)
        if not lefts:
            return []
        rights = _windows_of(self.right, doc, fld, scan)
        if not rights:
            return []
        limit = self.distance
        after = sorted(rights)  # by first position: the rights starting just after a left
        after_firsts = [first for first, _last in after]
        before = sorted(rights, key=_LAST) if not self.ordered else []
        before_lasts = [last for _first, last in before]
        found: dict[Window, None] = {}
        budget = scan.budget
        for l_first, l_last in lefts:
            low = bisect_right(after_firsts, l_last)
            high = bisect_right(after_firsts, l_last + 1 + limit, low)
            found.update(dict.fromkeys([(l_first, r_last) for _f, r_last in after[low:high]]))
            budget -= high - low
            if before:
                low = bisect_left(before_lasts, l_first - 1 - limit)
                high = bisect_left(before_lasts, l_first, low)
                found.update(dict.fromkeys([(r_first, l_last) for r_first, _l in before[low:high]]))
                budget -= high - low
            if budget <= 0 and found:  # spent: stop, once this node has a window
                break
        scan.budget = budget
        return list(found)

    def mark(
        self,
        doc: AnalysedItem,
        fld: AnalysedField,
        used: Iterable[Window],
        scan: Scan,
        out: dict[str, set[Window]],
    ) -> None:
        """Find the pairings that make up each `used` window and have both sides mark theirs.

        A window (first, last) pairs a left starting at `first` with a right ending at `last`
        (or, unordered, a right starting at `first` with a left ending at `last`).
        """
        lefts = _windows_of(self.left, doc, fld, scan)
        rights = _windows_of(self.right, doc, fld, scan)
        used = list(used)
        used_lefts, used_rights = _spanning(used, lefts, rights, self.distance)
        if not self.ordered:
            more_rights, more_lefts = _spanning(used, rights, lefts, self.distance)
            used_lefts |= more_lefts
            used_rights |= more_rights
        if used_lefts:
            self.left.mark(doc, fld, used_lefts, scan, out)
        if used_rights:
            self.right.mark(doc, fld, used_rights, scan, out)

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


def _spanning(
    used: list[Window], heads: list[Window], tails: list[Window], limit: int
) -> tuple[set[Window], set[Window]]:
    """The windows of `heads` and of `tails` whose pairings (a head, then a tail starting at
    most `limit` words after it ends) span one of the `used` windows, (head first, tail last)."""
    heads_by_first, tails_by_last = _group(heads, 0), _group(tails, 1)
    used_heads: set[Window] = set()
    used_tails: set[Window] = set()
    for first, last in used:
        for h_last in heads_by_first.get(first, ()):
            for t_first in tails_by_last.get(last, ()):
                if h_last < t_first <= h_last + 1 + limit:
                    used_heads.add((first, h_last))
                    used_tails.add((t_first, last))
    return used_heads, used_tails


def _group(windows: list[Window], by: int) -> dict[int, list[int]]:
    """The windows' other ends (last, or first), by their first (`by` 0) or last (`by` 1)
    position."""
    out: dict[int, list[int]] = {}
    for window in windows:
        out.setdefault(window[by], []).append(window[1 - by])
    return out
