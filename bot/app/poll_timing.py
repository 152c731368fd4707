"""When a source is polled next, and why: the interval is a promise.

After a good poll the next one comes at most the source's interval later (plus or minus the
jitter), with two exceptions, both stated in the reason stored with the time:

- the publisher asks for less (`Cache-Control: max-age` longer than the interval): we wait that
  long, but never more than `[poll] max_interval`;
- adaptive polling sees a busy feed (publication dates closer than the interval): it polls
  *sooner*, never under `[poll] min_interval`, and never later than the interval.

After a failure the wait backs off exponentially from the interval (capped by `max_interval`,
or the interval if that is longer), never sooner than the publisher's `Retry-After` (itself
capped by `max_interval`).

An interval set under `min_interval` is honoured as written (the config loader warns about it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.durations import format_duration
from bot.fetch import adaptive_interval, backoff_delay
from bot.settings import PollSettings

__all__ = ["NextPoll", "after_failure", "after_success"]


@dataclass(frozen=True, slots=True)
class NextPoll:
    """The next poll: when, the wait it came from (before jitter), and why, for people."""

    at: datetime
    wait_s: float
    reason: str


def after_success(
    now: datetime,
    interval_s: float,
    *,
    published: Sequence[datetime],
    max_age_s: float | None,
    poll: PollSettings,
    rand: random.Random,
) -> NextPoll:
    """The next poll after a good one (`published`: the feed's publication dates)."""
    wait, reason = interval_s, f"interval {format_duration(interval_s)}"
    if poll.adaptive and interval_s > poll.min_interval and len(published) > 1:
        busy = adaptive_interval(
            published,
            current_s=round(interval_s),
            min_s=round(poll.min_interval),
            max_s=round(interval_s),
        )
        if busy < interval_s:
            wait = float(busy)
            reason = (
                f"busy feed: every {format_duration(wait)} (interval {format_duration(interval_s)})"
            )
    if max_age_s is not None and max_age_s > wait:
        asked = min(max_age_s, poll.max_interval)
        if asked > wait:
            capped = " (capped by max_interval)" if asked < max_age_s else ""
            wait, reason = asked, f"publisher's max-age {format_duration(asked)}{capped}"
    spread = wait * poll.jitter
    at = now + timedelta(seconds=wait + rand.uniform(-spread, spread))
    return NextPoll(at, wait, reason)


def after_failure(
    now: datetime,
    interval_s: float,
    *,
    failures: int,
    retry_after_s: float | None,
    poll: PollSettings,
    rand: random.Random,
) -> NextPoll:
    """The next try after `failures` failures in a row (this one included)."""
    asked = min(retry_after_s, poll.max_interval) if retry_after_s else None
    delay = backoff_delay(
        failures,
        base_s=interval_s,
        cap_s=max(poll.max_interval, interval_s),
        retry_after=asked,
        rand=rand,
    )
    times = "failure" if failures == 1 else f"{failures} failures in a row"
    if asked is not None and delay <= asked:
        reason = f"publisher's Retry-After {format_duration(asked)} (after {times})"
    else:
        reason = f"back-off after {times}"
    return NextPoll(now + timedelta(seconds=delay), delay, reason)
