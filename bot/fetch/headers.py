"""Parse the caching and back-off headers a publisher sends: Retry-After, Cache-Control."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["MAX_RETRY_AFTER_S", "parse_max_age", "parse_retry_after"]

MAX_RETRY_AFTER_S = 7 * 24 * 3600.0
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d{1,12})\"?", re.IGNORECASE)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return seconds to wait from a Retry-After value (delta seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(int(value[:12])), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_S)


def parse_max_age(cache_control: str | None) -> float | None:
    """Return `max-age` seconds from a Cache-Control value (0 for no-cache/no-store)."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0.0
    match = _MAX_AGE.search(cache_control)
    if match is None:
        return None
    return min(float(int(match.group(1))), MAX_RETRY_AFTER_S)
