"""Benchmark proximity on pathological rules: nested NEARs of very common words, long articles.

Run: uv run python bench/near.py [--words 16000]

One article of N words drawn from six common words and twenty others (seed 1), and rules whose
NEARs pair the common words: one NEAR, two and three levels of nesting, a balanced tree of 32
and of 64 terms, a chain of 64 NEARs (the longest rule the parser accepts), and 32 separate
NEARs ANDed (each has a pairing budget of its own). Prints, per rule, the time of
`Query.matches` and of `Query.explain` (best of three) and the number of highlighted spans.
Bounded work per rule is the point: `rule_nodes.NEAR_PAIRS`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.item import Item
from bot.core.query import Query, parse

COMMON = ("the", "of", "and", "to", "in", "a")


def balanced(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(COMMON)
    return f"({balanced(rng, depth - 1)} NEAR/50 {balanced(rng, depth - 1)})"


def best_of_three(query: Query, item: Item) -> tuple[float, float, int]:
    matches, explains, spans = [], [], 0
    for _ in range(3):
        start = time.perf_counter()
        query.matches(item)
        matches.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = query.explain(item)
        explains.append(time.perf_counter() - start)
        spans = len(found.spans) if found else 0
    return min(matches), min(explains), spans


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=16000, help="words in the article")
    args = parser.parse_args(argv)
    rng = random.Random(1)
    vocabulary = [*COMMON, *(f"word{n}" for n in range(20))]
    item = Item(title="t", content=" ".join(rng.choice(vocabulary) for _ in range(args.words)))
    rules = [
        "the NEAR/50 of",
        "(the NEAR/50 of) NEAR/50 and",
        "(the NEAR/50 of) NEAR/50 (and NEAR/50 to)",
        "((the NEAR/50 of) NEAR/50 (and NEAR/50 to)) NEAR/50 ((in NEAR/50 a) NEAR/50 and)",
        balanced(rng, 5),
        balanced(rng, 6),
        " NEAR/50 ".join(rng.choice(COMMON) for _ in range(64)),
        " AND ".join(f"({rng.choice(COMMON)} NEAR/50 {rng.choice(COMMON)})" for _ in range(32)),
    ]
    print(f"article of {args.words:,} words; Python {sys.version.split()[0]}")
    print("| rule | matches | explain | spans |")
    print("|---|---|---|---|")
    for text in rules:
        matches_s, explain_s, spans = best_of_three(parse(text), item)
        shown = text if len(text) <= 60 else f"{text[:57]}... ({text.count('NEAR')} NEARs)"
        print(
            f"| `{shown}` | {matches_s * 1000:,.1f} ms | {explain_s * 1000:,.1f} ms | {spans:,} |"
        )


if __name__ == "__main__":
    main()
