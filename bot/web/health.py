"""/healthz (the process answers) and /readyz (it can do its job): public, plain text.

`Readiness` is a list of named checks; each returns None when fine or a short problem. The
runtime registers the database, the scheduler and each chat adapter; more checks (a worker's
lease, #19) are one `add` away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["CHECK_TIMEOUT_S", "Check", "Readiness", "healthz", "readyz"]

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0

Check = Callable[[], Awaitable[str | None]]


class Readiness:
    """Named readiness checks, run together with a timeout each."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        """Register (or replace) a check: None means ready, a string says what is wrong."""
        self._checks[name] = check

    async def problems(self) -> dict[str, str | None]:
        """Run every check; map its name to None (fine) or its problem."""

        async def one(name: str, check: Check) -> tuple[str, str | None]:
            try:
                return name, await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
            except TimeoutError:
                return name, f"no answer within {CHECK_TIMEOUT_S:g} s"
            except Exception as err:  # a check that fails is a "not ready", never a 500
                log.debug("readiness check %s failed", name, exc_info=True)
                return name, f"{type(err).__name__}: {err}"[:200]

        results = await asyncio.gather(*(one(n, c) for n, c in self._checks.items()))
        return dict(results)


async def healthz(request: web.Request) -> web.Response:
    """200 while the process serves requests."""
    return web.Response(text="ok\n", headers={"Cache-Control": "no-store"})


def readyz(readiness: Readiness) -> Callable[[web.Request], Awaitable[web.Response]]:
    """200 when every check passes, else 503; one line per check either way."""

    async def handler(request: web.Request) -> web.Response:
        problems = await readiness.problems()
        lines = [f"{name}: {problem or 'ok'}" for name, problem in problems.items()]
        ready = not any(problems.values())
        return web.Response(
            text="\n".join(["ready" if ready else "not ready", *lines]) + "\n",
            status=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    return handler
