"""The platform-neutral command service over a real SQLite store and loopback feeds."""

from __future__ import annotations

import pytest

from bot.commands.service import Caller
from tests.app.harness import open_harness, story
from tests.fakes.feed_server import FeedServer, rss_feed

ALICE = Caller(platform="slack", user_id="UALICE", channel_id="CDESK", channel_name="maghreb-desk")
BOB = Caller(platform="slack", user_id="UBOB", channel_id="CDESK")
ADMIN = Caller(platform="slack", user_id="UADMIN", channel_id="COTHER")
ITEMS = [
    story(
        1,
        "France and Algeria resume security cooperation",
        "Paris and Algiers agreed to resume cooperation. The deal covers the readmission of "
        "nationals.",
    ),
    story(2, "Algeria readmission figures published"),
    story(3, "Markets steady in Asia"),
]


@pytest.fixture
async def h(tmp_path):
    async with FeedServer() as feeds:
        feeds.set_feed("/f.xml", rss_feed(ITEMS))
        harness = await open_harness(
            tmp_path,
            feeds,
            [("Wire", feeds.url("/f.xml"))],
            [],
            slack={"admins": ["UADMIN"], "quota_user": 3},
        )
        await harness.poll()
        try:
            yield harness
        finally:
            await harness.app.aclose()


async def test_watch_add_subscribes_the_channel_with_a_preview(h):
    reply = await h.app.service.watch_add(ALICE, "Algeria AND readmission")
    assert reply.ok and reply.title.startswith("Watch #")
    (watch,) = reply.watches
    assert watch.destination == "slack:CDESK" and watch.owner == "slack:UALICE"
    assert reply.warnings == []
    assert any("would have matched 2 items in the archive" in str(line) for line in reply.lines)
    assert next(s.item.title for s in reply.stories).startswith(("France", "Algeria"))
    assert len(h.app.index) == 1


async def test_watch_add_in_a_dm_is_personal_and_digest_is_parsed(h):
    dm = Caller(platform="slack", user_id="UALICE", channel_id="DALICE", is_dm=True)
    reply = await h.app.service.watch_add(dm, "Algeria", digest="daily 08:00 Europe/Paris")
    (watch,) = reply.watches
    assert watch.destination == "slack:@UALICE"
    assert (watch.mode, watch.tz) == ("daily 08:00", "Europe/Paris")


async def test_a_lower_case_or_is_refused_with_the_fix_and_its_column(h):
    for reply in (
        await h.app.service.run_text(ALICE, "/watch", "add election or vote"),
        await h.app.service.run_text(ALICE, "/watch", "test election or vote"),
        await h.app.service.run_text(ALICE, "/news", "election or vote"),
    ):
        assert not reply.ok
        text = " ".join(str(line) for line in reply.lines)
        assert 'write OR, or quote "or" to search the word (at column 10)' in text
        assert reply.code == "election or vote\n         ^"
    assert await h.app.store.list_watches() == []


async def test_syntax_errors_come_back_with_a_caret(h):
    reply = await h.app.service.watch_add(ALICE, "Algeria AND (readmission")
    assert not reply.ok and reply.code is not None
    lines = reply.code.splitlines()
    assert lines[0] == "Algeria AND (readmission" and "^" in lines[1]
    assert await h.app.store.list_watches() == []
    test = await h.app.service.watch_test(ALICE, 'title:"unclosed')
    assert not test.ok and "^" in (test.code or "")


async def test_only_creator_or_admin_may_remove_or_pause(h):
    watch = (await h.app.service.watch_add(ALICE, "Algeria")).watches[0]
    denied = await h.app.service.watch_remove(BOB, str(watch.id))
    assert not denied.ok and "Only the creator" in denied.title
    paused = await h.app.service.watch_pause(ADMIN, f"#{watch.id}")
    assert paused.ok and paused.watches[0].paused and len(h.app.index) == 0
    resumed = await h.app.service.watch_resume(ALICE, str(watch.id))
    assert resumed.ok and len(h.app.index) == 1
    assert (await h.app.service.watch_remove(ALICE, str(watch.id))).ok
    assert await h.app.store.get_watch(watch.id) is None
    missing = await h.app.service.watch_remove(ALICE, "9999")
    assert not missing.ok and "no watch #9999" in missing.title
    bad = await h.app.service.watch_remove(ALICE, "twelve")
    assert not bad.ok and "not a watch id" in bad.title


async def test_quota_per_user(h):
    for i in range(3):
        assert (await h.app.service.watch_add(ALICE, f"word{i}")).ok
    over = await h.app.service.watch_add(ALICE, "word9")
    assert not over.ok and "limit" in over.title


async def test_watch_list_shows_channel_and_own_watches(h):
    await h.app.service.watch_add(ALICE, "Algeria")
    await h.app.service.watch_add(ADMIN, "Asia")  # another channel, another person
    listed = await h.app.service.watch_list(BOB)
    assert [w.query for w in listed.watches] == ["Algeria"]


async def test_news_looks_up_the_archive_newest_first(h):
    reply = await h.app.service.news(BOB, "Algeria AND readmission", since="30d")
    assert reply.ok and reply.shareable and reply.ephemeral
    assert str(reply.title).startswith(
        "2 items for `algeria AND readmission`"
    )  # exact: all checked
    assert {s.item.title for s in reply.stories} == {
        "France and Algeria resume security cooperation",
        "Algeria readmission figures published",
    }
    assert reply.stories[0].item.title == "Algeria readmission figures published"  # newest
    france = reply.stories[1]
    assert [t for t, bold in france.summary.segments() if bold] == ["readmission"]
    bad = await h.app.service.news(BOB, "Algeria", since="forever")
    assert not bad.ok


async def test_sources_are_admin_only_and_discovered(h):
    page = '<html><head><link rel="alternate" type="application/rss+xml" title="World" '
    page += f'href="{h.feeds.url("/world.xml")}"></head></html>'
    h.feeds.set_feed("/page.html", page, content_type="text/html")
    h.feeds.set_feed("/world.xml", rss_feed(ITEMS[:1]))
    denied = await h.app.service.sources_add(BOB, h.feeds.url("/page.html"))
    assert not denied.ok
    added = await h.app.service.sources_add(ADMIN, h.feeds.url("/page.html"))
    assert added.ok, added
    assert added.sources[0].url == h.feeds.url("/world.xml")
    again = await h.app.service.sources_add(ADMIN, h.feeds.url("/world.xml"))
    assert not again.ok and "already" in again.title
    listed = await h.app.service.sources_list(BOB)
    assert len(listed.sources) == 2
    removed = await h.app.service.sources_remove(ADMIN, str(added.sources[0].id))
    assert removed.ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("add notaurl", "'notaurl' is not a URL: give the full address with http://"),
        ("add file:///etc/passwd", "only http:// and https:// URLs can be polled, not file:"),
        ("add <javascript:alert(1)>", "only http:// and https:// URLs can be polled"),
        ("add https:///feed", "has no host name"),
    ],
)
async def test_chat_sources_add_refuses_what_cannot_be_polled(h, text, message):
    before = await h.app.store.list_sources()
    reply = await h.app.service.run_text(ADMIN, "/sources", text)
    assert not reply.ok and reply.title == "That source cannot be added"
    assert message in " ".join(map(str, reply.lines))
    assert await h.app.store.list_sources() == before
    assert h.feeds.requests_to("/feed") == []


async def test_an_unknown_kind_is_refused_with_the_known_kinds(h):
    reply = await h.app.service.sources_add(ADMIN, "https://wire.example/atom", kind="atom")
    assert not reply.ok
    assert (
        "unknown source kind 'atom'; known kinds: gdelt (a GDELT news search), html (the links "
        "on a web page), jsonfeed (JSON Feed), rss (RSS, Atom and RDF feeds)"
    ) in reply.lines
    added = await h.app.service.sources_add(ADMIN, "wire.example/atom", kind="rss", name="Wire")
    assert added.ok and added.sources[0].url == "https://wire.example/atom"


async def test_private_addresses_are_refused_when_not_allowed(h):
    reply = await h.app.service.sources_add(ADMIN, "http://10.1.2.3/feed")
    assert not reply.ok and "could not be read" in reply.title


async def test_run_text_dispatches_slack_style_commands(h):
    service = h.app.service
    added = await service.run_text(ALICE, "/watch", "add Algeria <#COTHER|other> digest hourly")
    assert added.ok and added.watches[0].destination == "slack:COTHER"
    assert added.watches[0].mode == "hourly"
    assert (await service.run_text(ALICE, "/watch", "help")).ok
    unknown = await service.run_text(ALICE, "/watch", "frobnicate")
    assert not unknown.ok and any("/watch add" in str(x) for x in unknown.lines)
    news = await service.run_text(ALICE, "/news", "Algeria since 30d")
    assert news.ok and news.stories
    choices = await service.watch_choices(ALICE, "alg")
    assert choices and choices[0][0] == str(added.watches[0].id)
