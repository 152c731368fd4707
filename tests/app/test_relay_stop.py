"""Issue #18 point 3 (relay side): on stop, nothing more is claimed, only the message in flight
is finished, and the rest of the claimed batch goes back to pending at once."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.app.harness import open_harness, story
from tests.app.test_refusals import HEADLINES
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.fakes.loopback import serve_on_loopback

BASE = [story(1, "Markets steady in Asia")]
FRESH = [story(10 + n, title) for n, title in enumerate(HEADLINES)]


class SlowReceiver:
    """A webhook receiver that holds the answer to its `hold_at`-th POST until released."""

    def __init__(self, hold_at: int) -> None:
        self.hold_at = hold_at
        self.keys: list[str] = []
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def hook(self, request: web.Request) -> web.Response:
        self.keys.append(request.headers["Idempotency-Key"])
        if len(self.keys) == self.hold_at:
            self.holding.set()
            await self.release.wait()
        return web.Response(status=204)


async def run_until_stopped(tmp_path, receiver: SlowReceiver, *, grace: float):
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    runner, port = await serve_on_loopback(app)
    feeds = FeedServer()
    await feeds.__aenter__()
    feeds.set_feed("/f.xml", rss_feed(BASE))
    h = await open_harness(
        tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], alerts={"burst_limit": 100}
    )
    h.app.relay.shutdown_grace = grace
    await h.app.store.add_watch("readmission", f"webhook:http://127.0.0.1:{port}/hook")
    await h.app.refresh_watches()
    await h.poll()
    feeds.set_feed("/f.xml", rss_feed(BASE + FRESH))
    await h.poll()
    stop = asyncio.Event()
    relay = asyncio.create_task(h.app.relay.run(stop))
    await asyncio.wait_for(receiver.holding.wait(), 10)

    async def cleanup() -> None:
        receiver.release.set()
        await h.app.aclose()
        await feeds.__aexit__(None, None, None)
        await runner.cleanup()

    return h, stop, relay, cleanup


async def test_stop_finishes_the_message_in_flight_and_hands_the_rest_back(tmp_path):
    receiver = SlowReceiver(hold_at=3)
    h, stop, relay, cleanup = await run_until_stopped(tmp_path, receiver, grace=30.0)
    try:
        stop.set()
        await asyncio.sleep(0)  # the relay sees the stop while the third POST waits
        receiver.release.set()
        await asyncio.wait_for(relay, 10)
        deliveries = await h.app.store.list_deliveries()
        sent = [d for d in deliveries if d.status == "sent"]
        assert len(receiver.keys) == 3 and len(sent) == 3
        assert {str(d.id) for d in sent} == set(receiver.keys)
        rest = [d for d in deliveries if d.status != "sent"]
        assert len(rest) == len(FRESH) - 3
        assert {(d.status, d.attempts, d.attempted_at) for d in rest} == {("pending", 0, None)}
    finally:
        await cleanup()


async def test_a_send_that_outlasts_the_grace_is_cancelled_and_kept_for_a_checked_retry(tmp_path):
    receiver = SlowReceiver(hold_at=2)
    h, stop, relay, cleanup = await run_until_stopped(tmp_path, receiver, grace=0.05)
    try:
        stop.set()  # the second POST never gets its answer
        await asyncio.wait_for(relay, 10)
        deliveries = {str(d.id): d for d in await h.app.store.list_deliveries()}
        first, second = receiver.keys
        assert deliveries[first].status == "sent"
        in_doubt = deliveries[second]
        assert in_doubt.status == "pending" and in_doubt.error == "stopped while sending"
        assert in_doubt.attempts == 1 and in_doubt.attempted_at is not None  # it may have arrived
        others = [d for key, d in deliveries.items() if key not in receiver.keys]
        assert len(others) == len(FRESH) - 2
        assert {(d.status, d.attempts) for d in others} == {("pending", 0)}
    finally:
        await cleanup()


async def test_a_stopped_relay_claims_nothing(tmp_path):
    receiver = SlowReceiver(hold_at=1)
    h, stop, relay, cleanup = await run_until_stopped(tmp_path, receiver, grace=0.05)
    try:
        stop.set()
        await asyncio.wait_for(relay, 10)
        assert await h.app.relay.run_once(stop) == 0
        assert len(receiver.keys) == 1
        assert {d.status for d in await h.app.store.list_deliveries()} == {"pending"}
    finally:
        await cleanup()
