"""Measure the cost of story clustering per item as the 48 h window fills up.

Run: `uv run python bench/cluster_scale.py [--scale 500,1000,2000,4000] [--measured 500]`.

For each window size N: a synthetic stream (`news_stream`) fills the window with N items
(untimed), then `--measured` more are timed; one row per N (see `scale_rows`). The script needs
only `bot.core.cluster` and `bot.core.item`, so an older revision can be measured with the same
stream: `git archive REV bot | tar -x -C /tmp/before` and `PYTHONPATH=/tmp/before`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The bot package, not bench/bot.py (this script's folder comes first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.cluster import StoryClusters
from bot.core.item import Item

StoryClustersFactory = Callable[[], StoryClusters]


def precision_recall(labels: dict[int, str], predicted: dict[int, int]) -> tuple[float, float]:
    """Return pairwise (precision, recall) of the predicted stories against the labels."""
    both = Counter((labels[i], predicted[i]) for i in labels)
    tp = sum(n * (n - 1) // 2 for n in both.values())
    found = sum(n * (n - 1) // 2 for n in Counter(predicted[i] for i in labels).values())
    true = sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())
    return (tp / found if found else 1.0, tp / true if true else 1.0)


SYLLABLES = (
    "ka", "ri", "to", "ma", "ne", "lo", "sa", "vi", "de", "ru", "po", "li", "an", "el", "or",
    "us", "ta", "mi", "go", "be", "zu", "ha", "ke", "fo", "ni", "tra", "gel", "mon", "dar",
    "vek", "sil", "bor", "qua", "ist", "ven", "lud",
)  # fmt: skip
GLUE = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "with", "as", "was", "by",
    "at", "from", "it", "said", "after",
)  # fmt: skip


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < count:
        out["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(out)


def news_stream(
    count: int, per_hour: float, seed: int = 1
) -> list[tuple[int, str, Item, datetime]]:
    """Return `count` synthetic items as (id, story label, item, published), in arrival order.

    A day of news from a fixed world, whatever the volume: 30,000 content words and 5,000
    names, both Zipf-distributed (s = 1), so the busiest names and words recur more often as
    more items arrive per hour. Each story has 3 names and 6 topic words (never the 100
    commonest words) and is carried by 1 to 6 outlets within 3 hours, each wording it
    differently: the title has the first name and 4 other story words among 4 others, the
    lede 7 story words among 12 others.
    """
    rng = random.Random(seed)
    world = random.Random(0)
    names = [w.capitalize() for w in _pseudo_words(world, 5_000)]
    content = _pseudo_words(world, 30_000)
    name_weights = list(itertools.accumulate(1 / r for r in range(1, len(names) + 1)))
    word_weights = list(itertools.accumulate(1 / r for r in range(1, len(content) + 1)))
    start = datetime(2026, 1, 5, tzinfo=UTC)
    out: list[tuple[int, str, Item, datetime]] = []
    story = 0

    def draw(story_words: list[str], from_story: int, others: int) -> str:
        chosen = rng.sample(story_words, from_story)
        chosen += rng.choices(content, cum_weights=word_weights, k=others)
        chosen += rng.choices(GLUE, k=others)
        rng.shuffle(chosen)
        return " ".join(chosen).capitalize()

    while len(out) < count:
        story += 1
        names_of_story = rng.choices(names, cum_weights=name_weights, k=3)
        topic = rng.choices(content[100:], cum_weights=word_weights[:-100], k=6)
        first = start + timedelta(hours=len(out) / per_hour)
        for outlet in range(min(1 + int(rng.expovariate(0.7)), 6)):
            item = Item(
                title=f"{names_of_story[0]} {draw(names_of_story[1:] + topic, 4, 2)}",
                summary=f"{draw(names_of_story + topic, 7, 6)}. {draw(topic, 3, 20)}.",
                source=f"Outlet {outlet}",
                lang="en",
            )
            published = first + timedelta(minutes=rng.random() * 180 * bool(outlet))
            out.append((len(out), f"s{story}", item, published))
    return out[:count]


def scale_rows(
    windows: list[int], measured: int, make: StoryClustersFactory
) -> list[dict[str, float]]:
    """Fill a 48 h window with N items, then time `measured` more; one row per N.

    CPU time (`time.process_time`) per measured item, the candidates read from the index
    and the similarities computed per measured item (from `StoryClusters.stats()` when the
    implementation has it), memory held by the clusters (tracemalloc, after the warm-up),
    and pairwise precision and recall against the stream's story labels over all items.
    """
    rows = []
    for window in windows:
        stream = news_stream(window + measured, per_hour=window / 48)
        clusters = make()
        tracemalloc.start()
        assigned = {i: clusters.assign(i, item, at) for i, _, item, at in stream[:window]}
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        before = (
            clusters.stats() if hasattr(clusters, "stats") else None
        )  # older versions: time only
        started = time.process_time()
        for i, _, item, at in stream[window:]:
            assigned[i] = clusters.assign(i, item, at)
        elapsed = time.process_time() - started
        labels = {i: label for i, label, _, _ in stream}
        precision, recall = precision_recall(labels, assigned)
        row = {
            "window": window,
            "ms": elapsed / measured * 1000,
            "kb": held / window / 1024,
            "precision": precision,
            "recall": recall,
        }
        if before is not None:
            after = clusters.stats()
            row["read"] = (after.read - before.read) / measured
            row["compared"] = (after.compared - before.compared) / measured
            row["most_read"] = after.most_read
        rows.append(row)
        print(_scale_line(row), flush=True)
    return rows


def _scale_line(row: dict[str, float]) -> str:
    counts = (
        f"{row['read']:9.1f} | {row['compared']:8.1f} | {row['most_read']:5.0f}"
        if "read" in row
        else f"{'-':>9} | {'-':>8} | {'-':>5}"
    )
    return (
        f"| {row['window']:>6,.0f} | {row['ms']:6.2f} | {counts} | {row['kb']:6.1f} "
        f"| {row['precision']:.3f} | {row['recall']:.3f} |"
    )


def main() -> None:
    """Print one table row per window size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="500,1000,2000,4000,8000,16000,32000")
    parser.add_argument("--measured", type=int, default=500, help="items timed per window size")
    parser.add_argument("--probe-words", type=int, help="StoryClusters(probe_words=...)")
    parser.add_argument("--probe-depth", type=int, help="StoryClusters(probe_depth=...)")
    args = parser.parse_args()
    tuning = {
        name: value
        for name, value in (("probe_words", args.probe_words), ("probe_depth", args.probe_depth))
        if value is not None
    }

    def make() -> StoryClusters:
        return StoryClusters(**tuning)

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| items in 48 h | ms/item | read/item | compared/item | most read | KB/item held "
        "| precision | recall |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    scale_rows([int(n) for n in args.scale.split(",")], args.measured, make)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
