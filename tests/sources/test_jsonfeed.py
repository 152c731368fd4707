"""The jsonfeed source over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.fetch import SafeClient
from bot.ports import FetchError, FetchState
from bot.sources import get_source
from tests.fakes.feed_server import FeedServer

FEED_11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON desk",
    "language": "fr-FR",
    "authors": [{"name": "Feed Author"}],
    "items": [
        {
            "id": "1",
            "url": "/posts/1",
            "title": "Coopération &amp; sécurité",
            "content_html": "<p>Le <b>texte</b>.</p>",
            "summary": "Résumé",
            "date_published": "2026-03-04T12:30:00+02:00",
            "tags": ["Monde", "Afrique"],
            "authors": [{"name": "Alice"}, {"name": "Bob"}],
        },
        {"id": 2, "external_url": "https://elsewhere.test/x", "content_text": "Untitled note"},
        {"id": "1", "url": "https://dup.test/", "title": "Duplicate id"},
        {"id": "3", "url": "javascript:alert(1)"},
        "not an object",
    ],
}
FEED_10 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Old JSON",
    "author": {"name": "Solo"},
    "items": [{"id": "a", "url": "https://j.test/a", "title": "A", "date_modified": "2026-03-04"}],
}


async def fetch(client: SafeClient, url: str, **state: object) -> object:
    source = get_source("jsonfeed")
    return await source.fetch(client, FetchState(url=url, **state))  # type: ignore[arg-type]


async def test_json_feed_11(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/feed.json", json.dumps(FEED_11), content_type="application/feed+json")
    result = await fetch(client, fs.url("/feed.json"))
    first, second = result.items  # type: ignore[attr-defined]
    assert first.title == "Coopération & sécurité"
    assert first.url == fs.url("/posts/1")
    assert first.content == "Le texte."
    assert first.summary == "Résumé"
    assert first.published == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    assert first.tags == ("Monde", "Afrique")
    assert first.author == "Alice, Bob"
    assert (first.lang, first.source, first.guid) == ("fr", "JSON desk", "1")
    assert (second.title, second.url, second.guid) == (
        "Untitled note",
        "https://elsewhere.test/x",
        "2",
    )
    assert second.author == "Feed Author"


async def test_json_feed_10_and_conditional_get(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/feed.json", json.dumps(FEED_10), content_type="application/json")
    result = await fetch(client, fs.url("/feed.json"), name="Mine")
    (item,) = result.items  # type: ignore[attr-defined]
    assert (item.author, item.source) == ("Solo", "Mine")
    assert item.published == datetime(2026, 3, 4, tzinfo=UTC)
    again = await fetch(client, fs.url("/feed.json"), etag=result.etag)  # type: ignore[attr-defined]
    assert again.not_modified and again.items == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "empty body"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "1.1", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 5}', 'without an "items"'),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
async def test_hostile_json_raises_fetch_error(
    fs: FeedServer, client: SafeClient, body: bytes, why: str
) -> None:
    fs.set_feed("/feed.json", body, content_type="application/feed+json")
    with pytest.raises(FetchError, match=why):
        await fetch(client, fs.url("/feed.json"))
