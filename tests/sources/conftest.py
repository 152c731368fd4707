"""Fixtures for the source tests: a feed server and a safe client allowed to reach loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.fetch import FetchPolicy, SafeClient
from tests.fakes.feed_server import FeedServer

LOOPBACK = FetchPolicy(allow_hosts=("127.0.0.1",))


@pytest.fixture
async def fs() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[SafeClient]:
    safe = SafeClient(LOOPBACK)
    yield safe
    await safe.aclose()
