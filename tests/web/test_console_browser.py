"""The console in a real headless Chromium: sign-in, a watch from syntax error to pause, a
source, CSRF, Sign in with Slack and Discord against local fakes, and the docs' screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from bot.core.item import Item
from bot.store import NewDelivery
from tests.fakes.feed_server import FeedServer
from tests.fakes.oauth_providers import FakeOAuth
from tests.web.browser import LoopThread, chromium, screenshot, wait_for_text
from tests.web.console import ADMIN_TOKEN, Console, oauth_config, open_console
from tests.web.test_console_http import rss

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


def _sign_in_with_token(driver: WebDriver, base: str) -> None:
    driver.get(f"{base}/")
    assert driver.current_url == f"{base}/signin"  # no session: sent to sign in
    driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for_text(driver, "h1", "Dashboard")


def _seed_archive(loop: LoopThread, console: Console) -> None:
    async def seed() -> None:
        store = console.app.store
        source = await store.add_source("Maghreb Wire", "https://wire.example/rss")
        async with store.transaction() as tx:
            await tx.add_new_items(
                source.id,
                [
                    Item(
                        title="France and Algeria resume readmission talks",
                        summary="Paris and Algiers agreed to resume cooperation, including "
                        "the readmission of nationals.",
                        url="https://wire.example/1",
                        source="Maghreb Wire",
                    )
                ],
                now=console.clock() - timedelta(hours=3),
            )

    loop.run(seed())


def test_sign_in_add_a_watch_fix_it_preview_pause_and_add_a_source(
    loop_thread: LoopThread, browser: WebDriver, tmp_path: Path
) -> None:
    console = loop_thread.enter(open_console(tmp_path))
    feeds = loop_thread.enter(FeedServer())
    feeds.set_feed("/world.xml", rss(("A story", "https://x.example/1")))
    _seed_archive(loop_thread, console)
    base = console.url
    _sign_in_with_token(browser, base)

    browser.find_element(By.LINK_TEXT, "Add a watch").click()
    rule = browser.find_element(By.ID, "query")
    rule.send_keys("Algeria AND (readmission")
    live = wait_for_text(browser, "#rule-check", "syntax error")  # live, before submitting
    assert "this ( is never closed" in live
    browser.find_element(By.CSS_SELECTOR, "#add-watch button[type=submit]").click()
    shown = wait_for_text(browser, "#rule-check pre.caret", "^")
    assert shown.splitlines()[0] == "Algeria AND (readmission"
    assert shown.splitlines()[1].index("^") == len("Algeria AND ")
    assert loop_thread.run(console.app.store.list_watches()) == []

    rule = browser.find_element(By.ID, "query")
    rule.clear()
    rule.send_keys("Algeria AND readmission")
    preview = wait_for_text(browser, "#rule-check", "It would have matched 1 item")
    assert "France and Algeria resume readmission talks" in preview
    marks = browser.find_elements(By.CSS_SELECTOR, "#rule-check mark")
    assert "readmission" in {m.text for m in marks}
    browser.find_element(By.CSS_SELECTOR, "#add-watch button[type=submit]").click()
    wait_for_text(browser, "h1", "Watch #1")
    wait_for_text(browser, "#preview", "It would have matched 1 item")  # loaded by htmx

    browser.find_element(By.CSS_SELECTOR, "form[action='/watches/1/pause'] button").click()
    wait_for_text(browser, "#watch-status", "paused")
    (watch,) = loop_thread.run(console.app.store.list_watches())
    assert watch.paused and watch.paused_reason == "paused by cli:web-admin"

    browser.find_element(By.LINK_TEXT, "Sources").click()
    browser.find_element(By.ID, "url").send_keys(feeds.url("/world.xml"))
    browser.find_element(By.CSS_SELECTOR, "#add-source button[type=submit]").click()
    added = wait_for_text(browser, ".reply.ok", "Source #2 added")
    assert "Test wire" in added
    urls = [s.url for s in loop_thread.run(console.app.store.list_sources())]
    assert feeds.url("/world.xml") in urls


def test_a_forged_form_without_the_csrf_token_is_refused(
    loop_thread: LoopThread, browser: WebDriver, tmp_path: Path
) -> None:
    console = loop_thread.enter(open_console(tmp_path))
    _sign_in_with_token(browser, console.url)
    # A page elsewhere would post this form with the victim's cookie but cannot know the token.
    browser.execute_script(
        """
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/watches';
        const rule = document.createElement('input');
        rule.name = 'query'; rule.value = 'forged rule';
        form.appendChild(rule); document.body.appendChild(form); form.submit();
        """
    )
    wait_for_text(browser, "body", "did not come from this console")
    assert loop_thread.run(console.app.store.list_watches()) == []


def _oauth_console(loop: LoopThread, tmp_path: Path, fake: FakeOAuth) -> Console:
    return loop.enter(open_console(tmp_path, **oauth_config(fake)))


@pytest.mark.parametrize(
    ("button", "shown", "owner"),
    [
        ("Sign in with Slack", "Nadia Web (slack)", "slack:U0WEBUSER1"),
        ("Sign in with Discord", "Nadia D. (discord)", "discord:412345678901234567"),
    ],
)
def test_oauth_sign_in_against_local_fakes(
    loop_thread: LoopThread,
    browser: WebDriver,
    tmp_path: Path,
    button: str,
    shown: str,
    owner: str,
) -> None:
    fake = FakeOAuth()
    loop_thread.run(fake.start())
    try:
        console = _oauth_console(loop_thread, tmp_path, fake)
        browser.get(f"{console.url}/signin")
        browser.find_element(By.LINK_TEXT, button).click()
        wait_for_text(browser, "h1", "Dashboard")
        assert browser.find_element(By.CSS_SELECTOR, ".who").text == shown

        browser.get(f"{console.url}/watches/new")
        browser.find_element(By.ID, "query").send_keys("Algeria AND visa")
        browser.find_element(By.CSS_SELECTOR, "#add-watch button[type=submit]").click()
        wait_for_text(browser, "h1", "Watch #1")
        (watch,) = loop_thread.run(console.app.store.list_watches())
        platform, user = owner.split(":")
        assert (watch.owner, watch.destination) == (owner, f"{platform}:@{user}")

        browser.get(f"{console.url}/sources")  # not an admin on that platform
        assert "Only Wirewatch admins" in browser.find_element(By.TAG_NAME, "main").text
    finally:
        loop_thread.run(fake.stop())


def test_screenshots_of_the_dashboard_and_a_watch_page(
    loop_thread: LoopThread, browser: WebDriver, tmp_path: Path
) -> None:
    console = loop_thread.enter(open_console(tmp_path))
    loop_thread.run(_demo_data(console))
    _sign_in_with_token(browser, console.url)
    dashboard = screenshot(browser, "console-dashboard.png", tmp_path)
    browser.get(f"{console.url}/watches/1")
    wait_for_text(browser, "#preview", "It would have matched")
    watch_page = screenshot(browser, "console-watch.png", tmp_path)
    for path in (dashboard, watch_page):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 20_000  # a rendered page, not a blank one


async def _demo_data(console: Console) -> None:
    """A small newsroom: sources in several states, watches with a history, alerts."""
    store = console.app.store
    now = console.clock()
    names = [
        ("Maghreb Wire", "https://wire.example/maghreb.xml"),
        ("Le Monde Afrique", "https://lemonde.example/afrique/rss.xml"),
        ("Al Jazeera English", "https://aljazeera.example/xml/rss/all.xml"),
        ("Reuters World", "https://reuters.example/world.xml"),
        ("Sahel Observer", "https://sahel.example/feed"),
    ]
    sources = [await store.add_source(n, u) for n, u in names]
    for i, source in enumerate(sources):
        ok = i != 4
        await store.record_poll(
            source.id,
            now=now - timedelta(minutes=3 + i),
            ok=ok,
            status="200 OK" if ok else "HTTP 503",
            error="" if ok else "the server answered 503 Service Unavailable",
            next_poll_at=now + timedelta(minutes=2 + i * 3 if ok else 20),
            next_poll_reason="interval 5m" if ok else "back-off after 3 failures",
        )
    rules = [
        ('Algeria AND (readmission OR "return agreement")', "slack:C0MAGHREB"),
        ("Sahel NEAR/5 (coup OR junta)", "discord:123456789012345678"),
        ("title:(Tunisia OR Tunisie) -football", "slack:C0MAGHREB"),
        ("Morocco AND phosphate*", "webhook:https://hooks.example/desk"),
    ]
    watches = [await store.add_watch(q, d, owner="slack:U0EDITOR") for q, d in rules]
    headlines = [  # per watch, stories its rule matches
        ["France and Algeria resume readmission talks", "Algeria signs a return agreement"],
        ["Sahel: the junta in Niger extends the transition", "Coup rumours in the Sahel"],
        ["Tunisia's parliament debates the budget", "Tunisie : le budget adopté"],
        ["Morocco's phosphate exports rise", "Morocco bets on phosphates"],
    ]
    pattern = [0, 1, 0, 2, 1, 3, 0, 1, 2, 0, 1, 4, 2, 3]
    n = 0
    for day, count in enumerate(pattern):
        when = now - timedelta(days=13 - day, hours=1)
        for _ in range(count):
            watch = watches[n % 4]
            title = headlines[n % 4][(n // 4) % 2]
            async with store.transaction() as tx:
                (item,) = await tx.add_new_items(
                    sources[n % 4].id,
                    [
                        Item(
                            title=title,
                            summary=f"{title}. Officials said talks would continue this week.",
                            url=f"https://wire.example/story/{n}",
                            source=names[n % 4][0],
                        )
                    ],
                    now=when,
                )
                await tx.enqueue([NewDelivery(watch.id, item.id)], now=when)
            n += 1
    for delivery in (await store.list_deliveries())[:-2]:
        await store.mark_sent(delivery.id, now=now, external_ref="posted")
