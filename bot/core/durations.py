"""Human durations in config and commands: "30s", "5m", "1h", "7d", "1h30m" (a unit is required)."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | int | float) -> float:
    """Return seconds for "30s", "5m", "1h30m", "7d"; ValueError otherwise.

    A number without a unit is refused ("30": seconds or minutes?), with the fix.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError("expected a duration like 30s, 5m, 1h or 7d")
    raw = str(text).strip().lower().replace(" ", "")
    if raw.startswith("-"):
        raise ValueError(f"a duration cannot be negative, got {text!r}")
    if raw.replace(".", "", 1).isdigit():
        number = raw.removesuffix(".0") if isinstance(text, float) else raw
        raise ValueError(
            f"a duration needs a unit: write {number}s for seconds "
            f"(or {number}m, {number}h, {number}d), got {text!r}"
        )
    pos, total = 0, 0.0
    for m in _PART.finditer(raw):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2).lower()]
        pos = m.end()
    if pos != len(raw) or not raw:
        raise ValueError(f"expected a duration like 30s, 5m, 1h or 7d, got {text!r}")
    return total


def format_duration(seconds: float) -> str:
    """Format seconds as the largest whole unit that fits: 300 -> "5m", 5400 -> "1h30m"."""
    seconds = round(seconds)
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out)
