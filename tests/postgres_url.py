"""The test PostgreSQL server's URL: skipped on a laptop without one, a failure in CI."""

from __future__ import annotations

import os

import pytest

PG_URL_ENV = "WIREWATCH_TEST_DATABASE_URL"


def postgres_url() -> str:
    """Return the test PostgreSQL URL, or skip (fail in CI) when none is configured."""
    url = os.environ.get(PG_URL_ENV, "")
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{PG_URL_ENV} is not set: CI must run the PostgreSQL tests")
    pytest.skip(f"{PG_URL_ENV} not set")
