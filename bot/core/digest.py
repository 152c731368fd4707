"""Delivery modes of a watch: `immediate`, `hourly`, `daily HH:MM` or `weekly DAY HH:MM`.

Daily and weekly digests go out at that time in the watch's time zone (UTC unless a zone is
given: `daily 08:00 Europe/Paris`, `weekly mon 08:00 Europe/Paris`). Days are written as their
first three English letters (`mon` ... `sun`); full names are accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WEEKDAYS", "DigestMode", "DigestModeError", "check_zone", "parse_digest_mode"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"^daily\s+(\d{1,2}):(\d{2})$")
_WEEKLY = re.compile(r"^weekly\s+([a-z]+)\s+(\d{1,2}):(\d{2})$")
_HELP = "use hourly, daily HH:MM or weekly DAY HH:MM, optionally followed by Area/City"


class DigestModeError(ValueError):
    """A delivery mode a person wrote that cannot be used."""


@dataclass(frozen=True, slots=True)
class DigestMode:
    """A parsed mode: kind "immediate" | "hourly" | "daily" | "weekly" (hour, minute, tz, day).

    `weekday` is 0 for Monday to 6 for Sunday (weekly only).
    """

    kind: str
    hour: int = 0
    minute: int = 0
    tz: str = "UTC"
    weekday: int = 0

    @property
    def text(self) -> str:
        """The stored form: "immediate", "hourly", "daily HH:MM" or "weekly DAY HH:MM"."""
        if self.kind == "daily":
            return f"daily {self.hour:02d}:{self.minute:02d}"
        if self.kind == "weekly":
            return f"weekly {WEEKDAYS[self.weekday]} {self.hour:02d}:{self.minute:02d}"
        return self.kind


def check_zone(name: str) -> str:
    """Return `name` if it is an IANA time zone; DigestModeError (a ValueError) says how to fix it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DigestModeError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Paris or UTC"
        ) from None
    return name


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(word: str) -> int | None:
    """0-6 for `mon`, `monday`, `tues`...: at least the three letters, and part of the name."""
    for index, day in enumerate(WEEKDAYS):
        if word.startswith(day) and _FULL_NAMES[index].startswith(word):
            return index
    return None


def parse_digest_mode(text: str | None, tz: str | None = None) -> DigestMode:
    """Parse "hourly", "daily 08:00 [Zone]", "weekly mon 08:00 [Zone]" (None or "" = immediate)."""
    raw = " ".join((text or "").split())
    parts = raw.split(" ")
    lowered_head = parts[0].lower()
    if (lowered_head == "daily" and len(parts) == 3) or (
        lowered_head == "weekly" and len(parts) == 4
    ):
        tz = parts[-1]
        raw = " ".join(parts[:-1])
    zone = check_zone(tz or "UTC")
    lowered = raw.lower()
    if lowered in {"", "immediate", "off", "none"}:
        return DigestMode("immediate", tz=zone)
    if lowered == "hourly":
        return DigestMode("hourly", tz=zone)
    daily = _DAILY.match(lowered)
    if daily:
        hour, minute = int(daily.group(1)), int(daily.group(2))
        if hour < 24 and minute < 60:
            return DigestMode("daily", hour, minute, zone)
    weekly = _WEEKLY.match(lowered)
    if weekly:
        day = _weekday(weekly.group(1))
        if day is None:
            raise DigestModeError(
                f"unknown day {weekly.group(1)!r} in {text!r}: use mon, tue, wed, thu, fri, "
                "sat or sun"
            )
        hour, minute = int(weekly.group(2)), int(weekly.group(3))
        if hour < 24 and minute < 60:
            return DigestMode("weekly", hour, minute, zone, day)
    raise DigestModeError(f"unknown digest {text!r}: {_HELP}")
