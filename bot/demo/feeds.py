"""The demo's feed server: the sample outlets on 127.0.0.1, a free port, phase by phase.

    async with DemoFeeds() as demo:
        demo.sources()   # [(name, url), ...]
        demo.advance()   # phase 2: every feed adds its new stories to the old ones

Feeds answer `304 Not Modified` to a matching `If-None-Match`, as real publishers do; every
story also has an article page, and `/` lists the feeds with `<link rel="alternate">`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from aiohttp import web

from bot.demo.catalogue import PHASES, Catalogue, load_catalogue
from bot.demo.render import article_page, feed_document, index_page

__all__ = ["DemoFeeds"]

_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    """True when an If-None-Match header names `etag` (or is `*`)."""
    tags = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in tags or etag in tags


class DemoFeeds:
    """Serve the sample outlets' feeds on a loopback port; `advance()` publishes phase 2."""

    def __init__(
        self,
        *,
        catalogue: Catalogue | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self._clock = clock
        self._phase = PHASES[0]
        self._start: datetime | None = None
        self._runner: web.AppRunner | None = None
        self._bodies: dict[tuple[str, int], tuple[bytes, str]] = {}
        self.port = 0
        self.requests: list[tuple[str, int]] = []

    @property
    def phase(self) -> int:
        """The phase being published: 1 (the baseline) until `advance()`, then 2."""
        return self._phase

    @property
    def base_url(self) -> str:
        """The server's root URL (no trailing slash)."""
        if self._runner is None:
            raise RuntimeError("DemoFeeds is not running: use `async with DemoFeeds() as demo`")
        return f"http://127.0.0.1:{self.port}"

    @property
    def started_at(self) -> datetime:
        """When the server started: stories are dated `minutes_ago` before it."""
        if self._start is None:
            raise RuntimeError("DemoFeeds is not running: use `async with DemoFeeds() as demo`")
        return self._start

    def feed_path(self, outlet: str) -> str:
        """Return the path of `outlet`'s feed."""
        extension = "atom" if self.catalogue.outlet(outlet).format == "atom" else "xml"
        return f"/{outlet}/feed.{extension}"

    def sources(self) -> list[tuple[str, str]]:
        """Return (outlet name, feed URL) for every outlet."""
        return [(o.name, self.base_url + self.feed_path(o.slug)) for o in self.catalogue.outlets]

    def advance(self) -> int:
        """Publish the next phase (phase-2 feeds hold the old stories and the new); return it."""
        later = [p for p in PHASES if p > self._phase]
        if later:
            self._phase = later[0]
        return self._phase

    async def __aenter__(self) -> DemoFeeds:
        self._start = self._clock()
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/{outlet}/feed.{extension}", self._feed)
        app.router.add_get("/{outlet}/{slug}", self._article)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        if server is None or not getattr(server, "sockets", None):
            await self._runner.cleanup()
            raise RuntimeError("the demo feed server did not start listening")
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
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

    def _document(self, outlet: str) -> tuple[bytes, str]:
        """Return the outlet's feed body and ETag for the current phase (rendered once)."""
        key = (outlet, self._phase)
        if key not in self._bodies:
            stories = self.catalogue.stories_of(outlet, self._phase)
            text = feed_document(
                self.catalogue.outlet(outlet), stories, self.base_url, self.started_at
            )
            body = text.encode("utf-8")
            self._bodies[key] = (body, _etag(body))
        return self._bodies[key]

    def _record(self, request: web.Request, status: int) -> None:
        self.requests.append((request.path, status))

    async def _index(self, request: web.Request) -> web.Response:
        outlets = list(self.catalogue.outlets)
        paths = {o.slug: self.feed_path(o.slug) for o in outlets}
        self._record(request, 200)
        return web.Response(
            text=index_page(outlets, paths, self.base_url), content_type="text/html"
        )

    async def _feed(self, request: web.Request) -> web.Response:
        slug = request.match_info["outlet"]
        known = {o.slug for o in self.catalogue.outlets}
        if slug not in known or request.path != self.feed_path(slug):
            self._record(request, 404)
            return web.Response(status=404, text="no such feed")
        body, etag = self._document(slug)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            self._record(request, 304)
            return web.Response(status=304, headers={"ETag": etag})
        self._record(request, 200)
        fmt = self.catalogue.outlet(slug).format
        return web.Response(
            body=body,
            headers={
                "ETag": etag,
                "Content-Type": _CONTENT_TYPES[fmt],
                "Cache-Control": "no-cache",
            },
        )

    async def _article(self, request: web.Request) -> web.Response:
        outlet, slug = request.match_info["outlet"], request.match_info["slug"]
        for story in self.catalogue.stories_of(outlet, self._phase):
            if story.slug == slug:
                page = article_page(self.catalogue.outlet(outlet), story, self.started_at)
                self._record(request, 200)
                return web.Response(text=page, content_type="text/html")
        self._record(request, 404)
        return web.Response(status=404, text="no such article")
