"""The single write path: every write of a process goes through one writer, one transaction at a time.

SQLite allows one writer at a time. Left to race for its lock, concurrent transactions wait in
the busy handler and fail with "database is locked" once a holder is slow (a poll matching items
while holding it, or simply a busy event loop). Here writers queue in the event loop instead,
without a timeout, and readers (WAL) never wait for them. PostgreSQL gets the same path: it costs
nothing there and lets queued jobs share one commit.

Two ways in:

- `transaction()`: an exclusive transaction for the caller's block (commands, the relay).
- `submit(job)`: a job (an async function of a `StoreTransaction`) run by the writer task. Jobs
  queued while a transaction runs are committed together in the next one (group commit), so a
  busy poller pays one commit per batch instead of one per poll. A job's result is returned
  once its batch has committed. A job runs on the writer's task, so cancelling the caller
  cannot interrupt it half-way: it commits whole, or (cancelled before it started) not at all.

A job may also be a `Together(run, payload)`: consecutive queued jobs with the same `run` are
done by one call `run(tx, [payload, ...])`, which returns one result per payload, so that a
batch of polls shares its statements (`bot.store.poll_writes`) instead of sending each its own.

If one job of a batch raises, the batch is rolled back and each of its jobs is run again in a
transaction of its own, so a failing job never takes the others down. Jobs therefore must not
act outside the database except through `StoreTransaction.on_rollback` undo hooks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.transaction import StoreTransaction

__all__ = ["MAX_BATCH", "SerialWriter", "Together", "WriteJob"]

T = TypeVar("T")
P = TypeVar("P")
WriteJob = Callable[[StoreTransaction], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class Together(Generic[P, T]):
    """A job done together with the consecutive queued jobs of the same `run`, in one call:
    `run(tx, payloads)` returns one result per payload, in their order."""

    run: Callable[[StoreTransaction, list[P]], Awaitable[Sequence[T]]]
    payload: P


MAX_BATCH = 64
"""Most jobs committed in one transaction (keeps each transaction short)."""


class _BatchFailed(Exception):
    """A job of a batch raised: roll the batch back and run its jobs one by one."""


@dataclass(slots=True)
class _Queued:
    job: WriteJob[Any] | Together[Any, Any]
    future: asyncio.Future[Any]


def _groups(batch: list[_Queued]) -> list[list[_Queued]]:
    """Split a batch into the calls that do it: runs of `Together` jobs of one `run`, and
    every other job alone."""
    groups: list[list[_Queued]] = []
    for queued in batch:
        last = groups[-1][-1].job if groups else None
        job = queued.job
        if isinstance(job, Together) and isinstance(last, Together) and job.run == last.run:
            groups[-1].append(queued)
        else:
            groups.append([queued])
    return groups


async def _do(group: list[_Queued], tx: StoreTransaction) -> list[Any]:
    """Run one group of jobs in `tx`; return their results in order."""
    first = group[0].job
    if not isinstance(first, Together):
        return [await first(tx)]
    payloads = [queued.job.payload for queued in group]  # type: ignore[union-attr]
    results = list(await first.run(tx, payloads))
    if len(results) != len(group):
        raise RuntimeError(f"{first.run!r} returned {len(results)} results for {len(group)} jobs")
    return results


class SerialWriter:
    """Serialises every write transaction of one process on one engine."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        self._queue: deque[_Queued] = deque()
        self._runner: asyncio.Task[None] | None = None
        self.commits = 0
        self.jobs = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection in the process's one write transaction; commit on success."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise RuntimeError(
                "a store write was called inside store.transaction() by the same task: it "
                "would wait for itself. Do that write through the transaction object instead."
            )
        async with self._lock:
            self._holder = task
            try:
                async with self._engine.begin() as conn:
                    yield conn
                self.commits += 1
            finally:
                self._holder = None

    async def submit(self, job: WriteJob[T] | Together[Any, T]) -> T:
        """Run `job` in the next write transaction (shared with other queued jobs)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(job, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name="store-writer")
        return await future

    @property
    def queued(self) -> int:
        """How many submitted jobs wait for the writer."""
        return len(self._queue)

    async def wait_idle(self) -> None:
        """Wait until every submitted job has been run (before closing the engine)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)

    async def _drain(self) -> None:
        while self._queue:
            batch: list[_Queued] = []
            async with self._lock:
                while self._queue and len(batch) < self._max_batch:
                    queued = self._queue.popleft()
                    if not queued.future.done():  # its caller gave up before it started
                        batch.append(queued)
                if batch:
                    await self._run_batch(batch)

    async def _run_batch(self, batch: list[_Queued]) -> None:
        if len(batch) == 1:
            await self._run_alone(batch[0])
            return
        txs: list[StoreTransaction] = []
        results: list[Any] = []
        try:
            async with self._engine.begin() as conn:
                for group in _groups(batch):
                    tx = StoreTransaction(conn)
                    txs.append(tx)
                    try:
                        results.extend(await _do(group, tx))
                    except Exception as exc:
                        raise _BatchFailed from exc
        except _BatchFailed:
            for tx in txs:
                tx.rolled_back()
            for queued in batch:  # one by one, so only the failing job fails
                await self._run_alone(queued)
            return
        except Exception as exc:  # the commit itself failed (database gone, disk full)
            for tx in txs:
                tx.rolled_back()
            for queued in batch:
                _settle(queued.future, exc=exc)
            return
        self.commits += 1
        self.jobs += len(batch)
        for queued, result in zip(batch, results, strict=True):
            _settle(queued.future, result=result)

    async def _run_alone(self, queued: _Queued) -> None:
        tx: StoreTransaction | None = None
        try:
            async with self._engine.begin() as conn:
                tx = StoreTransaction(conn)
                (result,) = await _do([queued], tx)
        except Exception as exc:
            if tx is not None:
                tx.rolled_back()
            _settle(queued.future, exc=exc)
            return
        self.commits += 1
        self.jobs += 1
        _settle(queued.future, result=result)


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, exc: Exception | None = None
) -> None:
    """Hand a job's outcome to its caller, unless the caller stopped waiting."""
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
