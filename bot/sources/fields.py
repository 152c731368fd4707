"""Turn untrusted field values from feeds and pages into clean Item fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from bot.core.cleaning import html_to_text

__all__ = [
    "MAX_CONTENT_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "absolute_http_url",
    "clean_tags",
    "clean_text",
    "language_code",
    "parse_iso_datetime",
]

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 5_000
MAX_CONTENT_CHARS = 100_000
_LANGUAGE = re.compile(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*\s*$")


def clean_text(value: object, limit: int) -> str:
    """Return the plain text of an HTML or text value, at most `limit` characters."""
    if not isinstance(value, str) or not value:
        return ""
    return html_to_text(value[: limit * 4])[:limit].strip()


def absolute_http_url(base: str, href: object) -> str:
    """Resolve `href` against `base`; return it only if it is an http(s) URL, else ""."""
    if not isinstance(href, str) or not href.strip() or len(href) > 4096:
        return ""
    try:
        resolved = urljoin(base, href.strip())
        parts = urlsplit(resolved)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return resolved


def language_code(value: object) -> str:
    """Return the primary language subtag ("fr" for "fr-FR"), or "" when not a language tag."""
    if not isinstance(value, str):
        return ""
    match = _LANGUAGE.match(value)
    return match.group(1).lower() if match else ""


def clean_tags(values: Iterable[object], *, limit: int = 20) -> tuple[str, ...]:
    """Return distinct, non-empty plain-text tags, at most `limit`."""
    seen: dict[str, None] = {}
    for value in values:
        tag = clean_text(value, 100)
        if tag and tag.lower() not in (t.lower() for t in seen):
            seen[tag] = None
        if len(seen) >= limit:
            break
    return tuple(seen)


def parse_iso_datetime(value: object) -> datetime | None:
    """Parse an RFC 3339 / ISO 8601 timestamp into an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
