"""Parse the headers a publisher sends: Retry-After, Cache-Control, Content-Type, Content-Location."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

__all__ = [
    "MAX_RETRY_AFTER_S",
    "document_base",
    "lower_keys",
    "parse_content_type",
    "parse_max_age",
    "parse_retry_after",
]

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


def lower_keys(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The headers as a plain dict with lower-case names (for any Mapping, or None)."""
    return {str(name).lower(): str(value) for name, value in (headers or {}).items()}


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """Return the media type (lower-case, "" when absent) and the charset parameter, if any."""
    parts = str(value or "").split(";")
    charset = None
    for part in parts[1:]:
        key, _, raw = part.partition("=")
        if key.strip().lower() == "charset" and raw.strip().strip("\"'"):
            charset = raw.strip().strip("\"'").lower()
    return parts[0].strip().lower(), charset


def document_base(final_url: str, content_location: str | None) -> str:
    """Return the base URL of a document: its Content-Location, else the URL it came from.

    Content-Location is resolved against the final URL after redirects (RFC 9110 section
    8.7); one that is not http(s) once resolved is ignored. An `xml:base` inside the
    document, when there is one, then applies on top of this base.
    """
    location = (content_location or "").strip()
    if not location or len(location) > 4096:
        return final_url
    try:
        resolved = urljoin(final_url, location)
        parts = urlsplit(resolved)
    except ValueError:
        return final_url
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return final_url
    return resolved
