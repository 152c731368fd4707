"""Feeds shaped like the ones publishers really serve, through the real fetch path on loopback.

Encodings declared only in the header or not at all, bodies labelled gzip that are not,
relative links under xml:base and Content-Location, redirects, feeds with no items.
The files live in tests/data/feeds (see build_encoded.py there for the encoded ones).
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest

from bot.core.query import parse
from bot.fetch import SafeClient
from bot.ports import FetchResult, FetchState
from bot.sources import get_source
from tests.fakes.feed_server import FeedServer

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
RSS = "application/rss+xml"


async def fetch(client: SafeClient, url: str, kind: str = "rss") -> FetchResult:
    return await get_source(kind).fetch(client, FetchState(url=url))


def serve(fs: FeedServer, name: str, content_type: str = RSS, **headers: str) -> str:
    path = "/" + name
    fs.set_feed(path, (FEEDS / name).read_bytes(), content_type=content_type, headers=headers)
    return fs.url(path)


async def test_a_charset_given_only_in_the_header_is_used(
    fs: FeedServer, client: SafeClient
) -> None:
    url = serve(fs, "windows-1251-header-only.xml", f"{RSS}; charset=windows-1251")
    result = await fetch(client, url)
    titles = [item.title for item in result.items]
    assert titles[1] == "В Казани открылся новый мост через Казанку"
    assert result.items[1].summary.startswith("Движение по мосту запустили")
    assert result.title == "Вести Поволжья"
    assert parse("мост AND Казани").matches(result.items[1])


@pytest.mark.parametrize(
    ("name", "title", "lang"),
    [
        ("koi8-r-undeclared.xml", "Архангельский порт закрыли из-за шторма", "ru"),
        ("shift-jis-undeclared.xml", "横浜港で新しい客船ターミナルが開業", ""),
        ("euc-jp-undeclared.xml", "札幌で雪まつりの雪像づくりが始まる", "ja"),
        ("euc-kr-undeclared.xml", "부산항 물동량 사상 최대 기록", "ko"),
        ("gb2312-undeclared.xml", "杭州新地铁线路正式开通运营", "zh"),
        ("big5-undeclared.xml", "台北捷運新線通車 沿線居民歡迎", "zh"),
        ("tis-620-undeclared.xml", "เชียงใหม่เปิดเทศกาลดอกไม้ประจำปี", "th"),
        ("windows-1255-undeclared.xml", "נמל חיפה קולט אוניות משא חדשות", "he"),
    ],
)
async def test_feeds_that_declare_no_encoding_are_detected(
    fs: FeedServer, client: SafeClient, name: str, title: str, lang: str
) -> None:
    result = await fetch(client, serve(fs, name))
    assert len(result.items) == 4
    assert result.items[0].title == title
    assert result.items[0].lang == lang
    assert "\ufffd" not in "".join(i.title + i.summary for i in result.items)


async def test_a_watch_on_a_cyrillic_word_fires_on_an_undeclared_koi8_feed(
    fs: FeedServer, client: SafeClient
) -> None:
    result = await fetch(client, serve(fs, "koi8-r-undeclared.xml"))
    hits = [item.title for item in result.items if parse("школы").matches(item)]
    assert hits == ["Губернатор пообещал новые школы в районах"]


async def test_a_utf8_feed_labelled_latin1_by_the_server_is_read_as_utf8(
    fs: FeedServer, client: SafeClient
) -> None:
    body = (FEEDS / "relative-links.rss").read_text().replace("Council", "Conseil à Évry")
    fs.set_feed("/feed", body.encode(), content_type="text/xml; charset=ISO-8859-1")
    result = await fetch(client, fs.url("/feed"))
    assert result.items[0].title == "Conseil à Évry approves the new cycle lanes"


async def test_a_utf16_feed_with_a_byte_order_mark(fs: FeedServer, client: SafeClient) -> None:
    text = (FEEDS / "relative-links.rss").read_text().replace('encoding="utf-8"', "")
    fs.set_feed("/feed", codecs.BOM_UTF16_LE + text.encode("utf-16-le"), content_type="text/xml")
    result = await fetch(client, fs.url("/feed"))
    assert result.items[1].title == "Library opening hours extended"


async def test_content_language_gives_items_their_language(
    fs: FeedServer, client: SafeClient
) -> None:
    url = serve(fs, "shift-jis-undeclared.xml", RSS, **{"Content-Language": "ja"})
    result = await fetch(client, url)
    assert {item.lang for item in result.items} == {"ja"}


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_feed_labelled_compressed_but_sent_plain_is_read(
    fs: FeedServer, client: SafeClient, coding: str
) -> None:
    url = serve(fs, "relative-links.rss", RSS, **{"Content-Encoding": coding})
    result = await fetch(client, url)
    assert result.items[0].title == "Council approves the new cycle lanes"


async def test_a_really_gzipped_feed_still_works(fs: FeedServer, client: SafeClient) -> None:
    body = gzip.compress((FEEDS / "relative-links.rss").read_bytes())
    fs.set_feed("/feed", body, content_type=RSS, headers={"Content-Encoding": "gzip"})
    assert len((await fetch(client, fs.url("/feed"))).items) == 2


# --- base URL: xml:base, then Content-Location, then the final URL ----------------------------


async def test_relative_links_resolve_against_the_final_url_after_redirects(
    fs: FeedServer, client: SafeClient
) -> None:
    serve(fs, "relative-links.rss")
    fs.set_response("/old/feed", 301, headers={"Location": "/town/relative-links.rss"})
    fs.set_feed(
        "/town/relative-links.rss",
        (FEEDS / "relative-links.rss").read_bytes(),
        content_type=RSS,
    )
    result = await fetch(client, fs.url("/old/feed"))
    assert [i.url for i in result.items] == [
        fs.url("/town/notices/cycle-lanes.html"),
        fs.url("/notices/library-hours.html"),
    ]


async def test_content_location_is_the_base_before_the_request_url(
    fs: FeedServer, client: SafeClient
) -> None:
    url = serve(
        fs, "relative-links.rss", RSS, **{"Content-Location": "https://mirror.test/bulletin/"}
    )
    result = await fetch(client, url)
    assert [i.url for i in result.items] == [
        "https://mirror.test/bulletin/notices/cycle-lanes.html",
        "https://mirror.test/notices/library-hours.html",
    ]


async def test_a_relative_content_location_resolves_against_the_final_url(
    fs: FeedServer, client: SafeClient
) -> None:
    url = serve(fs, "relative-links.rss", RSS, **{"Content-Location": "/archive/2026/feed.xml"})
    result = await fetch(client, url)
    assert result.items[0].url == fs.url("/archive/2026/notices/cycle-lanes.html")


async def test_a_content_location_that_is_not_http_is_ignored(
    fs: FeedServer, client: SafeClient
) -> None:
    url = serve(fs, "relative-links.rss", RSS, **{"Content-Location": "file:///etc/feed.xml"})
    result = await fetch(client, url)
    assert result.items[0].url == fs.url("/notices/cycle-lanes.html")


async def test_xml_base_comes_before_content_location(fs: FeedServer, client: SafeClient) -> None:
    url = serve(
        fs,
        "xml-base.atom",
        "application/atom+xml",
        **{"Content-Location": "https://fieldnotes.test/feeds/atom.xml"},
    )
    result = await fetch(client, url)
    assert [i.url for i in result.items] == [
        "https://fieldnotes.test/journal/2026/06/otters.html",
        "https://archive.fieldnotes.test/old/flood-1953.html",
    ]
    assert [i.guid for i in result.items] == [
        "tag:fieldnotes.test,2026:otters",
        "tag:fieldnotes.test,2026:flood",
    ]


async def test_relative_guids_are_kept_as_written(fs: FeedServer, client: SafeClient) -> None:
    body = (FEEDS / "relative-links.rss").read_text().replace(' isPermaLink="false"', "")
    fs.set_feed("/feed", body.encode(), content_type=RSS)
    result = await fetch(client, fs.url("/feed"))
    assert [i.guid for i in result.items] == ["notice-301", "notice-302"]


async def test_json_feed_urls_resolve_against_content_location(
    fs: FeedServer, client: SafeClient
) -> None:
    document = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Notes", "items": '
        '[{"id": "1", "url": "posts/1.html", "title": "First", "content_text": "Hello."}]}'
    )
    fs.set_feed(
        "/feed.json",
        codecs.BOM_UTF8 + document.encode(),
        content_type="application/feed+json",
        headers={"Content-Location": "https://notes.test/blog/feed.json"},
    )
    result = await fetch(client, fs.url("/feed.json"), "jsonfeed")
    assert result.items[0].url == "https://notes.test/blog/posts/1.html"


# --- feeds with no items ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "title"),
    [
        ("empty-channel.rss", RSS, "Quiet Parish Newsletter"),
        ("empty.cdf", "application/x-cdf", "Harbour Channel"),
    ],
)
async def test_a_feed_with_no_items_is_a_healthy_empty_source(
    fs: FeedServer, client: SafeClient, name: str, content_type: str, title: str
) -> None:
    result = await fetch(client, serve(fs, name, content_type))
    assert result.items == []
    assert result.status == 200
    assert result.title == title


async def test_a_cdf_channel_lists_its_items(fs: FeedServer, client: SafeClient) -> None:
    result = await fetch(client, serve(fs, "channel.cdf", "application/x-cdf"))
    assert [(i.title, i.url) for i in result.items] == [
        ("New ferry timetable from Monday", "http://cdf.test/news/ferry.htm"),
        ("Pier repairs finished early", "http://cdf.test/news/pier.htm"),
    ]


async def test_a_web_page_in_its_meta_charset(fs: FeedServer, client: SafeClient) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Новости</title></head><body><h2><a href='/n/1'>Мост через Казанку открыт</a>"
        "</h2></body></html>"
    )
    fs.set_feed("/news", page.encode("cp1251"), content_type="text/html")
    result = await get_source("html").fetch(
        client, FetchState(url=fs.url("/news"), options={"selector": "h2 a"})
    )
    assert [i.title for i in result.items] == ["Мост через Казанку открыт"]
