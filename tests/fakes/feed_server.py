"""A local aiohttp feed server on 127.0.0.1 for tests, plus RSS and Atom builders.

async with FeedServer() as fs:
    fs.set_feed("/world.xml", rss_feed([{"title": "Hello", "link": "https://x.test/1"}]))
    url = fs.url("/world.xml")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from aiohttp import web

from tests.fakes.loopback import serve_on_loopback

__all__ = ["FeedServer", "RecordedRequest", "atom_feed", "rss_feed"]


class RecordedRequest(NamedTuple):
    """One request the server received (unpacks as `method, path, headers`)."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Route:
    status: int
    body: bytes
    headers: dict[str, str]
    etag: str | None


class FeedServer:
    """Serve feeds and scripted responses on a free loopback port; record every request."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str) -> str:
        """Return the absolute URL of `path` on this server."""
        if not path.startswith("/"):
            path = "/" + path
        return f"http://127.0.0.1:{self.port}{path}"

    def set_feed(
        self,
        path: str,
        body: str | bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: bool = True,
        last_modified: datetime | str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve `body` at `path`; with `etag`, answer 304 to a matching If-None-Match."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type}
        tag = None
        if etag:
            tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            all_headers["ETag"] = tag
        if last_modified is not None:
            if isinstance(last_modified, datetime):
                last_modified = format_datetime(last_modified.astimezone(UTC), usegmt=True)
            all_headers["Last-Modified"] = last_modified
        all_headers.update(headers or {})
        self._routes[path] = _Route(status, data, all_headers, tag)

    def set_response(
        self, path: str, status: int, body: bytes | str = b"", headers: dict[str, str] | None = None
    ) -> None:
        """Serve a raw response at `path` (errors, garbage, redirects)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._routes[path] = _Route(status, data, dict(headers or {}), None)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Return the recorded requests for `path` only."""
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.headers)))
        route = self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if (
            route.etag is not None
            and route.status == 200
            and route.etag in _split_etags(request.headers.get("If-None-Match", ""))
        ):
            return web.Response(status=304, headers={"ETag": route.etag})
        if (
            route.status == 200
            and "Last-Modified" in route.headers
            and request.headers.get("If-Modified-Since") == route.headers["Last-Modified"]
            and "If-None-Match" not in request.headers
        ):
            return web.Response(status=304)
        body = b"" if request.method == "HEAD" else route.body
        return web.Response(status=route.status, body=body, headers=route.headers)


def _split_etags(header: str) -> set[str]:
    return {part.strip() for part in header.split(",") if part.strip()}


def _rfc822(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(item: dict[str, Any], key: str) -> str:
    return escape(str(item.get(key) or ""))


def rss_feed(items: list[dict[str, Any]], title: str = "Test feed", language: str = "en") -> str:
    """Build an RSS 2.0 document; item keys: title, link, guid (None omits), description,
    pubDate (datetime), content, author, categories."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        "<link>http://feeds.test/</link>",
        "<description>Feed for tests</description>",
        f"<language>{escape(language)}</language>",
    ]
    for item in items:
        parts.append("<item>")
        if "title" in item:
            parts.append(f"<title>{_text(item, 'title')}</title>")
        if item.get("link"):
            parts.append(f"<link>{_text(item, 'link')}</link>")
        if item.get("guid") is not None:
            link_like = str(item["guid"]).startswith(("http://", "https://"))
            perma = "true" if link_like else "false"
            parts.append(f'<guid isPermaLink="{perma}">{_text(item, "guid")}</guid>')
        if item.get("description") is not None:
            parts.append(f"<description>{_text(item, 'description')}</description>")
        if item.get("pubDate") is not None:
            parts.append(f"<pubDate>{_rfc822(item['pubDate'])}</pubDate>")
        if item.get("content"):
            content = str(item["content"]).replace("]]>", "]]]]><![CDATA[>")
            parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
        if item.get("author"):
            parts.append(f"<author>{_text(item, 'author')}</author>")
        for category in item.get("categories") or ():
            parts.append(f"<category>{escape(str(category))}</category>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return "\n".join(parts)


def atom_feed(items: list[dict[str, Any]], title: str = "Test feed", language: str = "en") -> str:
    """Build an Atom 1.0 document from the same item dicts as `rss_feed`."""
    now = _rfc3339(datetime.now(UTC))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{escape(language)}">',
        f"<title>{escape(title)}</title>",
        "<id>urn:wirewatch:test-feed</id>",
        f"<updated>{now}</updated>",
        '<link href="http://feeds.test/"/>',
    ]
    for item in items:
        parts.append("<entry>")
        parts.append(f"<title>{_text(item, 'title')}</title>")
        if item.get("link"):
            parts.append(f'<link rel="alternate" href="{_text(item, "link")}"/>')
        if item.get("guid") is not None:
            parts.append(f"<id>{_text(item, 'guid')}</id>")
        if item.get("pubDate") is not None:
            stamp = _rfc3339(item["pubDate"])
            parts.append(f"<published>{stamp}</published><updated>{stamp}</updated>")
        if item.get("description") is not None:
            parts.append(f'<summary type="html">{_text(item, "description")}</summary>')
        if item.get("content"):
            parts.append(f'<content type="html">{_text(item, "content")}</content>')
        if item.get("author"):
            parts.append(f"<author><name>{_text(item, 'author')}</name></author>")
        for category in item.get("categories") or ():
            parts.append(f'<category term="{escape(str(category), {chr(34): "&quot;"})}"/>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts)
