"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from bot.core.item import Item
from bot.fetch.charset import decode_json
from bot.fetch.headers import document_base, lower_keys, parse_content_type
from bot.ports import FetchError, FetchResult, FetchState
from bot.sources.conditional import MAX_ITEMS_PER_FETCH, conditional_get, result_from
from bot.sources.fields import (
    MAX_CONTENT_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    absolute_http_url,
    clean_tags,
    clean_text,
    language_code,
    parse_iso_datetime,
)
from bot.sources.rss import ParsedFeed

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient

__all__ = ["JSON_FEED_ACCEPT", "JsonFeedSource", "is_json_feed", "parse_json_feed"]

JSON_FEED_ACCEPT = "application/feed+json, application/json;q=0.9, */*;q=0.5"


def is_json_feed(document: object) -> bool:
    """Tell whether a decoded JSON document is a JSON Feed."""
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("version"), str)
        and document["version"].startswith(("https://jsonfeed.org/version/", "http://jsonfeed.org"))
    )


def _author(entry: Mapping[str, Any], feed: Mapping[str, Any]) -> str:
    for holder in (entry, feed):
        authors = holder.get("authors")
        if isinstance(authors, list):
            names = [clean_text(a.get("name"), 100) for a in authors if isinstance(a, Mapping)]
            if any(names):
                return ", ".join(n for n in names if n)[:200]
        author = holder.get("author")
        if isinstance(author, Mapping) and clean_text(author.get("name"), 200):
            return clean_text(author.get("name"), 200)
    return ""


def _item(
    entry: Mapping[str, Any], feed: Mapping[str, Any], base_url: str, source: str
) -> Item | None:
    raw_id = entry.get("id")
    guid = (
        str(raw_id).strip()[:1000]
        if isinstance(raw_id, str | int) and not isinstance(raw_id, bool)
        else ""
    )
    url = absolute_http_url(base_url, entry.get("url")) or absolute_http_url(
        base_url, entry.get("external_url")
    )
    content = clean_text(entry.get("content_html"), MAX_CONTENT_CHARS) or clean_text(
        entry.get("content_text"), MAX_CONTENT_CHARS
    )
    summary = clean_text(entry.get("summary"), MAX_SUMMARY_CHARS)
    title = clean_text(entry.get("title"), MAX_TITLE_CHARS) or (summary or content)[:120].strip()
    if not title and not url:
        return None
    tags = entry.get("tags")
    return Item(
        title=title or url,
        summary=summary,
        content=content,
        url=url,
        source=source,
        author=_author(entry, feed),
        lang=language_code(entry.get("language")) or language_code(feed.get("language")),
        published=parse_iso_datetime(entry.get("date_published"))
        or parse_iso_datetime(entry.get("date_modified")),
        tags=clean_tags(tags) if isinstance(tags, list) else (),
        guid=guid,
    )


def _decode(data: bytes, base_url: str, charset: str | None) -> object:
    try:
        return json.loads(decode_json(data, charset).text)
    except (ValueError, RecursionError):
        raise FetchError(f"{base_url} is not valid JSON, so not a JSON Feed") from None


def _parse(data: bytes, base_url: str, source_name: str, headers: Mapping[str, str]) -> ParsedFeed:
    if not data.strip():
        raise FetchError(f"{base_url} returned an empty body, not a feed")
    document = _decode(data, base_url, parse_content_type(headers.get("content-type"))[1])
    if not is_json_feed(document):
        raise FetchError(
            f'{base_url} is JSON but not a JSON Feed (no "version": "https://jsonfeed.org/...")'
        )
    assert isinstance(document, Mapping)
    entries = document.get("items")
    if not isinstance(entries, list):
        raise FetchError(f'{base_url} is a JSON Feed without an "items" list')
    feed_title = clean_text(document.get("title"), MAX_TITLE_CHARS)
    source = source_name or feed_title
    base = document_base(base_url, headers.get("content-location"))
    items: list[Item] = []
    identities: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        item = _item(entry, document, base, source)
        if item is None or item.identity in identities:
            continue
        identities.add(item.identity)
        items.append(item)
        if len(items) >= MAX_ITEMS_PER_FETCH:
            break
    return ParsedFeed(feed_title, items)


async def parse_json_feed(
    data: bytes,
    *,
    base_url: str,
    source_name: str = "",
    headers: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse JSON Feed bytes; raise FetchError when they are not one.

    `base_url` is the final URL after redirects; relative URLs resolve against the response's
    Content-Location (in `headers`, any case), else against it.
    """
    return await asyncio.to_thread(_parse, data, base_url, source_name, lower_keys(headers))


class JsonFeedSource:
    """JSON Feed 1.0/1.1 with conditional GET."""

    kind: ClassVar[str] = "jsonfeed"

    label: ClassVar[str] = "JSON Feed"

    async def fetch(self, client: SafeClient, state: FetchState) -> FetchResult:
        """Fetch and parse the JSON Feed at `state.url`."""
        response = await conditional_get(client, state, accept=JSON_FEED_ACCEPT)
        if response.not_modified:
            return result_from(response, state, [], title=None)
        parsed = await parse_json_feed(
            response.body, base_url=response.url, source_name=state.name, headers=response.headers
        )
        return result_from(response, state, parsed.items, title=parsed.title or None)
