"""Column types shared by the schema: aware UTC datetimes and text any backend accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, Text, TypeDecorator

__all__ = ["CleanText", "UTCDateTime", "clean_text", "require_utc"]


def require_utc(value: datetime, what: str = "datetime") -> datetime:
    """Return `value` converted to UTC; refuse naive datetimes, whose meaning is unknown."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {value.isoformat()}); use UTC")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; always return aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite gets a naive UTC value so text comparisons stay ordered."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = require_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to naive values read back from SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def clean_text(value: str) -> str:
    """Drop NUL characters and replace lone surrogates: PostgreSQL and UTF-8 refuse both."""
    if value.isascii():
        return value.replace("\x00", "") if "\x00" in value else value
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


class CleanText(TypeDecorator[str]):
    """Unbounded text, cleaned of what a database would refuse (hostile feeds send it)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Clean strings on their way in."""
        return clean_text(value) if isinstance(value, str) else value
