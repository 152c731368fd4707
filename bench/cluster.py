"""Measure story clustering against the labelled sets: pairwise precision and recall.

Run: `uv run python bench/cluster.py [--threshold T] [--window-hours H] [--runs N]`.

Two labelled sets: `tests/data/stories.jsonl` (229 items, 111 stories, syndicated copies and
follow-ups) and `tests/data/boilerplate_stories.jsonl` (sources whose every item shares a
template: Hacker News' "Article URL / Comments URL / Points", a CMS's "Total Views : N / Zoom In
Zoom Out Read Later Print", WordPress's "The post ... appeared first on ...", a press-release
trailer; distinct stories that must stay apart, and a few reported by two sources).

The boilerplate-heavy set is measured inside the stream of the first set (both sets' items
in one window, in time order), as a bot sees a few template-heavy sources among many others:
there a source's template words are rare, so they weigh as much as names and places (alone, the
template-heavy items would make their own words common). Only pairs of its own items count.

Each item goes in as the pipeline takes it: its HTML made plain text, then cleaned of its
source's boilerplate (`--cleaning learned`, the default: per source, learned from the source's
earlier items, rows marked `backlog` being what the source's first poll finds; the generic
list applies to a source's first items), or of the generic list alone (`generic`), or not at all
(`none`). `--cleaning all` prints the three. Items are fed to `StoryClusters.assign` in
publication order (ties by id), then again in `--runs` seeded orders where each item arrives up
to `--jitter-hours` late (min and mean). Every unordered pair of labelled items counts once: a
true positive when the labels and the clustering both put the pair in one story, a false
positive when only the clustering does, a false negative when only the labels do.
Precision = TP / (TP + FP), recall = TP / (TP + FN).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

# The bot package, not bench/bot.py (this script's folder comes first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.boilerplate import split_boilerplate
from bot.core.boilerplate_learning import SourceBoilerplate
from bot.core.cleaning import html_to_text
from bot.core.cluster import DEFAULT_THRESHOLD, StoryClusters
from bot.core.item import Item

Row = dict[str, str | int | bool]
StoryClustersFactory = Callable[[], StoryClusters]
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {
    "stories": DATA / "stories.jsonl",
    "boilerplate-heavy": DATA / "boilerplate_stories.jsonl",
}
BACKGROUND = {"boilerplate-heavy": "stories"}  # measured inside that set's stream
_BACKGROUND_IDS = 100_000  # background rows get ids past the measured set's
CLEANINGS = ("learned", "generic", "none")


def load(path: Path) -> list[Row]:
    """Read a labelled set, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def as_item(row: Row) -> Item:
    """The item a source would deliver: plain text, as `bot.sources.fields.clean_text` makes."""
    return Item(
        title=html_to_text(str(row["title"])),
        summary=html_to_text(str(row["summary"])),
        source=str(row["source"]),
        lang=str(row.get("lang", "")),
    )


class Cleaner:
    """Clean items as they arrive, the way `cleaning` says (one learner per source)."""

    def __init__(self, cleaning: str, rows: list[Row]) -> None:
        self.cleaning = cleaning
        self.learners: dict[str, SourceBoilerplate] = {}
        self.backlog: dict[str, list[Item]] = {}
        for row in rows:
            if row.get("backlog"):
                self.backlog.setdefault(str(row["source"]), []).append(as_item(row))

    def __call__(self, item: Item) -> Item:
        if self.cleaning == "none":
            return item
        if self.cleaning == "generic":
            return replace(item, summary=split_boilerplate(item.summary)[0])
        learner = self.learners.get(item.source)
        if learner is None:  # the source's first poll: what its feed already lists
            learner = self.learners[item.source] = SourceBoilerplate()
            learner.observe(self.backlog.get(item.source, []))
        learner.observe([item])
        return learner.clean(item)


def cluster_all(rows: list[Row], clusters: StoryClusters, clean: Cleaner) -> dict[int, int]:
    """Assign every labelled row in the given order; return item id -> story id."""
    assigned: dict[int, int] = {}
    for row in rows:
        if row.get("backlog"):
            continue
        at = datetime.fromisoformat(str(row["published"]))
        assigned[int(row["id"])] = clusters.assign(int(row["id"]), clean(as_item(row)), at)
    return assigned


def pairwise_counts(labels: dict[int, str], predicted: dict[int, int]) -> tuple[int, int, int]:
    """Return (true positives, false positives, false negatives) over pairs of labelled items."""
    both = Counter((labels[i], predicted[i]) for i in labels)
    by_label = Counter(labels.values())
    by_cluster = Counter(predicted[i] for i in labels)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(pairs(n) for n in both.values())
    return (
        tp,
        sum(pairs(n) for n in by_cluster.values()) - tp,
        sum(pairs(n) for n in by_label.values()) - tp,
    )


def precision_recall(labels: dict[int, str], predicted: dict[int, int]) -> tuple[float, float]:
    """Return pairwise (precision, recall)."""
    tp, fp, fn = pairwise_counts(labels, predicted)
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def jittered_runs(
    rows: list[Row],
    labels: dict[int, str],
    runs: int,
    jitter: timedelta,
    make: StoryClustersFactory,
    cleaning: str,
) -> list[tuple[float, float]]:
    """Measure again with each item arriving up to `jitter` late (seeded), as polling does."""
    results = []
    for seed in range(runs):
        rng = random.Random(seed)
        delays = {int(r["id"]): rng.random() * jitter for r in rows}
        order = sorted(
            rows,
            key=lambda r: datetime.fromisoformat(str(r["published"])) + delays[int(r["id"])],
        )
        predicted = cluster_all(order, make(), Cleaner(cleaning, rows))
        results.append(precision_recall(labels, predicted))
    return results


def stream(name: str) -> tuple[list[Row], dict[int, str]]:
    """The rows to cluster for set `name` (with its background) and the labels that count."""
    own = load(SETS[name])
    labels = {int(r["id"]): str(r["story"]) for r in own if not r.get("backlog")}
    rows = list(own)
    if name in BACKGROUND:
        for row in load(SETS[BACKGROUND[name]]):
            rows.append({**row, "id": int(row["id"]) + _BACKGROUND_IDS, "story": "background"})
    rows.sort(key=lambda r: (str(r["published"]), int(r["id"])))
    return rows, labels


def measure(
    name: str, cleaning: str, make: StoryClustersFactory, args: argparse.Namespace
) -> list[str]:
    """One table row: the set, the cleaning, publication-order figures and late arrivals."""
    rows, labels = stream(name)
    started = time.perf_counter()
    predicted = cluster_all(rows, make(), Cleaner(cleaning, rows))
    elapsed = time.perf_counter() - started
    tp, fp, fn = pairwise_counts(labels, predicted)
    precision, recall = precision_recall(labels, predicted)
    late = "-"
    if args.runs:
        jitter = timedelta(hours=args.jitter_hours)
        runs = jittered_runs(rows, labels, args.runs, jitter, make, cleaning)
        precisions = [p for p, _ in runs]
        recalls = [r for _, r in runs]
        late = (
            f"{min(precisions):.3f} / {sum(precisions) / len(runs):.3f} | "
            f"{min(recalls):.3f} / {sum(recalls) / len(runs):.3f}"
        )
    return [
        name,
        cleaning,
        str(len(labels)),
        str(len(set(labels.values()))),
        f"{tp} / {fp} / {fn}",
        f"{precision:.3f}",
        f"{recall:.3f}",
        late,
        f"{elapsed * 1000:.0f}",
    ]


def main() -> None:
    """Cluster the labelled sets and print the figures as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--cleaning", choices=[*CLEANINGS, "all"], default="learned")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--window-hours", type=float, default=48.0)
    parser.add_argument("--runs", type=int, default=20, help="extra runs with late arrivals")
    parser.add_argument("--jitter-hours", type=float, default=6.0, help="maximum arrival delay")
    args = parser.parse_args()

    def make() -> StoryClusters:
        return StoryClusters(window=timedelta(hours=args.window_hours), threshold=args.threshold)

    names = list(SETS) if args.set == "all" else [args.set]
    cleanings = CLEANINGS if args.cleaning == "all" else (args.cleaning,)
    header = [
        "set",
        "cleaning",
        "items",
        "stories",
        "TP / FP / FN",
        "precision",
        "recall",
        f"late 0-{args.jitter_hours:g} h, {args.runs} runs: precision min / mean | recall",
        "ms",
    ]
    print(f"threshold {args.threshold}, window {args.window_hours:g} h")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in names:
        for cleaning in cleanings:
            print("| " + " | ".join(measure(name, cleaning, make, args)) + " |")


if __name__ == "__main__":
    main()
