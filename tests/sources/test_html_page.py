"""The html source: links under a CSS selector become items."""

from __future__ import annotations

import pytest

from bot.fetch import SafeClient
from bot.ports import FetchError, FetchState
from bot.sources import get_source
from tests.fakes.feed_server import FeedServer

PAGE = """<!doctype html><html><head><title>Ministry news</title></head><body>
<nav><a href="/about">About</a></nav>
<ul class="news">
  <li><a href="/2026/03/readmission.html">Readmission <b>agreement</b> signed</a></li>
  <li><a href="https://other.test/x?utm_source=a">External story</a></li>
  <li><a href="/2026/03/readmission.html#top">Readmission agreement signed</a></li>
  <li><a href="javascript:void(0)">Script</a><a href="/empty"></a></li>
</ul>
<h2><a href="/h2-story">Heading story</a></h2>
</body></html>"""


async def fetch(client: SafeClient, url: str, **options: object) -> object:
    state = FetchState(url=url, options=options)
    return await get_source("html").fetch(client, state)  # type: ignore[arg-type]


async def test_links_under_the_selector(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/news/", PAGE, content_type="text/html; charset=utf-8")
    result = await fetch(client, fs.url("/news/"), selector="ul.news")
    items = result.items  # type: ignore[attr-defined]
    assert [(i.title, i.url) for i in items] == [
        ("Readmission agreement signed", fs.url("/2026/03/readmission.html")),
        ("External story", "https://other.test/x?utm_source=a"),
    ]
    assert items[0].source == "Ministry news"
    assert result.title == "Ministry news"  # type: ignore[attr-defined]


async def test_selector_pointing_at_links(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/news/", PAGE, content_type="text/html")
    result = await fetch(client, fs.url("/news/"), selector="h2 a")
    assert [i.title for i in result.items] == ["Heading story"]  # type: ignore[attr-defined]
    again = await fetch(client, fs.url("/news/"), selector="h2 a")
    assert len(again.items) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "why"), [({}, "needs options.selector"), ({"selector": "ul["}, "not valid")]
)
async def test_bad_selectors_are_explained(
    fs: FeedServer, client: SafeClient, options: dict[str, object], why: str
) -> None:
    fs.set_feed("/news/", PAGE, content_type="text/html")
    with pytest.raises(FetchError, match=why):
        await fetch(client, fs.url("/news/"), **options)


async def test_binary_garbage_yields_no_items(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/bin", bytes(range(256)) * 40, content_type="text/html")
    result = await fetch(client, fs.url("/bin"), selector="a")
    assert result.items == []  # type: ignore[attr-defined]
