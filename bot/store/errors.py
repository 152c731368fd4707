"""Errors the store raises for problems a caller can fix."""

from __future__ import annotations

__all__ = ["DuplicateError"]


class DuplicateError(ValueError):
    """A record with the same unique key (e.g. a source URL) already exists."""
