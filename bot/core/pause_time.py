"""When a timed pause ends: `/watch pause 12 for 2h`, `... until 18:00 [Area/City]`.

`for` takes a duration with a unit (`30m`, `2h`, `1d12h`); `until` a time of day, the next one
to come, in the zone named after it, else the watch's own zone (its digest zone, UTC by
default). Without `for`/`until`, a bare duration or time is read the same way.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.durations import parse_duration

__all__ = ["MAX_PAUSE", "PauseTimeError", "pause_end", "shown_in"]

MAX_PAUSE = timedelta(days=366)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?:\s+(\S+))?$")
_USAGE = 'write "for 2h" (a duration) or "until 18:00" (a time, optionally with Area/City)'


class PauseTimeError(ValueError):
    """A pause length a person wrote that cannot be used; the message says how to write it."""


def pause_end(text: str, now: datetime, zone: str) -> datetime:
    """Return when a pause written as `text` ends (aware, UTC)."""
    words = " ".join(text.split())
    lowered = words.lower()
    if lowered.startswith("for "):
        return _after(words[4:], now)
    if lowered.startswith("until "):
        return _next_time(words[6:], now, zone)
    if _TIME.match(words):
        return _next_time(words, now, zone)
    return _after(words, now)


def _after(text: str, now: datetime) -> datetime:
    try:
        seconds = parse_duration(text)
    except ValueError as err:
        raise PauseTimeError(f"{err}; {_USAGE}") from None
    if seconds <= 0:
        raise PauseTimeError(f"a pause needs a length above zero; {_USAGE}")
    if seconds > MAX_PAUSE.total_seconds():
        raise PauseTimeError(
            "a timed pause lasts at most 366 days: pause without a time to pause until resumed"
        )
    return now + timedelta(seconds=seconds)


def _next_time(text: str, now: datetime, zone: str) -> datetime:
    found = _TIME.match(text.strip())
    if found is None:
        raise PauseTimeError(f"{text.strip()!r} is not a time of day; {_USAGE}")
    hour, minute = int(found.group(1)), int(found.group(2))
    if hour > 23 or minute > 59:
        raise PauseTimeError(f"{hour}:{minute:02d} is not a time of day (00:00 to 23:59)")
    name = found.group(3) or zone
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PauseTimeError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Paris or UTC"
        ) from None
    local = now.astimezone(tz)
    end = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if end <= local:
        end = (end.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
    return end.astimezone(now.tzinfo)


def shown_in(when: datetime, zone: str) -> str:
    """`2026-11-23 18:00 Europe/Paris`: a resume time as people in that zone read it."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return f"{when.astimezone(tz):%Y-%m-%d %H:%M} {zone}"
