"""Rules precompiled so that verifying a candidate is mostly a few set operations.

The matcher verifies every candidate rule against the item. Most rules are an AND of plain
words, excluded words and OR-groups of words (`Iran sanctions -football`, `(EU OR UN) aid`):
for those, verification is "the stems (in the item's language, from the stem cache) of these
words are all present, these all absent, each group has one present", which sets answer in C
without walking the syntax tree. Whatever else an AND holds (phrases, NEAR, prefixes, `site:`, `lang:`) is checked with
the node's own `matches`, after the cheap checks; an OR at the top is compiled branch by
branch. The result is always exactly `root.matches(doc)`: an AND matches when every part
does, in any order, and an OR when one branch does.
"""

from __future__ import annotations

from bot.core.analysis import AnalysedItem
from bot.core.rule_nodes import And, Node, Not, Or, Word

__all__ = ["CompiledRule", "compile_rule", "verify"]

# Per scope: words all required, words all excluded, groups of words each needing one.
ScopeCheck = tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]
# An AND: the word checks, then the parts checked by their own `matches`; or an OR: no
# checks, no parts, and the alternatives, compiled in turn.
CompiledRule = tuple[tuple[ScopeCheck, ...], tuple[Node, ...], tuple["CompiledRule", ...]]


def _word_group(node: Node) -> tuple[str, tuple[str, ...]] | None:
    """The scope and words of an OR made only of plain words in one scope, else None."""
    if not isinstance(node, Or):
        return None
    words: list[str] = []
    scopes: set[str] = set()
    for part in node.parts:
        if not isinstance(part, Word):
            return None
        words.append(part.word)
        scopes.add(part.scope)
    return (scopes.pop(), tuple(words)) if len(scopes) == 1 else None


def compile_rule(root: Node) -> CompiledRule:
    """Split a rule's conjuncts into stem-set checks on plain words and the rest."""
    if isinstance(root, Or) and _word_group(root) is None:
        return (), (), tuple(compile_rule(part) for part in root.parts)
    parts = root.parts if isinstance(root, And) else (root,)
    required: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    groups: dict[str, list[tuple[str, ...]]] = {}
    rest: list[Node] = []
    for part in parts:
        if isinstance(part, Word):
            required.setdefault(part.scope, []).append(part.word)
        elif isinstance(part, Not) and isinstance(part.child, Word):
            excluded.setdefault(part.child.scope, []).append(part.child.word)
        elif (group := _word_group(part)) is not None:
            groups.setdefault(group[0], []).append(group[1])
        else:
            rest.append(part)
    scopes = dict.fromkeys([*required, *excluded, *groups])
    checks = tuple(
        (
            scope,
            tuple(required.get(scope, ())),
            tuple(excluded.get(scope, ())),
            tuple(groups.get(scope, ())),
        )
        for scope in scopes
    )
    return checks, tuple(rest), ()


def verify(rule: CompiledRule, doc: AnalysedItem) -> bool:
    """Tell whether the item matches the compiled rule (the same answer as `root.matches`)."""
    checks, rest, alternatives = rule
    if alternatives:
        for alternative in alternatives:  # noqa: SIM110
            if verify(alternative, doc):
                return True
        return False
    stem = doc.stem
    for scope, required, excluded, groups in checks:
        present = doc.stems_in(scope)
        if not present.issuperset(map(stem, required)):
            return False
        if excluded and not present.isdisjoint(map(stem, excluded)):
            return False
        for group in groups:
            if present.isdisjoint(map(stem, group)):
                return False
    for node in rest:  # noqa: SIM110
        if not node.matches(doc):
            return False
    return True
