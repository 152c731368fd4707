"""Pure politeness rules the scheduler applies: back-off after failures, an adaptive interval."""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime

__all__ = ["DISABLE_AFTER_FAILURES", "adaptive_interval", "backoff_delay"]

DISABLE_AFTER_FAILURES = 10
"""A source failing this many times in a row is disabled and its owner told why."""

_RECENT = 20


def backoff_delay(
    failures: int,
    *,
    base_s: float,
    cap_s: float,
    retry_after: float | None,
    rand: random.Random,
) -> float:
    """Return seconds to wait after `failures` consecutive failures.

    Exponential (base * 2^(failures-1), capped) with "equal jitter" (between half and all of it),
    and never less than the server's Retry-After.
    """
    floor = max(0.0, retry_after or 0.0)
    if failures <= 0:
        return floor
    ceiling = min(cap_s, base_s * 2.0 ** min(failures - 1, 60))
    jittered = rand.uniform(ceiling / 2, ceiling)
    return max(jittered, floor)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def adaptive_interval(
    published: Sequence[datetime], *, current_s: int, min_s: int, max_s: int
) -> int:
    """Return the next poll interval, following how often the feed actually publishes.

    Takes the median gap between the newest publication dates and moves halfway from the current
    interval towards it, within [min_s, max_s]. With fewer than two dates it keeps the current one.
    """
    low, high = min(min_s, max_s), max(min_s, max_s)
    stamps = sorted({_as_utc(p) for p in published}, reverse=True)[: _RECENT + 1]
    if len(stamps) < 2:
        return max(low, min(high, current_s))
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(stamps)]
    target = statistics.median(gaps)
    proposed = (current_s + target) / 2
    return int(max(low, min(high, round(proposed))))
