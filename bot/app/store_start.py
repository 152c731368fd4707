"""Open the store at start, waiting a bounded time for a database server that is not up yet.

A bot started together with its database (docker compose, a reboot) may come up first. An
unreachable server is retried with exponential back-off (1 s, 2 s, 4 s ... at most 15 s apart)
for `[database] connect_retry`; a refused login, an unknown database or an unsupported URL is
not worth waiting for and fails at once. Either way the failure is one line, password masked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.store import DatabaseProblem, Store

__all__ = ["MAX_BACKOFF_S", "open_store"]

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 15.0


async def open_store(
    url: str,
    *,
    retry_for: float = 0.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Store:
    """Open and migrate the store; retry an unreachable server for `retry_for` seconds."""
    deadline = clock() + retry_for
    delay = 1.0
    tries = 0
    while True:
        tries += 1
        try:
            store = await Store.open(url)
        except DatabaseProblem as problem:
            if problem.kind != "unreachable" or retry_for <= 0:
                raise
            left = deadline - clock()
            if left <= 0:
                raise DatabaseProblem(
                    "unreachable",
                    f"{problem.message} (gave up after {tries} tries in {retry_for:.0f}s)",
                ) from problem
            if tries == 1:
                log.warning("%s; retrying for up to %.0fs", problem.message, retry_for)
            await sleep(min(delay, left))
            delay = min(delay * 2, MAX_BACKOFF_S)
            continue
        if tries > 1:
            log.warning("database reachable after %d tries; starting", tries)
        return store
