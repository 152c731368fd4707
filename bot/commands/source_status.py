"""How a source is doing, in a few words, for every list of sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.durations import format_duration

if TYPE_CHECKING:
    from bot.store.records import SourceRecord

__all__ = ["source_health", "source_next_poll"]


def source_next_poll(source: SourceRecord, now: datetime) -> str:
    """When a source is polled next and why, for lists: "in 4m (interval 5m)"."""
    if not source.enabled:
        return "none (disabled)"
    if source.next_poll_at is None:
        return "due now (not polled yet)"
    wait = (source.next_poll_at - now).total_seconds()
    when = "due now" if wait < 1 else f"in {format_duration(wait)}"
    at = source.next_poll_at.astimezone(UTC).strftime("%H:%M UTC")
    why = source.next_poll_reason or f"interval {format_duration(source.interval_s)}"
    return f"{when}, {at} ({why})" if wait >= 1 else f"{when} ({why})"


def source_health(source: SourceRecord) -> str:
    """One line on a source's health for lists."""
    if not source.enabled:
        return f"disabled: {source.disabled_reason or source.last_error or 'by an admin'}"
    if source.consecutive_failures:
        return f"failing ({source.consecutive_failures}×): {source.last_error}"
    return source.last_status or "not polled yet"
