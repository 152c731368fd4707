"""Feed autodiscovery over real HTTP."""

from __future__ import annotations

import json

import pytest

from bot.fetch import FetchPolicy, SafeClient
from bot.ports import FetchError
from bot.sources.discover import DiscoveredFeed, discover_feeds
from tests.fakes.feed_server import FeedServer, atom_feed, rss_feed

HOME = """<!doctype html><html><head><title>Le Site</title>
<link rel="alternate" type="application/rss+xml" title="À la une" href="/rss/une.xml">
<link rel="Alternate" type="application/atom+xml" title="International" href="intl.atom">
<link rel="alternate" type="application/feed+json" href="https://json.test/feed.json">
<link rel="alternate" type="text/html" hreflang="en" href="/en/">
<link rel="stylesheet" type="text/css" href="/s.css">
<link rel="alternate" type="application/rss+xml" href="/rss/une.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><a href="/rss/other.xml">RSS</a></body></html>"""


async def test_links_in_the_page_are_offered_in_order(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/section/", HOME, content_type="text/html; charset=utf-8")
    feeds = await discover_feeds(client, fs.url("/section/"))
    assert feeds == [
        DiscoveredFeed(fs.url("/rss/une.xml"), "À la une", "rss"),
        DiscoveredFeed(fs.url("/section/intl.atom"), "International", "rss"),
        DiscoveredFeed("https://json.test/feed.json", "", "jsonfeed"),
    ]


async def test_base_href_is_honoured(fs: FeedServer, client: SafeClient) -> None:
    page = (
        '<html><head><base href="/b/">'
        '<link rel="alternate" type="application/rss+xml" href="f.xml"></head></html>'
    )
    fs.set_feed("/", page, content_type="text/html")
    feeds = await discover_feeds(client, fs.url("/"))
    assert [f.url for f in feeds] == [fs.url("/b/f.xml")]


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "title"),
    [
        (rss_feed([], title="Plain RSS"), "text/xml", "rss", "Plain RSS"),
        (atom_feed([], title="An Atom"), "application/octet-stream", "rss", "An Atom"),
        (
            json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}),
            "application/json",
            "jsonfeed",
            "J",
        ),
    ],
)
async def test_a_feed_url_is_returned_itself(
    fs: FeedServer, client: SafeClient, body: str, content_type: str, kind: str, title: str
) -> None:
    fs.set_feed("/feed", body, content_type=content_type)
    assert await discover_feeds(client, fs.url("/feed")) == [
        DiscoveredFeed(fs.url("/feed"), title, kind)
    ]


async def test_a_bare_host_is_tried_over_https_then_http(
    fs: FeedServer, client: SafeClient
) -> None:
    fs.set_feed("/", HOME, content_type="text/html")
    feeds = await discover_feeds(client, f"127.0.0.1:{fs.port}")
    assert feeds[0].url == fs.url("/rss/une.xml")


async def test_a_page_without_feeds_offers_nothing(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/", "<html><body>No feeds here</body></html>", content_type="text/html")
    assert await discover_feeds(client, fs.url("/")) == []
    fs.set_feed("/j", '{"not": "a feed"}', content_type="application/json")
    assert await discover_feeds(client, fs.url("/j")) == []


async def test_unreachable_sites_raise_fetch_error(fs: FeedServer, client: SafeClient) -> None:
    with pytest.raises(FetchError, match="404"):
        await discover_feeds(client, fs.url("/missing"))
    strict = SafeClient(FetchPolicy())
    try:
        with pytest.raises(FetchError, match="loopback"):
            await discover_feeds(strict, "localhost")
    finally:
        await strict.aclose()
