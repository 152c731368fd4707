"""RSS 0.9x/1.0/2.0, Atom, RDF and CDF feeds, parsed by feedparser from bytes only.

The bytes are first decoded as RFC 7303 says (byte order mark, Content-Type charset, the XML
declaration, detection when none fits: `bot.fetch.charset`) and handed to feedparser as UTF-8,
with the response headers it uses (Content-Type, Content-Language). Relative links resolve
against `xml:base`, then Content-Location, then the final URL after redirects. A feed with no
items (an empty channel, an empty CDF file) is a healthy, empty source.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from bot.core.item import Item
from bot.fetch.charset import xml_as_utf8
from bot.fetch.headers import document_base, lower_keys, parse_content_type
from bot.ports import FetchError, FetchResult, FetchState
from bot.sources.conditional import FEED_ACCEPT, MAX_ITEMS_PER_FETCH, conditional_get, result_from
from bot.sources.fields import (
    MAX_CONTENT_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    absolute_http_url,
    clean_tags,
    clean_text,
    language_code,
)

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient

__all__ = ["MAX_ENTRIES_PARSED", "ParsedFeed", "RssSource", "parse_feed"]

log = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})  # channel: CDF
_FIRST_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
MAX_ENTRIES_PARSED = 10_000
"""Feeds listing more entries are refused before parsing (parsing cost grows with entries)."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed's title and its items (duplicates removed, capped)."""

    title: str
    items: list[Item]


class _PlainEntry:
    """Read a feedparser entry with plain dict lookups (its own `get` maps aliases, slowly)."""

    __slots__ = ("_data",)

    def __init__(self, data: Any) -> None:
        self._data = data

    def get(self, key: str) -> Any:
        return dict.get(self._data, key) if isinstance(self._data, dict) else None


def _struct_to_datetime(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_content(entry: Any) -> str:
    for part in entry.get("content") or ():
        value = part.get("value") if isinstance(part, dict) else None
        if isinstance(value, str) and value.strip():
            return clean_text(value, MAX_CONTENT_CHARS)
    return ""


def _entry_language(entry: Any, feed_language: str) -> str:
    for detail in (entry.get("content") or [None])[0], entry.get("summary_detail"):
        if isinstance(detail, dict):
            code = language_code(detail.get("language"))
            if code:
                return code
    return feed_language


def _entry_item(raw: Any, *, base_url: str, source: str, feed_language: str) -> Item | None:
    entry = _PlainEntry(raw)
    guid = entry.get("id")
    guid = guid.strip()[:1000] if isinstance(guid, str) else ""
    url = absolute_http_url(base_url, entry.get("link"))
    title = clean_text(entry.get("title"), MAX_TITLE_CHARS)
    summary = clean_text(entry.get("summary"), MAX_SUMMARY_CHARS)
    content = _entry_content(entry)
    if not title:
        title = (summary or content)[:120].strip()
    if not title and not url:
        return None
    published = _struct_to_datetime(entry.get("published_parsed")) or _struct_to_datetime(
        entry.get("updated_parsed")
    )
    tags = clean_tags(t.get("term") or t.get("label") for t in entry.get("tags") or ())
    return Item(
        title=title or url,
        summary=summary,
        content=content,
        url=url,
        source=source,
        author=clean_text(entry.get("author"), 200),
        lang=_entry_language(entry, feed_language),
        published=published,
        tags=tags,
        guid=guid,
    )


def _root_element(document: bytes) -> str:
    """The local name of the document's first element, lower-case ("" when none)."""
    found = _FIRST_ELEMENT.search(document[:4096])
    return found.group(1).decode("ascii").lower() if found else ""


def _feedparser(document: bytes, base: str, headers: Mapping[str, str]) -> Any:
    """Run feedparser on UTF-8 bytes with the response headers it weighs."""
    response_headers = {"content-type": "application/xml; charset=utf-8"}
    language = headers.get("content-language")
    if language:
        response_headers["content-language"] = language
    if b"xml:base" in document:
        # Only then: with a base, feedparser also resolves permalink guids, which would change
        # the identity of items of feeds whose guids are relative. Without xml:base, links are
        # resolved against `base` afterwards, which is the same.
        response_headers["content-location"] = base
    import feedparser  # ~40 ms: loads with the first feed parsed, not with the registry

    return feedparser.parse(
        io.BytesIO(document),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _parse(data: bytes, base_url: str, source_name: str, headers: Mapping[str, str]) -> ParsedFeed:
    if not data.strip():
        raise FetchError(f"{base_url} returned an empty body, not a feed")
    markers = data.count(b"<item") + data.count(b"<entry")
    if markers > MAX_ENTRIES_PARSED:
        raise FetchError(
            f"{base_url} lists {markers} entries, more than the {MAX_ENTRIES_PARSED} "
            "Wirewatch parses; ask the publisher for a shorter feed"
        )
    content_type, charset = parse_content_type(headers.get("content-type"))
    document, _decoded = xml_as_utf8(data, charset, headers.get("content-language"))
    base = document_base(base_url, headers.get("content-location"))
    try:
        parsed = _feedparser(document, base, headers)
    except Exception as exc:  # feedparser on hostile bytes: report, never crash the poller
        raise FetchError(f"{base_url} is not a readable feed ({type(exc).__name__})") from None
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        if content_type in _HTML_TYPES or data.lstrip()[:200].lower().startswith(
            (b"<!doctype html", b"<html")
        ):
            raise FetchError(
                f"{base_url} is a web page, not a feed: add the site as a source to find its "
                "feeds, or use the html source kind"
            )
        if _root_element(document) not in _FEED_ROOTS:
            problem = parsed.get("bozo_exception")
            detail = f" ({str(problem)[:200]})" if problem else ""
            raise FetchError(f"{base_url} is not an RSS, Atom or RDF feed{detail}")
    feed_title = clean_text(feed.get("title"), MAX_TITLE_CHARS)
    source = source_name or feed_title
    feed_language = language_code(feed.get("language"))
    items: list[Item] = []
    identities: set[str] = set()
    for entry in entries:
        item = _entry_item(entry, base_url=base, source=source, feed_language=feed_language)
        if item is None:
            continue
        key = item.identity
        if key in identities:  # duplicate guid (or URL) inside one feed: keep the first
            continue
        identities.add(key)
        items.append(item)
        if len(items) >= MAX_ITEMS_PER_FETCH:
            log.info("%s lists more than %d items; the rest are ignored", base_url, len(items))
            break
    return ParsedFeed(feed_title, items)


async def parse_feed(
    data: bytes,
    *,
    base_url: str,
    source_name: str = "",
    headers: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse feed bytes (in a worker thread); raise FetchError when they are not a feed.

    `base_url` is the final URL after redirects; `headers` the response's (any case).
    """
    return await asyncio.to_thread(_parse, data, base_url, source_name, lower_keys(headers))


class RssSource:
    """RSS, Atom and RDF feeds with conditional GET; a 304 is not parsed."""

    kind: ClassVar[str] = "rss"

    label: ClassVar[str] = "RSS, Atom and RDF feeds"

    async def fetch(self, client: SafeClient, state: FetchState) -> FetchResult:
        """Fetch and parse the feed at `state.url`."""
        response = await conditional_get(client, state, accept=FEED_ACCEPT)
        if response.not_modified:
            return result_from(response, state, [], title=None)
        parsed = await parse_feed(
            response.body, base_url=response.url, source_name=state.name, headers=response.headers
        )
        return result_from(response, state, parsed.items, title=parsed.title or None)
