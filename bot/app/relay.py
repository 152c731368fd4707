"""The relay: claims pending deliveries from the outbox and sends them through the notifiers.

Immediate alerts go out one message each, paced by each notifier; past `burst_limit` alerts a
minute for one watch, the rest fold into one "N more matches" message. A fold (burst or digest)
carries every story: the first `digest_limit` with their summary, the rest by headline and link;
outputs split it where a platform's limits demand, never reducing a story to a count. Digest entries become one
digest message per watch when due. Story updates edit (or answer) the alert they update.
A temporary failure is retried with backoff; a permanent one pauses the watch and tells its owner.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.abstractive import AbstractiveSummarizer
from bot.app.watch_index import WatchIndex
from bot.commands.reply import cmd
from bot.commands.spec import Surface
from bot.commands.usage import written
from bot.core.alert import Alert, AlertKind, Marked, Story, WatchRef
from bot.core.destination import DestinationError, parse_destination
from bot.core.query import Query, QuerySyntaxError, parse
from bot.core.stories import story_for
from bot.ports import DeliveryError, Notifier, PermanentDeliveryError
from bot.settings import AlertSettings
from bot.store import Store, is_outage
from bot.store.records import DeliveryJob, WatchRecord

__all__ = ["MAX_ATTEMPTS", "Relay"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
UNCONFIGURED_RETRY_S = 600.0
ORIGINAL_PENDING_RETRY_S = 5.0
SHUTDOWN_GRACE_S = 5.0


@dataclass(slots=True)
class _Outgoing:
    """One message to send and the deliveries it settles."""

    alert: Alert
    watch: WatchRecord
    delivery_ids: list[int]
    attempts: int
    job: DeliveryJob | None = None  # a single alert, whose summary may be rewritten when sent
    first_seen: tuple[datetime, ...] = ()  # its items' first sight, for the latency metric


def _retry_since(jobs: list[DeliveryJob]) -> datetime | None:
    """When the earliest earlier attempt of these deliveries began (None on a first try)."""
    times = [
        j.delivery.attempted_at
        for j in jobs
        if j.delivery.attempts > 1 and j.delivery.attempted_at is not None
    ]
    return min(times) if times else None


class Relay:
    """Sends what the pipeline queued."""

    def __init__(
        self,
        store: Store,
        notifiers: dict[str, Notifier],
        index: WatchIndex,
        *,
        alerts: AlertSettings,
        summarizer: AbstractiveSummarizer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: random.Random | None = None,
        batch: int = 200,
        shutdown_grace: float = SHUTDOWN_GRACE_S,
    ) -> None:
        self.store = store
        self.notifiers = notifiers
        self.index = index
        self.alerts = alerts
        self.summarizer = summarizer
        self.clock = clock
        self.rand = rand or random.Random()
        self.batch = batch
        self.shutdown_grace = shutdown_grace
        self._wake = asyncio.Event()
        self.sent = 0
        self.digests: Callable[[], bool] = lambda: True
        """Whether this relay sends digests: the leader's only, with several workers."""
        self.on_settled: Callable[[str, str, tuple[datetime, ...], datetime], None] = (
            lambda destination, status, first_seen, now: None
        )
        """Told of each message settled: destination, status, its items' first sight, now."""

    def wake(self) -> None:
        """Ask the relay loop to look at the outbox now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, idle_s: float = 1.0) -> None:
        """Relay until `stop` is set.

        Once it is set nothing more is claimed; each destination finishes the message in flight
        (for at most `shutdown_grace` seconds) and the rest of the batch goes back to pending.
        """
        while not stop.is_set():
            try:
                handled = await self.run_once(stop)
            except Exception as err:
                if not is_outage(err):  # an outage is logged once, by the store
                    log.exception("relay cycle failed; retrying shortly")
                handled = 0
            if handled:
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(
                waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    async def drain(self) -> int:
        """Relay until nothing is due (for `poll --once` and the demo); return messages sent."""
        before = self.sent
        while await self.run_once():
            pass
        return self.sent - before

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """Claim one batch of due deliveries and send it; return how many deliveries it handled."""
        if stop is not None and stop.is_set():
            return 0
        now = self.clock()
        jobs = await self.store.claim_deliveries(
            now,
            limit=self.batch,
            lease_s=int(max(1.0, self.alerts.delivery_lease)),
            digests=self.digests(),
        )
        if not jobs:
            return 0
        outgoing = await self._compose(jobs, now)
        by_destination: dict[str, list[_Outgoing]] = defaultdict(list)
        for out in sorted(outgoing, key=lambda o: o.delivery_ids[0]):  # oldest first
            by_destination[out.watch.destination].append(out)
        paused: set[int] = set()
        await asyncio.gather(
            *(self._send_all(msgs, stop, paused) for msgs in by_destination.values())
        )
        return len(jobs)

    # ---- composing -----------------------------------------------------------------------
    async def _compose(self, jobs: list[DeliveryJob], now: datetime) -> list[_Outgoing]:
        immediate: dict[int, list[DeliveryJob]] = defaultdict(list)
        digests: dict[int, list[DeliveryJob]] = defaultdict(list)
        folds: dict[int, list[DeliveryJob]] = defaultdict(list)
        out: list[_Outgoing] = []
        for job in jobs:
            if job.delivery.kind == "update":
                update = await self._update(job, now)
                if update is not None:
                    out.append(update)
            elif job.delivery.folded_into is not None:  # a fold composed by an earlier attempt
                folds[job.delivery.folded_into].append(job)
            elif job.watch.mode == "immediate":
                immediate[job.watch.id].append(job)
            else:
                digests[job.watch.id].append(job)
        for group in folds.values():
            kind: AlertKind = "burst" if group[0].watch.mode == "immediate" else "digest"
            out.append(await self._folded(group, kind))
        for group in immediate.values():
            out += await self._immediate(group, now)
        for group in digests.values():
            out.append(await self._new_fold(group, "digest"))
        return out

    def _query(self, watch: WatchRecord) -> Query | None:
        query = self.index.query_of(watch.id)
        if query is not None:
            return query
        try:
            return parse(watch.query)
        except QuerySyntaxError:
            return None

    async def _story(self, job: DeliveryJob, *, abstractive: bool) -> Story:
        query = self._query(job.watch)
        story = story_for(
            job.item.item, query, item_id=job.item.id, max_chars=self.alerts.summary_chars
        )
        if abstractive and self.summarizer is not None:
            text = await self.summarizer.summarize(job.item.item, job.watch.query, story.summary)
            if text.text != story.summary.text and query is not None:
                marks = tuple(query.highlight(text.text, job.item.item.lang))
                story = replace(story, summary=Marked(text.text, marks))
        return story

    @staticmethod
    def _ref(watch: WatchRecord) -> WatchRef:
        return WatchRef(watch.id, watch.query, watch.destination, watch.owner)

    async def _immediate(self, group: list[DeliveryJob], now: datetime) -> list[_Outgoing]:
        """One message per alert, past the burst limit one fold; a retry keeps its own message."""
        watch = group[0].watch
        since = now - timedelta(seconds=self.alerts.burst_window)
        recent = await self.store.count_sent_since(watch.id, since)
        tried = [j for j in group if _retry_since([j]) is not None]
        fresh = [j for j in group if _retry_since([j]) is None]
        allowed = max(0, self.alerts.burst_limit - recent - len(tried))
        singles = sorted(tried + fresh[:allowed], key=lambda j: j.delivery.id)
        out = []
        for job in singles:
            story = await self._story(job, abstractive=False)
            alert = Alert(
                job.delivery.id,
                "alert",
                self._ref(watch),
                (story,),
                retry_since=_retry_since([job]),
            )
            out.append(
                _Outgoing(
                    alert,
                    watch,
                    [job.delivery.id],
                    job.delivery.attempts,
                    job,
                    first_seen=(job.item.fetched_at,),
                )
            )
        if len(fresh) > allowed:
            out.append(await self._new_fold(fresh[allowed:], "burst"))
        return out

    async def _new_fold(self, group: list[DeliveryJob], kind: AlertKind) -> _Outgoing:
        """Compose a fold and fix its members first, so a retry sends the very same message."""
        out = await self._folded(group, kind)
        if len(out.delivery_ids) > 1:
            await self.store.group_deliveries(out.delivery_ids[0], out.delivery_ids)
        return out

    async def _folded(self, group: list[DeliveryJob], kind: AlertKind) -> _Outgoing:
        watch = group[0].watch
        ordered = sorted(
            group, key=lambda j: j.item.item.published or j.item.fetched_at, reverse=True
        )
        limit = self.alerts.digest_limit
        detailed = [await self._story(j, abstractive=False) for j in ordered[:limit]]
        listed = [Story(j.item.item, Marked(""), item_id=j.item.id) for j in ordered[limit:]]
        ids = sorted(j.delivery.id for j in group)
        alert = Alert(
            ids[0],
            kind,
            self._ref(watch),
            (*detailed, *listed),  # every story; past the limit by headline and link only
            retry_since=_retry_since(group),
        )
        seen = tuple(j.item.fetched_at for j in group) if kind == "burst" else ()
        return _Outgoing(
            alert, watch, ids, max(j.delivery.attempts for j in group), first_seen=seen
        )

    async def _update(self, job: DeliveryJob, now: datetime) -> _Outgoing | None:
        original_id = int(job.delivery.payload.get("updates_delivery", 0))
        original = await self.store.get_delivery(original_id) if original_id else None
        if original is None or original.status == "failed":
            await self.store.fail_deliveries(
                [job.delivery.id], now=now, error="the alert it updates was never delivered"
            )
            return None
        if original.status != "sent":
            await self.store.retry_deliveries(
                [job.delivery.id],
                now=now,
                error="waiting for the alert",
                retry_at=now + timedelta(seconds=ORIGINAL_PENDING_RETRY_S),
            )
            return None
        original_item = await self.store.get_item(original.item_id)
        cluster = job.item.cluster_id or job.item.id
        names = await self.store.cluster_sources(cluster)
        first = original_item.item.source if original_item else ""
        also = tuple(n for n in names if n and n != first)
        story = await self._story(job, abstractive=False)
        alert = Alert(
            job.delivery.id,
            "update",
            self._ref(job.watch),
            (story,),
            also_reported_by=also,
            updates=original.external_ref,
            extra={"updates_delivery": str(original.id)},
            retry_since=_retry_since([job]),
        )
        return _Outgoing(
            alert,
            job.watch,
            [job.delivery.id],
            job.delivery.attempts,
            first_seen=(job.item.fetched_at,),
        )

    # ---- sending -------------------------------------------------------------------------
    async def _send_all(
        self, messages: list[_Outgoing], stop: asyncio.Event | None, paused: set[int]
    ) -> None:
        """Send one destination's messages in order (the notifier paces them)."""
        for index, message in enumerate(messages):
            if stop is not None and stop.is_set():
                rest = [i for m in messages[index:] for i in m.delivery_ids]
                await self.store.release_deliveries(rest)
                log.info("stopping: %d deliveries handed back unsent", len(rest))
                return
            if message.watch.id in paused:  # refused earlier in this batch: wait for resume
                await self.store.release_deliveries(
                    message.delivery_ids, error=f"watch #{message.watch.id} is paused"
                )
                continue
            await self._send(message, stop, paused)

    async def _with_summary(self, out: _Outgoing) -> Alert:
        """The alert as sent: a single alert gets its abstractive summary now, just in time."""
        if out.job is None or self.summarizer is None:
            return out.alert
        story = await self._story(out.job, abstractive=True)
        return replace(out.alert, stories=(story,))

    async def _finished(self, send: asyncio.Future[str | None], stop: asyncio.Event | None) -> bool:
        """Wait for a send; once `stop` is set, give it `shutdown_grace` seconds, then cancel it."""
        try:
            if stop is None:
                await asyncio.wait({send})
                return True
            stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
            try:
                waiting: set[asyncio.Future[Any]] = {send, stopping}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
            if not send.done():
                await asyncio.wait({send}, timeout=self.shutdown_grace)
            if send.done():
                return True
        except asyncio.CancelledError:
            send.cancel()
            raise
        send.cancel()
        await asyncio.wait({send})
        return False

    async def _send(self, out: _Outgoing, stop: asyncio.Event | None, paused: set[int]) -> None:
        primary, rest = out.delivery_ids[0], out.delivery_ids[1:]
        try:
            destination = parse_destination(out.watch.destination)
        except DestinationError as err:
            await self._refused(out, str(err), paused)
            return
        notifier = self.notifiers.get(destination.scheme)
        if notifier is None:
            await self._retry(
                out, f"{destination.scheme} is not enabled in this process", UNCONFIGURED_RETRY_S
            )
            return
        alert = await self._with_summary(out)
        send = asyncio.ensure_future(notifier.send(destination.target, alert))
        if not await self._finished(send, stop):
            log.warning(
                "stopping: delivery %s to %s did not finish in %.0fs; it will be checked and "
                "sent again at the next start",
                primary,
                out.watch.destination,
                self.shutdown_grace,
            )
            await self.store.retry_deliveries(
                out.delivery_ids,
                now=self.clock(),
                error="stopped while sending",
                retry_at=self.clock(),
            )
            return
        try:
            ref = send.result()
        except PermanentDeliveryError as err:
            await self._refused(out, err.message, paused)
            return
        except DeliveryError as err:
            await self._retry(out, err.message, err.retry_after)
            return
        except Exception as err:
            log.exception("notifier %s failed on delivery %s", destination.scheme, primary)
            await self._retry(out, f"internal error ({type(err).__name__})", None)
            return
        now = self.clock()
        await self.store.settle_sent(primary, rest, now=now, external_ref=ref)
        self.sent += 1
        self.on_settled(out.watch.destination, "sent", out.first_seen, now)

    async def _retry(self, out: _Outgoing, error: str, retry_after: float | None) -> None:
        now = self.clock()
        if out.attempts >= MAX_ATTEMPTS:
            await self.store.fail_deliveries(
                out.delivery_ids, now=now, error=f"gave up after {out.attempts} tries: {error}"
            )
            log.error(
                "delivery %s to %s abandoned: %s", out.delivery_ids[0], out.watch.destination, error
            )
            self.on_settled(out.watch.destination, "failed", (), now)
            return
        delay = min(3600.0, 5.0 * 2 ** max(0, out.attempts - 1))
        delay = max(delay * self.rand.uniform(0.8, 1.2), retry_after or 0.0)
        log.warning(
            "delivery %s to %s failed (%s); retry in %.0fs",
            out.delivery_ids[0],
            out.watch.destination,
            error,
            delay,
        )
        await self.store.retry_deliveries(
            out.delivery_ids, now=now, error=error, retry_at=now + timedelta(seconds=delay)
        )
        self.on_settled(out.watch.destination, "retry", (), now)

    async def _refused(self, out: _Outgoing, error: str, paused: set[int]) -> None:
        """A destination refused for good: pause the watch, keep its alerts, tell the owner once."""
        await self.store.release_deliveries(out.delivery_ids, error=error)
        self.on_settled(out.watch.destination, "refused", (), self.clock())
        paused.add(out.watch.id)
        reason = f"{out.watch.destination} refused delivery: {error}"
        self.index.drop(out.watch.id)
        if not await self.store.pause_watch_if_active(out.watch.id, reason):
            return  # paused already (by another sender, or its owner): they were told
        log.warning(
            "watch #%s paused, its alerts kept for when it resumes: %s", out.watch.id, reason
        )
        platform = out.watch.owner.partition(":")[0]
        surface: Surface = "slack" if platform == "slack" else "discord"
        if platform not in ("slack", "discord"):
            surface = "cli"  # an operator's watch (the CLI, the config file): the log says it
        resume = written(cmd("watch", "resume", id=out.watch.id), surface)
        tick = "" if surface == "cli" else "`"  # chat marks code; a log line stays plain
        await self.tell_owner(
            out.watch.owner,
            f"Your Wirewatch watch #{out.watch.id} ({tick}{out.watch.query}{tick}) was paused: "
            f"{reason}. Its alerts are kept: fix the channel or permissions, then "
            f"{tick}{resume}{tick} and they will be delivered.",
        )

    async def tell_owner(self, owner: str, text: str) -> None:
        """Message a watch's or source's owner on their platform; log when there is none."""
        platform = owner.partition(":")[0]
        notifier = self.notifiers.get(platform)
        if notifier is None:
            log.warning("to %s: %s", owner or "the operator", text)
            return
        try:
            await notifier.notify_owner(owner, text)
        except Exception:
            log.exception("could not tell %s", owner)
