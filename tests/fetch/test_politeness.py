"""Back-off and adaptive polling intervals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.fetch.politeness import DISABLE_AFTER_FAILURES, adaptive_interval, backoff_delay


def test_backoff_grows_exponentially_within_jitter_bounds() -> None:
    rand = random.Random(7)
    for failures, ceiling in [(1, 60), (2, 120), (3, 240), (4, 480)]:
        delay = backoff_delay(failures, base_s=60, cap_s=3600, retry_after=None, rand=rand)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_capped_and_survives_huge_counts() -> None:
    delay = backoff_delay(10_000, base_s=60, cap_s=3600, retry_after=None, rand=random.Random(1))
    assert 1800 <= delay <= 3600


@given(
    failures=st.integers(min_value=0, max_value=200),
    retry_after=st.none() | st.floats(min_value=0, max_value=1e6),
    seed=st.integers(),
)
def test_backoff_never_undercuts_retry_after(
    failures: int, retry_after: float | None, seed: int
) -> None:
    delay = backoff_delay(
        failures, base_s=30, cap_s=7200, retry_after=retry_after, rand=random.Random(seed)
    )
    assert delay >= (retry_after or 0.0)
    assert delay <= max(7200, retry_after or 0.0)


def test_disable_threshold() -> None:
    assert DISABLE_AFTER_FAILURES == 10


def _every(step: timedelta, count: int) -> list[datetime]:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    return [start + step * i for i in range(count)]


def test_interval_moves_towards_how_often_the_feed_publishes() -> None:
    hourly = _every(timedelta(hours=1), 10)
    assert adaptive_interval(hourly, current_s=600, min_s=60, max_s=86400) == 2100
    busy = _every(timedelta(minutes=2), 10)
    assert adaptive_interval(busy, current_s=600, min_s=60, max_s=86400) == 360


def test_interval_stays_within_bounds() -> None:
    weekly = _every(timedelta(days=7), 5)
    assert adaptive_interval(weekly, current_s=3600, min_s=60, max_s=7200) == 7200
    burst = _every(timedelta(seconds=1), 30)
    assert adaptive_interval(burst, current_s=60, min_s=300, max_s=3600) == 300


def test_interval_without_enough_dates_keeps_the_current_one() -> None:
    one = _every(timedelta(hours=1), 1)
    assert adaptive_interval(one, current_s=900, min_s=60, max_s=3600) == 900
    assert adaptive_interval([], current_s=9000, min_s=60, max_s=3600) == 3600


def test_naive_and_duplicate_dates_are_tolerated() -> None:
    naive = [datetime(2026, 3, 1, h) for h in range(5)] + [datetime(2026, 3, 1, 4)]
    assert adaptive_interval(naive, current_s=3600, min_s=60, max_s=86400) == 3600
