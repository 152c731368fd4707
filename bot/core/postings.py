"""The rules filed under one index key, grouped by the guard atoms that admit them.

A rule posted with a guard (a tuple of atoms, any of which the item must hold) is filed under
each atom. Atoms are plain words or stems (looked up in the item's stem set) or marked atoms:
`*prefix` (looked up among the indexed prefixes the item's words start with, which the
matcher works out once per item, `bot.core.prefixes`) and `@host` / `#lang` (looked up among
the item's `value_atoms`). Each kind is a set intersection in C that walks the smaller side,
so a key shared by thousands of rules with different guards costs at most one lookup per
item stem.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.analysis import LANG_MARK, PREFIX_MARK, SITE_MARK, AnalysedItem

__all__ = [
    "ATOM_MARKS",
    "LANG_MARK",
    "PREFIX_MARK",
    "SITE_MARK",
    "Guard",
    "Members",
    "Posting",
    "Tally",
    "members",
    "tally",
]

# Folded words are letters and digits only, so a marked atom never equals a word.
ATOM_MARKS = {PREFIX_MARK: "prefix", SITE_MARK: "site", LANG_MARK: "lang"}

Guard = tuple[str, ...] | None

# The rules under one guard atom: a 1-tuple for a lone rule id (most atoms hold one, and a
# tuple is the smallest container) or a set of them. Both are iterables of rule ids, so the
# rules of many atoms join the candidates in one `set.update(*found)` call, in C.
Members = tuple[str] | set[str]


def members(found: Members) -> set[str]:
    """The rule ids of a `Members` value, as a new set."""
    return set(found)


class Tally:
    """A count per key, and the set of keys counted: C intersects a set fastest with a set."""

    __slots__ = ("counts", "keys")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.keys: set[str] = set()

    def change(self, key: str, by: int) -> None:
        """Add `by` to the count of `key`, forgetting the key at zero."""
        left = self.counts.get(key, 0) + by
        if left:
            self.counts[key] = left
            self.keys.add(key)
        else:
            del self.counts[key]
            self.keys.discard(key)


def tally(counts: Tally | None, key: str, change: int) -> None:
    """Add `change` to the count of `key` in `counts`, if there are counts and a change."""
    if counts is not None and change:
        counts.change(key, change)


def _joined(existing: Members | None, rule_ids: Members) -> tuple[Members, int]:
    """`existing` (None when empty) with `rule_ids` added, and how many of them are new.

    A 1-tuple is immutable, so it is kept as it is: the postings of a stem index, built from
    those of the word index, share them instead of holding copies. A set costs 216 bytes
    however few ids it holds, a 1-tuple 48.
    """
    if existing is None:
        if isinstance(rule_ids, tuple):
            return rule_ids, len(rule_ids)
        return ((next(iter(rule_ids)),) if len(rule_ids) == 1 else set(rule_ids)), len(rule_ids)
    if isinstance(existing, tuple):
        merged = set(existing).union(rule_ids)
        return (existing if len(merged) == 1 else merged), len(merged) - 1
    before = len(existing)
    existing.update(rule_ids)
    return existing, len(existing) - before


def _without(existing: Members | None, rule_id: str) -> tuple[Members | None, bool]:
    """`existing` without `rule_id` (None when empty), and whether it was there."""
    if existing is None:
        return None, False
    if isinstance(existing, tuple):
        return (None, True) if existing[0] == rule_id else (existing, False)
    if rule_id not in existing:
        return existing, False
    existing.discard(rule_id)
    if len(existing) == 1:
        return (next(iter(existing)),), True
    return (existing or None), True


def _file(table: dict[str, Members], atom: str, rule_ids: Members) -> int:
    """File `rule_ids` under `atom`; return how many were not filed there before."""
    table[atom], added = _joined(table.get(atom), rule_ids)
    return added


def _unfile(table: dict[str, Members], atom: str, rule_id: str) -> bool:
    """Take `rule_id` from under `atom`; tell whether it was there."""
    left, found = _without(table.get(atom), rule_id)
    if left is None:
        table.pop(atom, None)
    else:
        table[atom] = left
    return found


# A posting keeps the keys of its plain atoms as a set from this many atoms on (`collect`).
_KEYS_FROM = 4


class Posting:
    """Rule ids under one key: unguarded, by plain guard atom, by prefix atom, by host/language.

    Containers are created on first use and a lone rule id is stored without a set: most keys
    hold one or two rules, and an index of 100,000 rules holds hundreds of thousands of
    postings.
    """

    __slots__ = ("plain", "plain_keys", "prefixed", "unguarded", "valued")

    def __init__(self) -> None:
        self.unguarded: Members | None = None
        self.plain: dict[str, Members] | None = None
        # The keys of `plain` as a set, made on first need when it has _KEYS_FROM or more.
        self.plain_keys: frozenset[str] | None = None
        # Prefix atoms, without their mark.
        self.prefixed: dict[str, Members] | None = None
        # Host and language atoms, with their marks.
        self.valued: dict[str, Members] | None = None

    def __bool__(self) -> bool:
        return bool(self.unguarded or self.plain or self.prefixed or self.valued)

    def add(
        self, guard: Guard, rule_ids: Members, counts: Tally | None = None, key: str = ""
    ) -> None:
        """File `rule_ids` under every atom of `guard` (or as unguarded).

        With `counts`, every new filing adds one to `counts[key]` and, for a plain atom, to
        `counts[atom]`: the counts then say exactly which stems some posting still holds.
        """
        if not rule_ids:
            return
        if guard is None:
            self.unguarded, added = _joined(self.unguarded, rule_ids)
            tally(counts, key, added)
            return
        self.plain_keys = None
        for atom in guard:
            table = self._table_for(atom, create=True)
            assert table is not None  # created on demand
            added = _file(table, _atom_key(atom), rule_ids)
            tally(counts, key, added)
            if atom[0] not in ATOM_MARKS:
                tally(counts, atom, added)

    def absorb(self, other: Posting, stem_of: Mapping[str, str], counts: Tally, key: str) -> None:
        """File every rule of `other` here as `add` would, its plain atoms renamed by `stem_of`.

        Builds a stem index from the word index in one pass: the postings of the words that
        share a stem merge into one.
        """
        if other.unguarded:
            self.add(None, other.unguarded, counts, key)
        if other.plain:
            self.plain_keys = None
            plain = self.plain if self.plain is not None else {}
            self.plain = plain
            for atom, found in other.plain.items():
                stemmed = stem_of[atom]
                added = _file(plain, stemmed, found)
                tally(counts, key, added)
                tally(counts, stemmed, added)
        if other.prefixed:
            self.prefixed = _file_all(self.prefixed, other.prefixed, counts, key)
        if other.valued:
            self.valued = _file_all(self.valued, other.valued, counts, key)

    def discard(
        self, guard: Guard, rule_id: str, counts: Tally | None = None, key: str = ""
    ) -> None:
        """Remove `rule_id` from wherever `guard` filed it (and from `counts`, see `add`)."""
        if guard is None:
            self.unguarded, found = _without(self.unguarded, rule_id)
            if found:
                tally(counts, key, -1)
            return
        self.plain_keys = None
        for atom in guard:
            table = self._table_for(atom, create=False)
            if table is not None and _unfile(table, _atom_key(atom), rule_id):
                tally(counts, key, -1)
                if atom[0] not in ATOM_MARKS:
                    tally(counts, atom, -1)
        if not self.plain:
            self.plain = None
        if not self.prefixed:
            self.prefixed = None
        if not self.valued:
            self.valued = None

    def guarded(self) -> list[tuple[str, Members]]:
        """Every guard atom, with its mark, and the rules filed under it."""
        out = list((self.plain or {}).items())
        out += [(PREFIX_MARK + prefix, found) for prefix, found in (self.prefixed or {}).items()]
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
        prefixes: frozenset[str],
        out: set[str],
    ) -> None:
        """Add the rules the item is admitted to.

        Plain atoms are stems, found in `stems`; prefix atoms are found in `prefixes`, the
        indexed prefixes that some word of the item starts with.
        """
        if self.unguarded:
            out.update(self.unguarded)
        plain = self.plain
        if plain:
            # Intersect in C, walking the smaller side. Set & set reads the hashes stored in
            # both tables; iterating a dict would read every key string to hash it.
            keys = self.plain_keys
            if keys is None and len(plain) >= _KEYS_FROM:
                keys = self.plain_keys = frozenset(plain)
            shared = stems.intersection(plain) if keys is None else stems & keys
            if shared:
                out.update(*map(plain.__getitem__, shared))
        if self.prefixed or self.valued:
            self._collect_marked(doc, prefixes, out)

    def collect_raw(self, doc: AnalysedItem, prefixes: frozenset[str], out: set[str]) -> None:
        """Like `collect`, for a posting whose plain atoms are words, stemmed for the item."""
        if self.unguarded:
            out.update(self.unguarded)
        if self.plain:
            stem_of, has = doc.stem_atom, doc.has_stem
            out.update(*[found for atom, found in self.plain.items() if has(stem_of(atom))])
        self._collect_marked(doc, prefixes, out)

    def _collect_marked(self, doc: AnalysedItem, prefixes: frozenset[str], out: set[str]) -> None:
        prefixed = self.prefixed
        if prefixed:
            out.update(*map(prefixed.__getitem__, prefixes.intersection(prefixed)))
        valued = self.valued
        if valued:
            out.update(*map(valued.__getitem__, doc.value_atoms.intersection(valued)))

    def _table_for(self, atom: str, *, create: bool) -> dict[str, Members] | None:
        mark = atom[0]
        if mark == PREFIX_MARK:
            if self.prefixed is None and create:
                self.prefixed = {}
            return self.prefixed
        if mark in ATOM_MARKS:
            if self.valued is None and create:
                self.valued = {}
            return self.valued
        if self.plain is None and create:
            self.plain = {}
        return self.plain


def _file_all(
    table: dict[str, Members] | None, atoms: dict[str, Members], counts: Tally, key: str
) -> dict[str, Members]:
    """File the rules of every one of `atoms` in `table` (a new one if None), counting each
    newly filed rule under `key`; return the table."""
    filed = table if table is not None else {}
    for atom, found in atoms.items():
        tally(counts, key, _file(filed, atom, found))
    return filed


def _atom_key(atom: str) -> str:
    """The key an atom is filed under: a prefix without its mark, anything else as it is."""
    return atom[1:] if atom[0] == PREFIX_MARK else atom
