"""Measure story clustering against the labelled set: pairwise precision and recall.

Run: `uv run python bench/cluster.py [--threshold T] [--window-hours H] [--runs N]`.
Items are fed to `StoryClusters.assign` in publication order (ties by id), then again in
`--runs` seeded orders where each item arrives up to `--jitter-hours` late (min and mean).
Every unordered pair of items counts once: a true positive when the labels and the clustering
both put the pair in one story, a false positive when only the clustering does, a false
negative when only the labels do. Precision = TP / (TP + FP), recall = TP / (TP + FN).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.cluster import DEFAULT_THRESHOLD, StoryClusters
from bot.core.item import Item

StoryClustersFactory = Callable[[], StoryClusters]
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "stories.jsonl"


def load(path: Path) -> list[dict[str, str | int]]:
    """Read the labelled set, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def cluster_all(rows: list[dict[str, str | int]], clusters: StoryClusters) -> dict[int, int]:
    """Assign every row in the given order; return item id -> story id."""
    assigned: dict[int, int] = {}
    for row in rows:
        item = Item(
            title=str(row["title"]),
            summary=str(row["summary"]),
            source=str(row["source"]),
            lang=str(row.get("lang", "")),
        )
        at = datetime.fromisoformat(str(row["published"]))
        assigned[int(row["id"])] = clusters.assign(int(row["id"]), item, at)
    return assigned


def pairwise_counts(labels: dict[int, str], predicted: dict[int, int]) -> tuple[int, int, int]:
    """Return (true positives, false positives, false negatives) over unordered item pairs."""
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
    rows: list[dict[str, str | int]],
    labels: dict[int, str],
    runs: int,
    jitter: timedelta,
    make: StoryClustersFactory,
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
        results.append(precision_recall(labels, cluster_all(order, make())))
    return results


def main() -> None:
    """Cluster the labelled set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--window-hours", type=float, default=48.0)
    parser.add_argument("--runs", type=int, default=20, help="extra runs with late arrivals")
    parser.add_argument("--jitter-hours", type=float, default=6.0, help="maximum arrival delay")
    args = parser.parse_args()
    rows = sorted(load(args.data), key=lambda r: (str(r["published"]), int(r["id"])))
    labels = {int(r["id"]): str(r["story"]) for r in rows}

    def make() -> StoryClusters:
        return StoryClusters(window=timedelta(hours=args.window_hours), threshold=args.threshold)

    started = time.perf_counter()
    predicted = cluster_all(rows, make())
    elapsed = time.perf_counter() - started
    tp, fp, fn = pairwise_counts(labels, predicted)
    precision, recall = precision_recall(labels, predicted)
    print(f"items            {len(rows)}")
    print(f"labelled stories {len(set(labels.values()))}")
    print(f"found stories    {len(set(predicted.values()))}")
    print(f"same-story pairs {tp + fn}")
    print(f"threshold        {args.threshold}")
    print(f"window           {args.window_hours:g} h")
    print(f"TP / FP / FN     {tp} / {fp} / {fn}")
    print(f"precision        {precision:.3f}")
    print(f"recall           {recall:.3f}")
    print(f"time             {elapsed * 1000:.0f} ms ({elapsed / len(rows) * 1e6:.0f} µs/item)")
    if args.runs:
        jitter = timedelta(hours=args.jitter_hours)
        runs = jittered_runs(rows, labels, args.runs, jitter, make)
        precisions = [p for p, _ in runs]
        recalls = [r for _, r in runs]
        print(f"arrival delayed 0-{args.jitter_hours:g} h at random, {args.runs} seeded runs:")
        print(f"  precision      min {min(precisions):.3f}  mean {sum(precisions) / len(runs):.3f}")
        print(f"  recall         min {min(recalls):.3f}  mean {sum(recalls) / len(runs):.3f}")


if __name__ == "__main__":
    main()
