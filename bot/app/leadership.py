"""One leader among the `wirewatch run` workers sharing a database, for the duties done once.

Every worker polls (sources are leased, `bot.app.dispatch`) and relays immediate alerts (the
outbox's claims). The leader alone also: applies the config file to the database, prunes the
archive, sends digests (so each digest is composed whole, by one worker) and holds Discord's
gateway (slash commands); the followers post to Discord over REST.

The leader is whoever holds the store's leader lock (`bot.store.leader_lock`: a PostgreSQL
advisory lock; on SQLite the one worker, always). A follower tries again every
`LEADER_RETRY_S`, so when the leader dies another worker takes over within that time (plus, for
a machine that vanished without closing its connection, the server's TCP keepalive, which the
lock's connection sets to about a minute). The leader checks each time that it still holds the
lock; if its connection was lost, it steps down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.store import DatabaseProblem, is_outage
from bot.store.leader_lock import LeaderLock

__all__ = ["LEADER_RETRY_S", "Leadership"]

log = logging.getLogger(__name__)

LEADER_RETRY_S = 10.0
"""How often a follower tries to become the leader, and the leader checks it still is."""


async def _nothing() -> None:
    return None


class Leadership:
    """Whether this worker is the leader; `tick()` (a chore) keeps the answer true."""

    def __init__(
        self,
        lock: LeaderLock,
        *,
        on_gain: Callable[[], Awaitable[None]] = _nothing,
        on_loss: Callable[[], Awaitable[None]] = _nothing,
    ) -> None:
        self.lock = lock
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.is_leader = False
        self.changes = 0
        """How many times this worker became or stopped being the leader."""

    async def start(self) -> bool:
        """Try once, without `on_gain` (the start-up does the leader's work itself).

        Raises `DatabaseProblem("busy")` when another `wirewatch run` holds a SQLite database.
        """
        self.is_leader = await self._try()
        if self.is_leader:
            self.changes += 1
            log.info("this worker is the leader (digests, pruning, config sync, Discord gateway)")
        else:
            log.info("another worker is the leader; this one polls and relays")
        return self.is_leader

    async def _try(self) -> bool:
        try:
            return await self.lock.try_acquire()
        except DatabaseProblem:
            raise
        except Exception as err:  # the database is away: a follower until it is back
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("trying for the leader lock failed")
            return False

    async def tick(self) -> None:
        """A follower tries for the lock; the leader checks it still holds it."""
        if self.is_leader:
            if await self.lock.check():
                return
            self.is_leader = False
            self.changes += 1
            log.warning("this worker lost the leader lock (its database connection ended)")
            await self.on_loss()
            return
        if await self._try():
            self.is_leader = True
            self.changes += 1
            log.info("this worker became the leader")
            await self.on_gain()

    async def stop(self) -> None:
        """Let go of the lock, so another worker takes over at its next try."""
        self.is_leader = False
        await self.lock.release()
