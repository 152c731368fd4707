"""A database outage in the log: one line when it starts and one when it ends.

Every store operation reports here: a lost connection (`db_errors.is_outage`) marks the database
down, the next operation that succeeds marks it up again. The loops of the running bot (poll
jobs, the relay, chores, commands) then skip their own traceback for an outage error, so a
40-second outage is two log lines instead of hundreds, and the bot recovers on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.store.db_errors import describe, is_outage

__all__ = ["OutageLog"]

log = logging.getLogger("bot.store")


class OutageLog:
    """Tracks whether the database at `where` (password masked) is reachable."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.clock = clock
        self.since: float | None = None
        self.failures = 0
        self.reached = False  # an outage is a lost database: before the first success it is a
        # start-up failure, which the caller reports (`bot/app/store_start.py`, `doctor`)

    @property
    def down(self) -> bool:
        """True between the first failed and the next successful operation."""
        return self.since is not None

    def observe(self, err: BaseException) -> None:
        """Note a failed operation: the start of an outage if the error is a lost connection."""
        if not self.reached or not is_outage(err):
            return
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
            log.warning(
                "database outage: %s. The bot keeps running and retries on its own; it will "
                "say here when the database is back",
                describe(err, self.url).message,
            )

    def succeeded(self) -> None:
        """Note a successful operation: the end of an outage, if one was going on."""
        self.reached = True
        if self.since is None:
            return
        lasted = self.clock() - self.since
        log.warning(
            "database outage over: reachable again after %.0fs (%d operations failed meanwhile)",
            lasted,
            self.failures,
        )
        self.since = None
        self.failures = 0
