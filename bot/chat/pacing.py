"""Per-channel pacing: at most one message per `interval` seconds to any one channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["ChannelPacer"]


class ChannelPacer:
    """Space sends to each channel by `interval` seconds; different channels never wait on each other.

    `clock` and `sleep` are injectable so tests need not wait in real time.
    """

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next_free: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        """Wait until `channel` may receive the next message, and reserve that slot."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = self._clock()
            ready = self._next_free.get(channel, now)
            if ready > now:
                await self._sleep(ready - now)
                now = self._clock()
            self._next_free[channel] = max(now, ready) + self.interval

    def hold(self, channel: str, seconds: float) -> None:
        """Keep `channel` quiet for `seconds` (a 429's Retry-After)."""
        self._next_free[channel] = max(self._next_free.get(channel, 0.0), self._clock() + seconds)
