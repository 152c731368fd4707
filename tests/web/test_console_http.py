"""The console over real HTTP: health routes, sign-in, sessions, CSRF, pages and permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.item import Item
from bot.settings import WebSettings
from bot.store import NewDelivery
from tests.fakes.feed_server import FeedServer
from tests.web.console import ADMIN_TOKEN, Console, csrf_of, open_console, sign_in


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    async with open_console(tmp_path) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # Browsers keep cookies for 127.0.0.1; aiohttp's jar does so only when told "unsafe".
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def rss(*entries: tuple[str, str]) -> str:
    """An RSS 2.0 document with these (title, link) items."""
    items = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid></item>" for t, u in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test wire</title>{items}</channel></rss>'


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    headers = {"Accept": "text/html,application/xhtml+xml"}  # as a browser navigates
    async with http.get(url, allow_redirects=False, headers=headers) as answer:
        return answer.status, answer.headers.get("Location", ""), await answer.text()


async def _post(http: aiohttp.ClientSession, url: str, data: dict[str, str]) -> tuple[int, str]:
    async with http.post(url, data=data) as answer:
        return answer.status, await answer.text()


def test_the_server_binds_to_loopback_unless_told_otherwise() -> None:
    assert (WebSettings().host, WebSettings().port, WebSettings().enabled) == (
        "127.0.0.1",
        8080,
        False,
    )


async def test_health_and_readiness_need_no_session(console: Console, http) -> None:
    assert await _get(http, f"{console.url}/healthz") == (200, "", "ok\n")
    status, _, body = await _get(http, f"{console.url}/readyz")
    assert status == 200
    assert body.splitlines() == ["ready", "database: ok", "scheduler: ok"]

    console.scheduler_running[0] = False
    status, _, body = await _get(http, f"{console.url}/readyz")
    assert status == 503
    assert "scheduler: not running" in body.splitlines()


async def test_readiness_reports_an_unreachable_database(console: Console, http) -> None:
    store = console.app.store
    await store._engine.dispose()
    store._engine = create_async_engine(store._engine.url.set(database="/nonexistent-dir/x.db"))
    status, _, body = await _get(http, f"{console.url}/readyz")
    assert status == 503
    assert body.splitlines()[0] == "not ready"
    assert body.splitlines()[1].startswith("database: OperationalError")


@pytest.mark.parametrize(
    "path", ["/", "/sources", "/sources/1", "/test", "/watches/new", "/watches/1"]
)
async def test_every_page_without_a_session_redirects_to_sign_in(
    console: Console, http, path: str
) -> None:
    status, location, _ = await _get(http, console.url + path)
    assert (status, location) == (303, "/signin")
    status, _, page = await _get(http, f"{console.url}/signin")
    assert status == 200 and 'name="token"' in page


async def test_after_sign_in_the_page_asked_for_is_shown(console: Console, http) -> None:
    await _get(http, f"{console.url}/sources")
    # the browser's next requests for images must not take the place of the page
    for path in ("/favicon.ico", "/watches/new"):
        async with http.get(f"{console.url}{path}", headers={"Accept": "image/avif,*/*"}):
            pass
    page = await sign_in(http, console.url)
    assert "<h1>Sources" in page


async def test_static_files_are_public_and_scripts_come_only_from_here(
    console: Console, http
) -> None:
    status, _, script = await _get(http, f"{console.url}/static/htmx.min.js")
    assert status == 200 and "htmx" in script[:100]
    async with http.get(f"{console.url}/signin") as answer:
        policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


async def test_the_session_cookie_is_signed_http_only_and_same_site_lax(
    console: Console, http
) -> None:
    async with http.get(f"{console.url}/signin") as answer:
        cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    await sign_in(http, console.url)
    (morsel,) = [m for m in http.cookie_jar if m.key == "wirewatch_session"]
    forged = morsel.value[:-3] + ("AAA" if not morsel.value.endswith("AAA") else "BBB")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        other.cookie_jar.update_cookies({"wirewatch_session": forged})
        status, location, _ = await _get(other, f"{console.url}/")
    assert (status, location) == (303, "/signin")


async def test_cookies_are_secure_behind_https(tmp_path: Path, http) -> None:
    https = {"public_url": "https://news.example.org"}
    async with open_console(tmp_path, web=https) as c, http.get(f"{c.url}/signin") as answer:
        assert "Secure" in answer.headers["Set-Cookie"]


async def test_a_session_ends_after_its_lifetime(console: Console, http) -> None:
    await sign_in(http, console.url)
    assert (await _get(http, f"{console.url}/"))[0] == 200
    console.wall.now += 12 * 3600 + 1
    assert (await _get(http, f"{console.url}/"))[:2] == (303, "/signin")


async def test_a_wrong_token_is_refused_and_guessing_is_slowed(console: Console, http) -> None:
    for _ in range(5):
        async with http.get(f"{console.url}/signin") as answer:
            csrf = csrf_of(await answer.text())
        status, page = await _post(http, f"{console.url}/signin", {"csrf": csrf, "token": "nope"})
        assert status == 401 and "That token is not right" in page
    status, page = await _post(http, f"{console.url}/signin", {"csrf": csrf, "token": ADMIN_TOKEN})
    assert status == 429 and "Too many wrong tokens" in page
    console.wall.now += 301
    assert "<h1>Dashboard</h1>" in await sign_in(http, console.url)


async def test_a_form_without_the_csrf_token_is_refused(console: Console, http) -> None:
    page = await sign_in(http, console.url)
    for data in ({"query": "Algeria"}, {"query": "Algeria", "csrf": "forged"}):
        status, body = await _post(http, f"{console.url}/watches", data)
        assert status == 403 and "did not come from this console" in body
    assert await console.app.store.list_watches() == []
    status, _ = await _post(
        http, f"{console.url}/watches", {"query": "Algeria", "csrf": csrf_of(page)}
    )
    assert status == 200
    assert [w.query for w in await console.app.store.list_watches()] == ["Algeria"]


async def test_sign_out_ends_the_session(console: Console, http) -> None:
    page = await sign_in(http, console.url)
    await _post(http, f"{console.url}/signout", {"csrf": csrf_of(page)})
    assert (await _get(http, f"{console.url}/"))[:2] == (303, "/signin")


async def test_adding_a_watch_shows_the_caret_then_the_watch_page(console: Console, http) -> None:
    csrf = csrf_of(await sign_in(http, console.url))
    status, page = await _post(
        http, f"{console.url}/watches", {"csrf": csrf, "query": "Algeria AND (readmission"}
    )
    assert status == 400
    assert "That rule has a syntax error" in page
    assert "Algeria AND (readmission\n            ^" in page
    assert "Algeria AND (readmission</textarea>" in page  # the rule is kept to be fixed

    status, page = await _post(
        http, f"{console.url}/watches", {"csrf": csrf, "query": "Algeria AND readmission"}
    )
    (watch,) = await console.app.store.list_watches()
    assert status == 200 and f"<h1>Watch #{watch.id}</h1>" in page
    assert f"Watch #{watch.id} added" in page
    assert (watch.destination, watch.owner) == ("console", "cli:web-admin")


async def test_live_check_and_preview_fragments(console: Console, http) -> None:
    csrf = csrf_of(await sign_in(http, console.url))
    store = console.app.store
    source = await store.add_source("Wire", "https://wire.example/rss")
    async with store.transaction() as tx:
        await tx.add_new_items(
            source.id,
            [Item(title="France and Algeria agree on readmission", url="https://w.example/1")],
            now=console.clock(),
        )
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    async with http.post(
        f"{console.url}/rules/check", data={"query": "algeria AND ("}, headers=headers
    ) as answer:
        fragment = await answer.text()
    assert "syntax error" in fragment and "<html" not in fragment
    async with http.post(
        f"{console.url}/rules/check", data={"query": "algeria readmission"}, headers=headers
    ) as answer:
        fragment = await answer.text()
    assert "It would have matched 1 item" in fragment
    assert "France and <mark>Algeria</mark> agree on <mark>readmission</mark>" in fragment


async def test_edit_pause_resume_and_remove_a_watch(console: Console, http) -> None:
    csrf = csrf_of(await sign_in(http, console.url))
    watch = await console.app.store.add_watch("Algeria", "console", owner="cli:web-admin")
    base = f"{console.url}/watches/{watch.id}"

    status, page = await _post(http, f"{base}/edit", {"csrf": csrf, "query": "Algeria OR"})
    assert status == 400 and "syntax error" in page and "Algeria OR</textarea>" in page
    status, page = await _post(http, f"{base}/edit", {"csrf": csrf, "query": "Algeria  OR Tunisia"})
    assert status == 200 and f"Watch #{watch.id} changed" in page
    assert (await console.app.store.get_watch(watch.id)).query == "Algeria OR Tunisia"

    status, page = await _post(http, f"{base}/pause", {"csrf": csrf, "for": "2h"})
    paused = await console.app.store.get_watch(watch.id)
    assert paused.paused and paused.paused_until == console.clock() + timedelta(hours=2)
    assert f"Watch #{watch.id} paused until" in page
    await _post(http, f"{base}/resume", {"csrf": csrf})
    assert not (await console.app.store.get_watch(watch.id)).paused
    status, page = await _post(http, f"{base}/remove", {"csrf": csrf})
    assert f"Watch #{watch.id} removed" in page and "<h1>Dashboard</h1>" in page
    assert await console.app.store.get_watch(watch.id) is None


async def test_a_config_watch_cannot_be_removed_or_edited_here(tmp_path: Path, http) -> None:
    async with open_console(tmp_path, watches=[{"query": "Algeria", "to": "console"}]) as c:
        (watch,) = await c.app.store.list_watches()
        csrf = csrf_of(await sign_in(http, c.url))
        _, page = await _post(http, f"{c.url}/watches/{watch.id}/remove", {"csrf": csrf})
        assert f"Watch #{watch.id} is defined in the config file" in page
        status, page = await _post(
            http, f"{c.url}/watches/{watch.id}/edit", {"csrf": csrf, "query": "Tunisia"}
        )
        assert status == 400 and "is defined in the config file" in page
        assert (await c.app.store.get_watch(watch.id)).query == "Algeria"


async def test_dashboard_shows_sources_sparklines_and_latest_alerts(console: Console, http) -> None:
    store = console.app.store
    now = console.clock()
    failing = await store.add_source("Broken Wire", "https://broken.example/rss")
    await store.record_poll(
        failing.id,
        now=now,
        ok=False,
        status="HTTP 503",
        error="the server answered 503",
        next_poll_at=now + timedelta(minutes=10),
        next_poll_reason="back-off after 1 failure",
    )
    watch = await store.add_watch("Algeria", "slack:C0DESK", owner="slack:U1")
    async with store.transaction() as tx:
        items = await tx.add_new_items(
            failing.id,
            [Item(title=f"Algeria story {n}", url=f"https://w.example/{n}") for n in range(3)],
            now=now,
        )
        await tx.enqueue([NewDelivery(watch.id, a.id) for a in items], now=now)

    await sign_in(http, console.url)
    _, _, page = await _get(http, f"{console.url}/")

    assert "failing (1×): the server answered 503" in page
    assert "back-off after 1 failure" in page
    assert 'aria-label="3 matches from' in page
    assert "Algeria story 2" in page and "slack:C0DESK" in page


async def test_sources_add_pause_resume_and_history(console: Console, http) -> None:
    async with FeedServer() as feeds:
        feeds.set_feed("/world.xml", rss(("A story", "https://x.example/1")))
        csrf = csrf_of(await sign_in(http, console.url))
        status, page = await _post(
            http, f"{console.url}/sources", {"csrf": csrf, "url": feeds.url("/world.xml")}
        )
        (source,) = await console.app.store.list_sources()
        assert status == 200 and f"Source #{source.id} added" in page
        status, page = await _post(http, f"{console.url}/sources", {"csrf": csrf, "url": "ftp://x"})
        assert status == 400 and "That source cannot be added" in page

        _, page = await _post(http, f"{console.url}/sources/{source.id}/pause", {"csrf": csrf})
        assert f"Source #{source.id} paused" in page
        assert not (await console.app.store.get_source(source.id)).enabled
        await _post(http, f"{console.url}/sources/{source.id}/resume", {"csrf": csrf})
        assert (await console.app.store.get_source(source.id)).enabled

        now = console.clock()
        await console.app.store.record_poll(
            source.id,
            now=now,
            ok=False,
            status="HTTP 500",
            error="server error",
            next_poll_at=now,
        )
        _, _, page = await _get(http, f"{console.url}/sources/{source.id}")
        assert (
            "HTTP 500: server error" in page and 'aria-label="1 polls in 7 days, 1 failed"' in page
        )


async def test_rule_tester_on_text_and_on_a_feed(console: Console, http) -> None:
    async with FeedServer() as feeds:
        feeds.set_feed(
            "/news.xml",
            rss(
                ("Algeria and France on readmission", "https://x.example/1"),
                ("Weather", "https://x.example/2"),
            ),
        )
        csrf = csrf_of(await sign_in(http, console.url))
        _, page = await _post(
            http,
            f"{console.url}/test",
            {"csrf": csrf, "query": "readmission", "text": "Talks on readmissions resumed."},
        )
        assert "It matches" in page and "Talks on <mark>readmissions</mark> resumed." in page
        _, page = await _post(
            http,
            f"{console.url}/test",
            {"csrf": csrf, "query": "readmission", "url": feeds.url("/news.xml")},
        )
        assert "1 of 2 items match" in page and "No match: Weather" in page
        status, page = await _post(
            http, f"{console.url}/test", {"csrf": csrf, "query": "a", "url": "http://10.1.2.3/"}
        )
        assert status == 400 and "That URL could not be read" in page


async def test_a_watch_preview_speaks_html_with_matched_words_marked_in_titles(
    console: Console, http
) -> None:
    await sign_in(http, console.url)
    store = console.app.store
    watch = await store.add_watch("Algeria AND readmission", "console", owner="cli:web-admin")
    source = await store.add_source("Wire", "https://wire.example/rss")
    async with store.transaction() as tx:
        await tx.add_new_items(
            source.id,
            [
                Item(
                    title="Algeria signs a readmission deal",
                    url="https://w.example/1",
                    content="The readmission deal with Algeria was signed on Monday.",
                )
            ],
            now=console.clock(),
        )
    _, _, page = await _get(http, f"{console.url}/watches/{watch.id}/preview")
    assert "Rule: <code>algeria AND readmission</code>" in page
    assert '"><mark>Algeria</mark> signs a <mark>readmission</mark> deal</a>' in page
    assert "`" not in page


async def test_replies_name_the_consoles_pages_not_slash_commands(tmp_path: Path, http) -> None:
    async with open_console(tmp_path, watches=[{"query": "Algeria", "to": "console"}]) as c:
        (watch,) = await c.app.store.list_watches()
        csrf = csrf_of(await sign_in(http, c.url))
        _, page = await _post(http, f"{c.url}/watches/{watch.id}/remove", {"csrf": csrf})
        assert f"To silence it meanwhile: the Pause button on watch #{watch.id}&#39;s page" in page
        assert "/watch pause" not in page and "`" not in page
