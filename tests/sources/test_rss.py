"""The rss source over real HTTP: RSS, Atom, RDF, conditional GET, identity, hostile feeds."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.fetch import SafeClient
from bot.ports import FetchError, FetchState
from bot.sources import get_source
from bot.sources.rss import parse_feed
from tests.fakes.feed_server import FeedServer, atom_feed, rss_feed

WHEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
ITEM = {
    "title": "France and Algeria &amp; security",
    "link": "https://news.test/a?utm_source=rss",
    "guid": "urn:news:1",
    "description": "<p>Readmissions <b>resume</b>.</p>",
    "pubDate": WHEN,
    "content": "<div><p>Full <i>story</i> text.</p></div>",
    "author": "desk@news.test (Desk)",
    "categories": ["World", "Africa", "World"],
}


async def fetch(client: SafeClient, url: str, **state: object) -> object:
    return await get_source("rss").fetch(client, FetchState(url=url, **state))  # type: ignore[arg-type]


async def test_rss2_items_become_clean_items(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/world.xml", rss_feed([ITEM], title="World desk", language="fr-FR"))
    result = await fetch(client, fs.url("/world.xml"))
    (item,) = result.items  # type: ignore[attr-defined]
    assert item.title == "France and Algeria & security"
    assert item.url == "https://news.test/a?utm_source=rss"
    assert item.guid == "urn:news:1"
    assert item.summary == "Readmissions resume."
    assert item.content == "Full story text."
    assert item.author == "desk@news.test (Desk)"
    assert item.tags == ("World", "Africa")
    assert item.published == WHEN and item.published.tzinfo is not None
    assert item.lang == "fr"
    assert item.source == "World desk"
    assert result.title == "World desk"  # type: ignore[attr-defined]
    assert result.etag is not None and result.status == 200  # type: ignore[attr-defined]


async def test_source_name_wins_over_feed_title(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/world.xml", rss_feed([ITEM], title="World desk"))
    result = await fetch(client, fs.url("/world.xml"), name="My world")
    assert result.items[0].source == "My world"  # type: ignore[attr-defined]


async def test_atom_entries(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed(
        "/a.atom", atom_feed([ITEM], title="Atom desk"), content_type="application/atom+xml"
    )
    result = await fetch(client, fs.url("/a.atom"))
    (item,) = result.items  # type: ignore[attr-defined]
    assert (item.guid, item.url, item.published) == ("urn:news:1", ITEM["link"], WHEN)
    assert item.summary == "Readmissions resume."
    assert item.content == "Full story text."
    assert item.tags == ("World", "Africa")
    assert item.lang == "en"


RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="http://x.test/"><title>RDF desk</title><link>http://x.test/</link>
  <description>d</description><dc:language>de</dc:language></channel>
 <item rdf:about="http://x.test/1"><title>Eins</title><link>http://x.test/1</link>
  <dc:date>2026-03-04T10:30:00Z</dc:date><description>Erste</description></item>
</rdf:RDF>"""

RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
<link>http://old.test/</link><description>d</description><language>en-us</language>
<item><title>Legacy</title><link>http://old.test/1</link><description>Hi</description></item>
</channel></rss>"""


@pytest.mark.parametrize(("body", "title", "lang"), [(RDF, "Eins", "de"), (RSS091, "Legacy", "en")])
async def test_rdf_and_rss091(
    fs: FeedServer, client: SafeClient, body: bytes, title: str, lang: str
) -> None:
    fs.set_feed("/f", body, content_type="application/xml")
    result = await fetch(client, fs.url("/f"))
    (item,) = result.items  # type: ignore[attr-defined]
    assert (item.title, item.lang) == (title, lang)
    assert item.url.startswith("http://")


async def test_conditional_get_returns_not_modified_without_parsing(
    fs: FeedServer, client: SafeClient
) -> None:
    fs.set_feed("/f.xml", rss_feed([ITEM]))
    first = await fetch(client, fs.url("/f.xml"))
    second = await fetch(client, fs.url("/f.xml"), etag=first.etag)  # type: ignore[attr-defined]
    assert second.not_modified and second.items == [] and second.status == 304  # type: ignore[attr-defined]
    assert second.etag == first.etag  # type: ignore[attr-defined]
    assert fs.requests[1].headers["If-None-Match"] == first.etag  # type: ignore[attr-defined]


async def test_last_modified_is_sent_back(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/f.xml", rss_feed([ITEM]), etag=False, last_modified=WHEN)
    first = await fetch(client, fs.url("/f.xml"))
    second = await fetch(client, fs.url("/f.xml"), last_modified=first.last_modified)  # type: ignore[attr-defined]
    assert first.last_modified == "Wed, 04 Mar 2026 10:30:00 GMT"  # type: ignore[attr-defined]
    assert second.not_modified  # type: ignore[attr-defined]
    assert second.last_modified == first.last_modified  # type: ignore[attr-defined]


async def test_identity_duplicates_and_missing_guids(fs: FeedServer, client: SafeClient) -> None:
    items = [
        {"title": "First", "link": "https://n.test/1", "guid": "g1"},
        {"title": "Second copy", "link": "https://n.test/2", "guid": "g1"},
        {"title": "No guid", "link": "https://n.test/3?utm_medium=x", "guid": None},
        {"title": "Nothing but a title", "guid": None, "pubDate": WHEN},
    ]
    fs.set_feed("/f.xml", rss_feed(items))
    result = await fetch(client, fs.url("/f.xml"))
    titles = [i.title for i in result.items]  # type: ignore[attr-defined]
    assert titles == ["First", "No guid", "Nothing but a title"]
    identities = [i.identity for i in result.items]  # type: ignore[attr-defined]
    assert identities[0] == "guid:g1"
    assert identities[1] == "url:https://n.test/3"
    assert identities[2].startswith("hash:")


async def test_relative_links_are_resolved_and_other_schemes_dropped(
    fs: FeedServer, client: SafeClient
) -> None:
    items = [
        {"title": "Rel", "link": "/story/9", "guid": "a"},
        {"title": "Evil", "link": "javascript:alert(1)", "guid": "b"},
    ]
    fs.set_feed("/feeds/f.xml", rss_feed(items))
    result = await fetch(client, fs.url("/feeds/f.xml"))
    assert [i.url for i in result.items] == [fs.url("/story/9"), ""]  # type: ignore[attr-defined]


async def test_items_are_capped_per_fetch(fs: FeedServer, client: SafeClient) -> None:
    many = [{"title": f"T{n}", "link": f"https://n.test/{n}", "guid": str(n)} for n in range(1200)]
    fs.set_feed("/big.xml", rss_feed(many))
    result = await fetch(client, fs.url("/big.xml"))
    assert len(result.items) == 500  # type: ignore[attr-defined]
    assert result.items[0].guid == "0"  # type: ignore[attr-defined]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>Laughs</title><link>http://l.test/</link><description>x</description>
<item><title>&lol9;</title><link>http://l.test/1</link><description>&lol9;</description></item>
</channel></rss>"""


async def test_billion_laughs_is_not_expanded(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/lol.xml", BILLION_LAUGHS)
    try:
        result = await fetch(client, fs.url("/lol.xml"))
    except FetchError:
        return
    for item in result.items:  # type: ignore[attr-defined]
        assert len(item.title) + len(item.summary) + len(item.content) < 1000
        assert "lollollol" not in item.title + item.summary


async def test_xxe_reads_no_file(fs: FeedServer, client: SafeClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>X&xxe;</title><link>http://x.test/</link>'
        "<description>d</description><item><title>A&xxe;B</title><link>http://x.test/1</link>"
        "<description>&xxe;</description></item></channel></rss>"
    ).encode()
    fs.set_feed("/xxe.xml", xxe)
    try:
        result = await fetch(client, fs.url("/xxe.xml"))
    except FetchError:
        return
    text = repr(result)
    assert "TOP-SECRET" not in text


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"", "application/rss+xml", "empty body"),
        (b"   \n ", "application/rss+xml", "empty body"),
        (b"\x00\xff\xfe garbage \x01", "application/rss+xml", "not an RSS, Atom or RDF feed"),
        (b"<!DOCTYPE html><html><body>Hi</body></html>", "text/html", "web page, not a feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "application/json", "not an RSS"),
        (b"<rss version='2.0'><channel><title>T", "application/rss+xml", None),
    ],
)
async def test_hostile_bodies_raise_only_fetch_error(
    fs: FeedServer, client: SafeClient, body: bytes, content_type: str, why: str | None
) -> None:
    fs.set_feed("/bad", body, content_type=content_type)
    if why is None:  # truncated XML: feedparser may salvage a partial feed; it must not crash
        with contextlib.suppress(FetchError):
            await fetch(client, fs.url("/bad"))
        return
    with pytest.raises(FetchError, match=why):
        await fetch(client, fs.url("/bad"))


async def test_http_error_is_a_fetch_error_with_status(fs: FeedServer, client: SafeClient) -> None:
    fs.set_response("/down", 500, b"oops")
    with pytest.raises(FetchError) as caught:
        await fetch(client, fs.url("/down"))
    assert caught.value.status == 500


def test_feed_dates_are_utc_whatever_the_offset() -> None:
    body = rss_feed([{"title": "T", "link": "http://x.test/", "guid": "g"}]).replace(
        "<guid", "<pubDate>Wed, 04 Mar 2026 12:30:00 +0200</pubDate><guid"
    )
    parsed = asyncio.run(parse_feed(body.encode(), base_url="http://x.test/f"))
    assert parsed.items[0].published == WHEN.replace(hour=10) + timedelta(0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda s: f"<rss version='2.0'><channel>{s}".encode()),
        st.text(max_size=300).map(
            lambda s: f"<feed xmlns='http://www.w3.org/2005/Atom'>{s}".encode()
        ),
    )
)
def test_any_bytes_parse_or_raise_fetch_error(data: bytes) -> None:
    try:
        parsed = asyncio.run(parse_feed(data, base_url="http://x.test/f"))
    except FetchError:
        return
    assert all(item.title for item in parsed.items)


async def test_feeds_with_absurd_entry_counts_are_refused_before_parsing(
    fs: FeedServer, client: SafeClient
) -> None:
    fs.set_feed("/flood.xml", "<rss><channel>" + "<item></item>" * 10_001 + "</channel></rss>")
    with pytest.raises(FetchError, match="lists 10001 entries, more than the 10000"):
        await fetch(client, fs.url("/flood.xml"))
