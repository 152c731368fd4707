"""Measure story clustering against the labelled set: pairwise precision and recall.

Run: `uv run python bench/cluster.py [--threshold T] [--window-hours H] [--data PATH]`.
Items are fed to `StoryClusters.assign` in publication order (ties by id). Every unordered pair
of items counts once: a true positive when the labels and the clustering both put the pair in
one story, a false positive when only the clustering does, a false negative when only the
labels do. Precision = TP / (TP + FP), recall = TP / (TP + FN).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.cluster import DEFAULT_THRESHOLD, StoryClusters
from bot.core.item import Item

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "stories.jsonl"


def load(path: Path) -> list[dict[str, str | int]]:
    """Read the labelled set, one JSON object per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def cluster_all(rows: list[dict[str, str | int]], clusters: StoryClusters) -> dict[int, int]:
    """Assign every row in publication order; return item id -> story id."""
    ordered = sorted(rows, key=lambda r: (str(r["published"]), int(r["id"])))
    assigned: dict[int, int] = {}
    for row in ordered:
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


def main() -> None:
    """Cluster the labelled set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--window-hours", type=float, default=48.0)
    args = parser.parse_args()
    rows = load(args.data)
    labels = {int(r["id"]): str(r["story"]) for r in rows}
    clusters = StoryClusters(window=timedelta(hours=args.window_hours), threshold=args.threshold)
    started = time.perf_counter()
    predicted = cluster_all(rows, clusters)
    elapsed = time.perf_counter() - started
    tp, fp, fn = pairwise_counts(labels, predicted)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
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


if __name__ == "__main__":
    main()
