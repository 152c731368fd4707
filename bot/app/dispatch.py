"""Database-driven polling: claim the due sources, fetch at most `concurrency` at once, then sleep.

The database says what is due (`sources.next_poll_at`), not one timer per source: the dispatcher
claims due sources with a lease (`Store.claim_due_sources` pushes their `next_poll_at` to the
lease's end), keeps up to `concurrency` polls fetching and a batch of claimed sources ready to
start as polls finish, and asks its timer to wake it when the earliest source falls due, or at
once when `wake()` is called (a source added from chat), never polling the database in a loop.

A poll gives its slot back once it has fetched, parsed and matched (`fetched()`), while its
write waits for the store's single writer: the next poll's fetch and CPU work then overlap
that wait (on PostgreSQL, round trips) instead of the slot sitting idle behind it. At most
`concurrency` more polls wait for their write, so memory stays bounded.

Leases are short and renewed while their polls run, so a crashed process's sources are polled
again within `lease_s`. A poll records its outcome and the source's real next poll time in its
own write; a claim that ends without that write (shutdown) is handed back, due at once.
Only leases this process still holds are moved: each is matched on the exact time it was set to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.store import SourceRecord, Store, is_outage

__all__ = ["IDLE_S", "LEASE_S", "PollDispatcher"]

log = logging.getLogger(__name__)

LEASE_S = 15
"""How long a claim lasts unless renewed: a crashed process's sources come back after this."""
IDLE_S = 30.0
"""Longest sleep: sources added by another process (the CLI) are seen within this."""


class PollDispatcher:
    """Claims due sources from the store and runs their polls, at most `concurrency` fetching.

    `poll(source, fetched)` polls one source, records its outcome and returns its next poll
    time; it calls `fetched()` when it no longer fetches (before its write), which lets the
    next poll start.
    """

    def __init__(
        self,
        store: Store,
        poll: Callable[[SourceRecord, Callable[[], None]], Awaitable[datetime | None]],
        *,
        concurrency: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_s: int = LEASE_S,
        idle_s: float = IDLE_S,
    ) -> None:
        self.store = store
        self._poll = poll
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.lease_s = lease_s
        self.idle_s = idle_s
        self.wake_at: Callable[[datetime], None] = lambda when: None
        """Set by the runtime: ask for `dispatch()` to run at `when` (the scheduler's timer)."""
        self._planned: datetime | None = None
        self.polls = 0
        self._ready: deque[SourceRecord] = deque()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._fetching: set[int] = set()  # running polls that have not called fetched()
        self._leases: dict[int, datetime] = {}  # source id -> the time its lease was set to
        self._claimed_again: dict[int, SourceRecord] = {}  # claimed while their poll ran
        self._more_due = False
        self._dispatching = False
        self._again_at: datetime | None = None
        self._dispatch_task: asyncio.Task[object] | None = None
        self._stopping = False

    @property
    def in_flight(self) -> int:
        """Polls running now."""
        return len(self._running)

    @property
    def held(self) -> set[int]:
        """Ids of the sources this process has claimed and not yet finished polling."""
        return set(self._leases)

    def wake(self) -> None:
        """Look at the database now (a source was added, or polls finished with more due)."""
        self._plan(self.clock())

    def _plan(self, when: datetime, *, sooner_only: bool = False) -> None:
        """Ask the timer for a dispatch at `when` (during a dispatch: when it ends).

        `sooner_only`: only if that is sooner than the dispatch already planned.
        """
        if self._stopping:
            return
        if self._dispatching:  # its own plan was computed before this news: merge at its end
            self._again_at = when if self._again_at is None else min(self._again_at, when)
            return
        if sooner_only and self._planned is not None and self._planned <= when:
            return
        self._planned = when
        self.wake_at(when)

    async def dispatch(self) -> None:
        """Claim due sources and start their polls; then say when to look again (the job)."""
        if self._dispatching:  # the timer fired again meanwhile: this one ends with a plan
            self._plan(self.clock())
            return
        if self._stopping:
            return
        self._dispatching = True
        self._again_at = None
        self._dispatch_task = asyncio.current_task()
        try:
            next_at = await self._claim_and_start()
        except Exception as err:  # the database went away: try again shortly, never crash
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("claiming due sources failed; trying again in %.0fs", self.lease_s)
            next_at = self.clock() + timedelta(seconds=self.lease_s)
        finally:
            self._dispatching = False
        if self._again_at is not None:
            next_at = min(next_at, self._again_at)
        self._plan(next_at)

    async def _claim_and_start(self) -> datetime:
        now = self.clock()
        if len(self._ready) < self.concurrency:
            want = 2 * self.concurrency - len(self._fetching) - len(self._ready)
            claimed = await self.store.claim_due_sources(now, limit=want, lease_s=self.lease_s)
            until = now + timedelta(seconds=self.lease_s)
            for source in claimed:
                if source.id in self._running:  # its poll is still finishing: queue it after
                    self._claimed_again[source.id] = source
                elif source.id not in self._leases:
                    self._ready.append(source)
                self._leases[source.id] = until
            self._more_due = len(claimed) == want
        self._start_ready()
        if self._more_due:  # finishing polls wake us; this is only the safety net
            return now + timedelta(seconds=self.idle_s)
        due = await self.store.next_poll_due(now, exclude=self._leases.keys())
        latest = now + timedelta(seconds=self.idle_s)
        return latest if due is None else max(now, min(due, latest))

    def _start_ready(self) -> None:
        while (
            self._ready
            and len(self._fetching) < self.concurrency
            and len(self._running) < 2 * self.concurrency
            and not self._stopping
        ):
            source = self._ready.popleft()
            task = asyncio.create_task(self._run(source), name=f"poll source #{source.id}")
            self._running[source.id] = task
            self._fetching.add(source.id)

    def _fetched(self, source_id: int) -> None:
        """A poll no longer fetches: its slot goes to the next ready source."""
        if source_id in self._fetching:
            self._fetching.remove(source_id)
            self._start_ready()  # starts nothing once stopping

    async def _run(self, source: SourceRecord) -> None:
        cancelled = False
        try:
            next_at = await self._poll(source, lambda: self._fetched(source.id))
            self.polls += 1
            if next_at is not None:
                self._plan(next_at, sooner_only=True)  # due again before the next look?
        except asyncio.CancelledError:
            cancelled = True  # the lease stays held, for stop() to hand back
            raise
        except Exception as err:  # a bug or the database: the lease runs out, it comes back
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("polling source #%s failed", source.id)
        finally:
            self._running.pop(source.id, None)
            self._fetching.discard(source.id)
            again = self._claimed_again.pop(source.id, None)
            if again is not None:  # due again and claimed while this poll ran
                if not cancelled:
                    self._ready.append(again)
            elif not cancelled:
                self._leases.pop(source.id, None)
            if not self._stopping:
                self._start_ready()
                if self._more_due and len(self._ready) < self.concurrency:
                    self.wake()

    async def renew_leases(self) -> None:
        """Extend the leases of the sources held here, so no one else takes them (a chore)."""
        if not self._leases or self._stopping:
            return
        until = self.clock() + timedelta(seconds=self.lease_s)
        try:
            kept = await self.store.move_source_leases(dict(self._leases), until)
        except Exception as err:  # the leases run out; the next renewal tries again
            if not is_outage(err):  # an outage is logged once, by the store
                log.exception("renewing the leases of %d sources failed", len(self._leases))
            return
        for source_id in kept:
            if source_id in self._leases:
                self._leases[source_id] = until

    def stop_claiming(self) -> None:
        """Claim nothing more and start no new poll (the first thing done on SIGTERM)."""
        self._stopping = True

    async def stop(self, grace_s: float = 3.0) -> None:
        """Stop claiming at once; give polls in flight `grace_s` to finish, cancel the rest.

        A poll that finishes in time has committed whole; a cancelled one wrote nothing (or its
        write, already on the writer, commits whole). The claims left are handed back, due now.
        """
        self.stop_claiming()
        claiming = self._dispatch_task
        if self._dispatching and claiming is not None and not claiming.done():
            await asyncio.wait([claiming], timeout=grace_s)  # its claims are handed back too
        self._ready.clear()
        running = list(self._running.values())
        if running:
            _done, late = await asyncio.wait(running, timeout=grace_s)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if late:
                log.info("stopped %d polls in flight; they will be done again", len(late))
        leases, self._leases = dict(self._leases), {}
        if leases:
            try:
                await self.store.move_source_leases(leases, self.clock())
            except Exception:  # the leases then run out on their own
                log.exception("handing back %d claimed sources failed", len(leases))
