"""The rules filed under one index key, grouped by the guard atoms that admit them.

A rule posted with a guard (a tuple of atoms, any of which the item must hold) is filed under
each atom. Atoms are plain words or stems (looked up in the item's stem set) or marked atoms
(`*prefix`, `@host`, `#lang`, checked against the item by `holds`). Collecting walks whichever
is smaller, the posting's plain atoms or the item's stems, so a key shared by thousands of
rules with different guards costs about one set lookup per item stem.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.analysis import AnalysedItem

__all__ = ["ATOM_MARKS", "LANG_MARK", "PREFIX_MARK", "SITE_MARK", "Guard", "Posting", "holds"]

PREFIX_MARK, SITE_MARK, LANG_MARK = "*", "@", "#"
# Folded words are letters and digits only, so a marked atom never equals a word.
ATOM_MARKS = {PREFIX_MARK: "prefix", SITE_MARK: "site", LANG_MARK: "lang"}

Guard = tuple[str, ...] | None


def holds(atom: str, doc: AnalysedItem) -> bool:
    """Tell whether the item holds a marked atom (prefix, host or language)."""
    mark, value = atom[0], atom[1:]
    if mark == PREFIX_MARK:
        return doc.has_word_prefix(value)
    if mark == SITE_MARK:
        return value in doc.host_keys()
    return value in doc.lang_keys()


class Posting:
    """Rule ids under one key: unguarded, by plain guard atom, by marked guard atom."""

    __slots__ = ("marked", "plain", "unguarded")

    def __init__(self) -> None:
        self.unguarded: set[str] = set()
        self.plain: dict[str, set[str]] = {}
        self.marked: dict[str, set[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.unguarded or self.plain or self.marked)

    def add(self, guard: Guard, rule_ids: set[str]) -> None:
        """File `rule_ids` under every atom of `guard` (or as unguarded)."""
        if guard is None:
            self.unguarded |= rule_ids
            return
        for atom in guard:
            table = self.marked if atom[0] in ATOM_MARKS else self.plain
            table.setdefault(atom, set()).update(rule_ids)

    def discard(self, guard: Guard, rule_id: str) -> None:
        """Remove `rule_id` from wherever `guard` filed it."""
        if guard is None:
            self.unguarded.discard(rule_id)
            return
        for atom in guard:
            table = self.marked if atom[0] in ATOM_MARKS else self.plain
            found = table.get(atom)
            if found is not None:
                found.discard(rule_id)
                if not found:
                    del table[atom]

    def rule_ids(self) -> set[str]:
        """Every rule id in the posting."""
        out = set(self.unguarded)
        for table in (self.plain, self.marked):
            for found in table.values():
                out |= found
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
                for atom, found in plain.items():
                    if stem_of(atom) in stems:
                        out |= found
            elif len(plain) <= len(stems):
                for atom, found in plain.items():
                    if atom in stems:
                        out |= found
            else:
                for value in stems:
                    admitted = plain.get(value)
                    if admitted:
                        out |= admitted
        for atom, found in self.marked.items():
            if holds(atom, doc):
                out |= found
