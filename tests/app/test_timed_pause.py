"""`/watch pause ID for 2h` and `until 18:00` resume by themselves: alerts stop meanwhile and
start again after, on an injected clock, through the real pipeline, store and relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.service import Caller
from bot.core.pause_time import pause_end
from tests.app.harness import Clock, Harness, open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

ALICE = Caller(platform="slack", user_id="UALICE", channel_id="CDESK")
OPS = Caller(platform="cli", user_id="ops", is_admin=True)
MONDAY = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)
BASE = [story(1, "Markets steady in Asia")]


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("for 2h", "UTC", MONDAY + timedelta(hours=2)),
        ("90m", "UTC", MONDAY + timedelta(minutes=90)),
        ("until 18:00", "UTC", datetime(2026, 11, 23, 18, 0, tzinfo=UTC)),
        ("until 18:00", "Europe/Paris", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
        ("until 09:00", "UTC", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),  # tomorrow
        ("until 18:00 Asia/Tokyo", "UTC", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("07:30", "UTC", datetime(2026, 11, 24, 7, 30, tzinfo=UTC)),
    ],
)
def test_when_a_pause_ends(text, zone, expected):
    assert pause_end(text, MONDAY, zone) == expected


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[Harness]:
    """The app on a feed with one story, its clock at MONDAY."""
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(BASE))
        harness = await open_harness(
            tmp_path, feeds, [("F", feeds.url("/f.xml"))], [], clock=Clock(MONDAY)
        )
        try:
            yield harness
        finally:
            await harness.app.aclose()


async def test_a_pause_for_two_hours_resumes_by_itself(h: Harness):
    added = await h.app.service.watch_add(OPS, "readmission", channel=f"jsonl:{h.jsonl}")
    (watch,) = added.watches
    await h.poll()
    reply = await h.app.service.run_text(OPS, "/watch", f"pause {watch.id} for 2h")
    assert reply.ok, reply
    assert reply.title == f"Watch #{watch.id} paused until 2026-11-23 12:20 UTC"
    stored = await h.app.store.get_watch(watch.id)
    assert stored is not None and stored.paused
    assert stored.paused_until == MONDAY + timedelta(hours=2)
    assert stored.paused_reason == "paused by cli:ops until 2026-11-23 12:20 UTC"

    h.clock.advance(minutes=30)  # a match while paused: no alert, ever
    h.feeds.set_feed("/f.xml", rss_feed([*BASE, story(2, "Readmission talks stall")]))
    await h.poll()
    await h.app.refresh_watches()
    assert await h.deliver() == 0

    h.clock.advance(hours=1, minutes=29)  # 12:19: still paused
    await h.app.refresh_watches()
    assert (await h.app.store.get_watch(watch.id)).paused  # type: ignore[union-attr]

    h.clock.advance(minutes=1)  # 12:20: the run loop's chore resumes it
    await h.app.refresh_watches()
    resumed = await h.app.store.get_watch(watch.id)
    assert resumed is not None and not resumed.paused and resumed.paused_until is None
    h.feeds.set_feed(
        "/f.xml",
        rss_feed([*BASE, story(2, "Readmission talks stall"), story(3, "Readmission deal")]),
    )
    await h.poll()
    assert await h.deliver() == 1
    assert [r["item"]["title"] for r in h.records()] == ["Readmission deal"]


async def test_until_uses_the_watchs_zone_and_a_plain_pause_never_ends(h: Harness):
    service = h.app.service
    paris = (await service.watch_add(ALICE, "a", digest="daily 08:00 Europe/Paris")).watches[0]
    plain = (await service.watch_add(ALICE, "b")).watches[0]
    timed = await service.watch_pause(ALICE, str(paris.id), until="until 18:00")
    assert timed.title == f"Watch #{paris.id} paused until 2026-11-23 18:00 Europe/Paris"
    assert any("resumes by itself" in str(line) for line in timed.lines)
    assert (await service.watch_pause(ALICE, str(plain.id))).title == (f"Watch #{plain.id} paused")
    h.clock.advance(days=30)
    await h.app.refresh_watches()
    assert not (await h.app.store.get_watch(paris.id)).paused  # type: ignore[union-attr]
    assert (await h.app.store.get_watch(plain.id)).paused  # type: ignore[union-attr]
    bad = await service.run_text(ALICE, "/watch", f"pause {plain.id} for 30")
    assert not bad.ok and bad.title == "That pause cannot be used"
    assert "a duration needs a unit: write 30s" in " ".join(map(str, bad.lines))
    late = await service.run_text(ALICE, "/watch", f"pause {plain.id} until 25:00")
    assert not late.ok and "not a time of day" in " ".join(map(str, late.lines))


async def test_pausing_again_without_a_time_clears_the_end(h: Harness):
    watch = (await h.app.service.watch_add(ALICE, "a")).watches[0]
    await h.app.service.watch_pause(ALICE, str(watch.id), until="for 1h")
    await h.app.service.watch_pause(ALICE, str(watch.id))
    h.clock.advance(hours=2)
    await h.app.refresh_watches()
    stored = await h.app.store.get_watch(watch.id)
    assert stored is not None and stored.paused and stored.paused_until is None
