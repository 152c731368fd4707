"""The interval promise: the next poll is never later than the interval (plus jitter), except
for the publisher's max-age and back-off, each stated in the reason."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.app.poll_timing import after_failure, after_success
from bot.settings import PollSettings

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLL = PollSettings(interval="5m", min_interval="1m", max_interval="6h", jitter=0.1)


def _dates(gap: timedelta, count: int = 10) -> list[datetime]:
    return [NOW - gap * i for i in range(count)]


def test_a_one_minute_source_of_a_feed_publishing_hours_apart_is_polled_every_minute() -> None:
    hours_apart = _dates(timedelta(hours=3))
    for seed in range(50):
        nxt = after_success(
            NOW, 60.0, published=hours_apart, max_age_s=None, poll=POLL, rand=random.Random(seed)
        )
        assert nxt.wait_s == 60.0 and nxt.reason == "interval 1m"
        assert NOW + timedelta(seconds=54) <= nxt.at <= NOW + timedelta(seconds=66)


def test_a_busy_feed_is_polled_sooner_never_under_min_interval() -> None:
    every_two_minutes = _dates(timedelta(minutes=2))
    nxt = after_success(
        NOW, 600.0, published=every_two_minutes, max_age_s=None, poll=POLL, rand=random.Random(1)
    )
    assert nxt.wait_s == 360.0
    assert nxt.reason == "busy feed: every 6m (interval 10m)"
    every_second = _dates(timedelta(seconds=1), 30)
    floor = after_success(
        NOW, 600.0, published=every_second, max_age_s=None, poll=POLL, rand=random.Random(1)
    )
    assert floor.wait_s == 300.0  # halfway from the interval to the busy gap
    assert (
        after_success(
            NOW, 90.0, published=every_second, max_age_s=None, poll=POLL, rand=random.Random(1)
        ).wait_s
        == 60.0  # halfway would be 46 s: min_interval is the floor
    )


def test_adaptive_off_keeps_the_interval() -> None:
    poll = POLL.model_copy(update={"adaptive": False})
    nxt = after_success(
        NOW,
        600.0,
        published=_dates(timedelta(minutes=2)),
        max_age_s=None,
        poll=poll,
        rand=random.Random(1),
    )
    assert (nxt.wait_s, nxt.reason) == (600.0, "interval 10m")


def test_an_interval_under_min_interval_is_honoured_not_raised() -> None:
    for published in ([], _dates(timedelta(hours=1)), _dates(timedelta(seconds=5))):
        nxt = after_success(
            NOW, 20.0, published=published, max_age_s=None, poll=POLL, rand=random.Random(3)
        )
        assert (nxt.wait_s, nxt.reason) == (20.0, "interval 20s")


def test_the_publishers_max_age_lengthens_the_wait_up_to_max_interval() -> None:
    asked = after_success(
        NOW, 60.0, published=[], max_age_s=900.0, poll=POLL, rand=random.Random(1)
    )
    assert (asked.wait_s, asked.reason) == (900.0, "publisher's max-age 15m")
    capped = after_success(
        NOW, 60.0, published=[], max_age_s=86400.0, poll=POLL, rand=random.Random(1)
    )
    assert (capped.wait_s, capped.reason) == (
        21600.0,
        "publisher's max-age 6h (capped by max_interval)",
    )
    shorter = after_success(
        NOW, 600.0, published=[], max_age_s=30.0, poll=POLL, rand=random.Random(1)
    )
    assert (shorter.wait_s, shorter.reason) == (600.0, "interval 10m")


def test_failures_back_off_from_the_interval_and_honour_retry_after_up_to_max_interval() -> None:
    first = after_failure(
        NOW, 60.0, failures=1, retry_after_s=None, poll=POLL, rand=random.Random(1)
    )
    assert 30.0 <= first.wait_s <= 60.0 and first.reason == "back-off after failure"
    third = after_failure(
        NOW, 60.0, failures=3, retry_after_s=None, poll=POLL, rand=random.Random(1)
    )
    assert 120.0 <= third.wait_s <= 240.0 and third.reason == "back-off after 3 failures in a row"
    asked = after_failure(
        NOW, 60.0, failures=1, retry_after_s=3600.0, poll=POLL, rand=random.Random(1)
    )
    assert asked.wait_s == 3600.0
    assert asked.reason == "publisher's Retry-After 1h (after failure)"
    capped = after_failure(
        NOW, 60.0, failures=1, retry_after_s=10 * 86400.0, poll=POLL, rand=random.Random(1)
    )
    assert capped.wait_s == 21600.0
    assert capped.at == NOW + timedelta(hours=6)


def test_back_off_of_a_long_interval_is_not_cut_by_a_shorter_max_interval() -> None:
    poll = POLL.model_copy(update={"max_interval": 3600.0})
    nxt = after_failure(
        NOW, 12 * 3600.0, failures=1, retry_after_s=None, poll=poll, rand=random.Random(2)
    )
    assert 6 * 3600.0 <= nxt.wait_s <= 12 * 3600.0


@given(
    interval=st.floats(min_value=1, max_value=86400),
    gap=st.floats(min_value=1, max_value=7 * 86400),
    count=st.integers(min_value=0, max_value=30),
    max_age=st.none() | st.floats(min_value=0, max_value=86400),
    jitter=st.floats(min_value=0, max_value=0.5),
    adaptive=st.booleans(),
    seed=st.integers(),
)
def test_the_promise_holds_for_any_feed(interval, gap, count, max_age, jitter, adaptive, seed):
    poll = POLL.model_copy(update={"jitter": jitter, "adaptive": adaptive})
    published = _dates(timedelta(seconds=gap), count)
    nxt = after_success(
        NOW, interval, published=published, max_age_s=max_age, poll=poll, rand=random.Random(seed)
    )
    longest = max(interval, min(max_age or 0.0, poll.max_interval))
    assert nxt.wait_s <= longest
    assert nxt.at <= NOW + timedelta(seconds=longest * (1 + jitter) + 1e-3)
    assert nxt.wait_s >= min(interval, poll.min_interval)
    if nxt.wait_s > interval:
        assert nxt.reason.startswith("publisher's max-age")
