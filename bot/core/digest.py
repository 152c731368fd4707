"""Delivery modes of a watch: `immediate`, `hourly`, or `daily HH:MM` in a time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DigestMode", "DigestModeError", "parse_digest_mode"]

_DAILY = re.compile(r"^daily\s+(\d{1,2}):(\d{2})$")


class DigestModeError(ValueError):
    """A delivery mode a person wrote that cannot be used."""


@dataclass(frozen=True, slots=True)
class DigestMode:
    """A parsed mode: kind "immediate" | "hourly" | "daily" (with hour, minute, tz)."""

    kind: str
    hour: int = 0
    minute: int = 0
    tz: str = "UTC"

    @property
    def text(self) -> str:
        """The stored form: "immediate", "hourly" or "daily HH:MM"."""
        if self.kind == "daily":
            return f"daily {self.hour:02d}:{self.minute:02d}"
        return self.kind


def parse_digest_mode(text: str | None, tz: str | None = None) -> DigestMode:
    """Parse "hourly", "daily 08:00", "daily 08:00 Europe/Paris" (None or "" = immediate)."""
    raw = " ".join((text or "").split())
    parts = raw.split(" ")
    if len(parts) == 3 and parts[0].lower() == "daily":
        tz = parts[2]
        raw = " ".join(parts[:2])
    zone = tz or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DigestModeError(
            f"unknown time zone {zone!r}: use an IANA name such as Europe/Paris or UTC"
        ) from None
    lowered = raw.lower()
    if lowered in {"", "immediate", "off", "none"}:
        return DigestMode("immediate", tz=zone)
    if lowered == "hourly":
        return DigestMode("hourly", tz=zone)
    m = _DAILY.match(lowered)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour < 24 and minute < 60:
            return DigestMode("daily", hour, minute, zone)
    raise DigestModeError(
        f"unknown digest {text!r}: use hourly, daily HH:MM or daily HH:MM Area/City"
    )
