"""The rules filed under one index key, grouped by the guard atoms that admit them.

A rule posted with a guard (a tuple of atoms, any of which the item must hold) is filed under
each atom. Atoms are plain words or stems (looked up in the item's stem set) or marked atoms:
`*prefix` (one binary search among the item's sorted words) and `@host` / `#lang` (looked up
among the item's `value_atoms`). Plain atoms are a set intersection in C that walks the
smaller side, so a key shared by thousands of rules with different guards costs at most one
set lookup per item stem.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.analysis import LANG_MARK, PREFIX_MARK, SITE_MARK, AnalysedItem, head_of

__all__ = [
    "ATOM_MARKS",
    "LANG_MARK",
    "PREFIX_MARK",
    "SITE_MARK",
    "Guard",
    "Members",
    "Posting",
    "members",
]

# Folded words are letters and digits only, so a marked atom never equals a word.
ATOM_MARKS = {PREFIX_MARK: "prefix", SITE_MARK: "site", LANG_MARK: "lang"}

Guard = tuple[str, ...] | None


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
    """Rule ids under one key: unguarded, by plain guard atom, by prefix atom, by host/language.

    Containers are created on first use and a lone rule id is stored without a set: most keys
    hold one or two rules, and an index of 100,000 rules holds hundreds of thousands of
    postings.
    """

    __slots__ = ("plain", "prefixed", "unguarded", "valued")

    def __init__(self) -> None:
        self.unguarded: set[str] | None = None
        self.plain: dict[str, Members] | None = None
        # Prefix atoms (without their mark) by their first characters (`word_heads`).
        self.prefixed: dict[str, dict[str, Members]] | None = None
        # Host and language atoms, with their marks.
        self.valued: dict[str, Members] | None = None

    def __bool__(self) -> bool:
        return bool(self.unguarded or self.plain or self.prefixed or self.valued)

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
            table = self._table_for(atom, create=True)
            assert table is not None  # created on demand
            _file(table, _atom_key(atom), rule_ids)

    def discard(self, guard: Guard, rule_id: str) -> None:
        """Remove `rule_id` from wherever `guard` filed it."""
        if guard is None:
            if self.unguarded is not None:
                self.unguarded.discard(rule_id)
                if not self.unguarded:
                    self.unguarded = None
            return
        for atom in guard:
            table = self._table_for(atom, create=False)
            if table is not None:
                _unfile(table, _atom_key(atom), rule_id)
                if not table and atom[0] == PREFIX_MARK and self.prefixed is not None:
                    del self.prefixed[head_of(atom[1:])]
        if not self.plain:
            self.plain = None
        if not self.prefixed:
            self.prefixed = None
        if not self.valued:
            self.valued = None

    def guarded(self) -> list[tuple[str, Members]]:
        """Every guard atom, with its mark, and the rules filed under it."""
        out = list((self.plain or {}).items())
        for table in (self.prefixed or {}).values():
            out += [(PREFIX_MARK + prefix, found) for prefix, found in table.items()]
        out += list((self.valued or {}).items())
        return out

    def rule_ids(self) -> set[str]:
        """Every rule id in the posting."""
        out = set(self.unguarded or ())
        for _atom, found in self.guarded():
            out |= members(found)
        return out

    def collect(
        self,
        doc: AnalysedItem,
        stems: set[str] | frozenset[str],
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
            _gather(admitted, out)
        prefixed = self.prefixed
        if prefixed:
            # Only prefixes whose first characters start a word of the item are searched for.
            starts = doc.has_key_prefix
            for head in doc.word_heads.intersection(prefixed):
                _gather([found for prefix, found in prefixed[head].items() if starts(prefix)], out)
        if self.valued:
            valued = self.valued
            _gather(list(map(valued.__getitem__, doc.value_atoms & valued.keys())), out)

    def _table_for(self, atom: str, *, create: bool) -> dict[str, Members] | None:
        mark = atom[0]
        if mark == PREFIX_MARK:
            if self.prefixed is None:
                if not create:
                    return None
                self.prefixed = {}
            head = head_of(atom[1:])
            table = self.prefixed.get(head)
            if table is None and create:
                table = self.prefixed[head] = {}
            return table
        if mark in ATOM_MARKS:
            if self.valued is None and create:
                self.valued = {}
            return self.valued
        if self.plain is None and create:
            self.plain = {}
        return self.plain


def _atom_key(atom: str) -> str:
    """The key an atom is filed under: a prefix without its mark, anything else as it is."""
    return atom[1:] if atom[0] == PREFIX_MARK else atom


def _gather(found: list[Members], out: set[str]) -> None:
    for rules in found:
        if isinstance(rules, str):
            out.add(rules)
        else:
            out |= rules
