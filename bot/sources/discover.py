"""Feed autodiscovery: from a site address ("lemonde.fr") to the feeds it offers."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser

from bot.fetch.charset import decode_json
from bot.ports import FetchError
from bot.sources.fields import MAX_TITLE_CHARS, absolute_http_url, clean_text
from bot.sources.html_page import page_base_url
from bot.sources.jsonfeed import is_json_feed, parse_json_feed
from bot.sources.rss import parse_feed

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient
    from bot.fetch.response import Response

__all__ = ["DiscoveredFeed", "discover_feeds"]

_FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "rss",
    "application/rdf+xml": "rss",
    "application/feed+json": "jsonfeed",
    "application/json": "jsonfeed",
}
_XML_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf")
_DISCOVER_ACCEPT = (
    "text/html, application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, */*;q=0.5"
)
MAX_DISCOVERED = 20


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    """A feed found at or linked from a page: its URL, title and source kind."""

    url: str
    title: str
    kind: str


def _with_scheme(url: str) -> str:
    url = url.strip()
    return url if "://" in url else "https://" + url.lstrip("/")


def _looks_like_xml_feed(body: bytes) -> bool:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in _XML_MARKERS)


def _looks_like_json(body: bytes) -> bool:
    return body[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


async def _as_feed(response: Response) -> DiscoveredFeed | None:
    """Return the response itself as a feed when it is one."""
    body = response.body
    if _looks_like_json(body):
        try:
            document = json.loads(decode_json(body, response.charset).text)
        except (ValueError, RecursionError):
            return None
        if not is_json_feed(document):
            return None
        parsed = await parse_json_feed(body, base_url=response.url, headers=response.headers)
        return DiscoveredFeed(response.url, parsed.title, "jsonfeed")
    if _looks_like_xml_feed(body) or response.content_type in _FEED_TYPES:
        try:
            parsed_xml = await parse_feed(body, base_url=response.url, headers=response.headers)
        except FetchError:
            return None
        return DiscoveredFeed(response.url, parsed_xml.title, "rss")
    return None


def _linked_feeds(html: str, url: str) -> list[DiscoveredFeed]:
    tree = LexborHTMLParser(html)
    base = page_base_url(tree, url)
    found: dict[str, DiscoveredFeed] = {}
    for link in tree.css("link[rel][href]"):
        rels = (link.attributes.get("rel") or "").lower().split()
        media = (link.attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or media not in _FEED_TYPES:
            continue
        href = absolute_http_url(base, link.attributes.get("href"))
        if not href or href in found:
            continue
        title = clean_text(link.attributes.get("title"), MAX_TITLE_CHARS)
        found[href] = DiscoveredFeed(href, title, _FEED_TYPES[media])
        if len(found) >= MAX_DISCOVERED:
            break
    return list(found.values())


async def discover_feeds(client: SafeClient, url: str) -> list[DiscoveredFeed]:
    """Return the feed at `url`, or the feeds its page links to (best first); [] when none.

    Accepts a bare host ("lemonde.fr", tried over https, then http). Raises FetchError when the
    address cannot be fetched at all.
    """
    candidates = [_with_scheme(url)]
    if "://" not in url.strip():
        candidates.append("http://" + url.strip().lstrip("/"))
    first_error: FetchError | None = None
    for candidate in candidates:
        try:
            response = await client.get(candidate, accept=_DISCOVER_ACCEPT)
        except FetchError as error:
            first_error = first_error or error
            continue
        feed = await _as_feed(response)
        if feed is not None:
            return [feed]
        return await asyncio.to_thread(_linked_feeds, response.text(), response.url)
    assert first_error is not None
    raise first_error
