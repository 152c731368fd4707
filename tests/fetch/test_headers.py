"""Retry-After and Cache-Control parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.fetch.headers import MAX_RETRY_AFTER_S, parse_max_age, parse_retry_after

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Thu, 01 Jan 2026 12:05:00 GMT", 300.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("99999999999999", MAX_RETRY_AFTER_S),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300.0),
        ("public, max-age=60, must-revalidate", 60.0),
        ('s-maxage=10, max-age="90"', 90.0),
        ("no-cache", 0.0),
        ("no-store, max-age=600", 0.0),
        ("private", None),
        ("max-age=abc", None),
        (None, None),
    ],
)
def test_max_age(value: str | None, expected: float | None) -> None:
    assert parse_max_age(value) == expected
