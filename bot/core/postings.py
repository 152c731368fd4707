"""The rules filed under one index key, grouped by the guard atoms that admit them.

A rule posted with a guard (a tuple of atoms, any of which the item must hold) is filed under
each atom. Atoms are plain words or stems (looked up in the item's stem set) or marked atoms
(`*prefix`, `@host`, `#lang`, checked against the item by `holds`). Collecting walks whichever
is smaller, the posting's plain atoms or the item's stems, so a key shared by thousands of
rules with different guards costs at most one set lookup per item stem.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.analysis import AnalysedItem

__all__ = [
    "ATOM_MARKS",
    "LANG_MARK",
    "PREFIX_MARK",
    "SITE_MARK",
    "Guard",
    "Members",
    "Posting",
    "holds",
    "members",
]

PREFIX_MARK, SITE_MARK, LANG_MARK = "*", "@", "#"
# Folded words are letters and digits only, so a marked atom never equals a word.
ATOM_MARKS = {PREFIX_MARK: "prefix", SITE_MARK: "site", LANG_MARK: "lang"}

Guard = tuple[str, ...] | None


def holds(atom: str, doc: AnalysedItem) -> bool:
    """Tell whether the item holds a marked atom (prefix, host or language); answers are kept."""
    found = doc.held.get(atom)
    if found is None:
        mark, value = atom[0], atom[1:]
        if mark == PREFIX_MARK:
            found = doc.has_word_prefix(value)
        elif mark == SITE_MARK:
            found = value in doc.host_keys()
        else:
            found = value in doc.lang_keys()
        doc.held[atom] = found
    return found


# The rules under one guard atom: a lone rule id (most atoms hold one) or a set of them.
Members = str | set[str]


def members(found: Members) -> set[str]:
    """The rule ids of a `Members` value, as a new set."""
    return {found} if isinstance(found, str) else set(found)


def _file(table: dict[str, Members], atom: str, rule_ids: set[str]) -> None:
    existing = table.get(atom)
    if existing is None:
        table[atom] = next(iter(rule_ids)) if len(rule_ids) == 1 else set(rule_ids)
    elif isinstance(existing, str):
        merged = rule_ids | {existing}
        table[atom] = existing if len(merged) == 1 else merged
    else:
        existing |= rule_ids


def _unfile(table: dict[str, Members], atom: str, rule_id: str) -> None:
    existing = table.get(atom)
    if existing is None:
        return
    if isinstance(existing, str):
        if existing == rule_id:
            del table[atom]
        return
    existing.discard(rule_id)
    if len(existing) == 1:
        table[atom] = next(iter(existing))
    elif not existing:
        del table[atom]


class Posting:
    """Rule ids under one key: unguarded, by plain guard atom, by marked guard atom.

    Containers are created on first use and a lone rule id is stored without a set: most keys
    hold one or two rules, and an index of 100,000 rules holds hundreds of thousands of
    postings.
    """

    __slots__ = ("marked", "plain", "unguarded")

    def __init__(self) -> None:
        self.unguarded: set[str] | None = None
        self.plain: dict[str, Members] | None = None
        self.marked: dict[str, Members] | None = None

    def __bool__(self) -> bool:
        return bool(self.unguarded or self.plain or self.marked)

    def add(self, guard: Guard, rule_ids: set[str]) -> None:
        """File `rule_ids` under every atom of `guard` (or as unguarded)."""
        if not rule_ids:
            return
        if guard is None:
            if self.unguarded is None:
                self.unguarded = set()
            self.unguarded |= rule_ids
            return
        for atom in guard:
            if atom[0] in ATOM_MARKS:
                if self.marked is None:
                    self.marked = {}
                _file(self.marked, atom, rule_ids)
            else:
                if self.plain is None:
                    self.plain = {}
                _file(self.plain, atom, rule_ids)

    def discard(self, guard: Guard, rule_id: str) -> None:
        """Remove `rule_id` from wherever `guard` filed it."""
        if guard is None:
            if self.unguarded is not None:
                self.unguarded.discard(rule_id)
                if not self.unguarded:
                    self.unguarded = None
            return
        for atom in guard:
            table = self.marked if atom[0] in ATOM_MARKS else self.plain
            if table is not None:
                _unfile(table, atom, rule_id)
        if not self.plain:
            self.plain = None
        if not self.marked:
            self.marked = None

    def rule_ids(self) -> set[str]:
        """Every rule id in the posting."""
        out = set(self.unguarded or ())
        for table in (self.plain, self.marked):
            for found in (table or {}).values():
                out |= members(found)
        return out

    def collect(
        self,
        doc: AnalysedItem,
        stems: frozenset[str],
        out: set[str],
        stem_of: Callable[[str], str] | None = None,
    ) -> None:
        """Add the rules the item is admitted to; `stem_of` stems raw plain atoms first."""
        if self.unguarded:
            out |= self.unguarded
        plain = self.plain
        if plain:
            if stem_of is not None:
                admitted = [found for atom, found in plain.items() if stem_of(atom) in stems]
            else:
                # Intersect in C, walking the smaller side.
                shared = (
                    stems.intersection(plain) if len(plain) <= len(stems) else plain.keys() & stems
                )
                admitted = list(map(plain.__getitem__, shared))
            for found in admitted:
                if isinstance(found, str):
                    out.add(found)
                else:
                    out |= found
        if self.marked:
            for atom, found in self.marked.items():
                if holds(atom, doc):
                    out |= members(found)
