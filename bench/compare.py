"""Compare the matcher of two revisions in one process, to see a change through the noise.

Run: uv run python bench/compare.py [--base HEAD] [--head WORKTREE] [--rounds 50] [--rules N]

On a shared machine two runs of `bench/match.py` one after the other, or even side by side
on two cores, differ by more than most changes do. Here both revisions' `bot/core` are loaded
into one process (each copied into a temporary package with its imports renamed: the base
from git, the other from the working tree or a second revision), both index the same rules
(`bench/match.py`'s workload), and the items are cut into `--rounds` slices. Each slice is
matched by one side then the other, the order alternating, so that both meet the same
machine at the same time (the collector runs between slices, not during them); the slices are then matched again (warm: every word seen). Prints,
for each item size, the median items/s of each side and the median, smallest and largest
per-slice ratio, and checks that both sides return the same hits for every item. With
`--explain` every hit's explanation is read as well.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import io
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from match import make_item, make_rule, make_world  # noqa: E402

WORKTREE = "WORKTREE"


def export_core(revision: str, package: str, into: Path) -> None:
    """Copy `bot/core` at `revision` (or the working tree) to `into/package/core`."""
    target = into / package
    target.mkdir(parents=True)
    (target / "__init__.py").write_text("")
    if revision == WORKTREE:
        shutil.copytree(ROOT / "bot" / "core", target / "core")
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "bot/core"],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into / "_extract", filter="data")
        shutil.move(into / "_extract" / "bot" / "core", target / "core")
    for source in (target / "core").glob("*.py"):
        text = source.read_text()
        source.write_text(re.sub(r"\bbot\.core\b", f"{package}.core", text))


class Side:
    """One revision's matcher, with the items converted to its own `Item` class."""

    def __init__(self, label: str, package: str, rules: list[str], batches: list[list[Any]]):
        self.label = label
        module: ModuleType = importlib.import_module(f"{package}.core.matcher")
        parse = importlib.import_module(f"{package}.core.query").parse
        item_class = importlib.import_module(f"{package}.core.item").Item
        names = {f.name for f in dataclasses.fields(item_class)}
        self.matcher = module.Matcher()
        for number, text in enumerate(rules):
            self.matcher.add(f"r{number}", parse(text))
        self.batches = [
            [item_class(**{k: v for k, v in _as_dict(i).items() if k in names}) for i in batch]
            for batch in batches
        ]

    def run(self, items: list[Any], explain: bool = False) -> tuple[float, list[list[str]]]:
        """Match `items` (with `explain`, reading every hit's explanation); return items per
        CPU second and the hit ids of each item."""
        match = self.matcher.match
        gc.collect()  # the garbage of the other side's run is not this side's cost
        gc.disable()
        start = time.process_time()
        hits = [match(item) for item in items]
        if explain:
            for found in hits:
                for hit in found:
                    assert hit.match.terms
        elapsed = time.process_time() - start
        gc.enable()
        return len(items) / elapsed, [[h.rule_id for h in found] for found in hits]


def _as_dict(item: Any) -> dict[str, Any]:
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


def compare(
    sides: tuple[Side, Side], which: int, rounds: int, warm: int, explain: bool
) -> list[str]:
    """Alternate the two sides over the slices of batch `which`; return report lines."""
    size = (len(sides[0].batches[which]) - warm) // rounds
    for side in sides:  # build the per-language stem indexes before timing
        side.run(side.batches[which][:warm])
    rates: dict[str, list[list[float]]] = {"first sight": [[], []], "again": [[], []]}
    differ = 0
    for phase in rates:
        for number in range(rounds):
            order = (0, 1) if number % 2 == 0 else (1, 0)
            found: list[list[list[str]]] = [[], []]
            for at in order:
                items = sides[at].batches[which][warm + number * size : warm + (number + 1) * size]
                rate, found[at] = sides[at].run(items, explain)
                rates[phase][at].append(rate)
            differ += sum(1 for a, b in zip(*found, strict=True) if a != b)
    lines = []
    for phase, (base, head) in rates.items():
        ratios = [h / b for b, h in zip(base, head, strict=True)]
        lines.append(
            f"{phase:11s} {sides[0].label} {statistics.median(base):7,.0f}/s"
            f"  {sides[1].label} {statistics.median(head):7,.0f}/s"
            f"  ratio median {statistics.median(ratios):.3f}"
            f" (slices {min(ratios):.3f} to {max(ratios):.3f})"
        )
    lines.append(f"items with different hits: {differ}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="a git revision")
    parser.add_argument("--head", default=WORKTREE, help=f"a git revision or {WORKTREE}")
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=2100, help="title+summary items")
    parser.add_argument("--long-items", type=int, default=320, help="full-text items")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="read every Hit.match too")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rule-skew", type=float, default=0.6)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    world = make_world(rng, args.rule_skew)
    rules = [make_rule(rng, world) for _ in range(args.rules)]
    batches = [
        [make_item(rng, world, False) for _ in range(args.items)],
        [make_item(rng, world, True) for _ in range(args.long_items)],
    ]
    with tempfile.TemporaryDirectory() as scratch:
        sys.path.insert(0, scratch)
        labels = (args.base, args.head)
        for package, revision in zip(("compare_base", "compare_head"), labels, strict=True):
            export_core(revision, package, Path(scratch))
        sides = (
            Side("base", "compare_base", rules, batches),
            Side("head", "compare_head", rules, batches),
        )
    gc.freeze()
    print(f"base = {args.base}, head = {args.head}; {args.rules:,} rules, seed {args.seed}")
    for which, label, warm in ((0, "title+summary", 100), (1, "full text", 20)):
        print(f"-- {label}")
        for line in compare(sides, which, args.rounds, warm, args.explain):
            print(line)


if __name__ == "__main__":
    main()
