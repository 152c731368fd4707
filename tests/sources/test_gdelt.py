"""The gdelt source against a loopback fake of the GDELT DOC 2.0 API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.fetch import SafeClient
from bot.ports import FetchError, FetchState
from bot.sources import get_source

ARTICLES = {
    "articles": [
        {
            "url": "https://www.lemonde.fr/afrique/article/2026/03/04/x.html",
            "url_mobile": "",
            "title": "La France et l'Algérie relancent leur coopération",
            "seendate": "20260304T103000Z",
            "socialimage": "",
            "domain": "lemonde.fr",
            "language": "French",
            "sourcecountry": "France",
        },
        {
            "url": "https://news.test/en",
            "title": "English one",
            "seendate": "bad",
            "domain": "news.test",
            "language": "English",
            "sourcecountry": "United Kingdom",
        },
        {"url": "ftp://nope.test/", "title": "Dropped"},
        {"url": "https://news.test/en", "title": "Same URL again"},
    ]
}


class FakeGdelt:
    """Answer like the DOC 2.0 API; record the query strings received."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        self.answer: bytes = json.dumps(ARTICLES).encode()
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.queries.append(dict(request.query))
        return web.Response(body=self.answer, content_type="application/json")


@pytest.fixture
async def gdelt() -> AsyncIterator[FakeGdelt]:
    fake = FakeGdelt()
    app = web.Application()
    app.router.add_get("/api/v2/doc/doc", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake
    await runner.cleanup()


def state(fake: FakeGdelt, **options: object) -> FetchState:
    api = f"http://127.0.0.1:{fake.port}/api/v2/doc/doc"
    return FetchState(url="gdelt:", options={"api_url": api, **options}, name="GDELT Algeria")


async def test_articles_become_items(gdelt: FakeGdelt, client: SafeClient) -> None:
    result = await get_source("gdelt").fetch(client, state(gdelt, query='Algeria "readmission"'))
    first, second = result.items
    assert first.title == "La France et l'Algérie relancent leur coopération"
    assert (first.lang, first.source, first.tags) == ("fr", "lemonde.fr", ("France",))
    assert first.published == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    assert first.identity == "url:https://www.lemonde.fr/afrique/article/2026/03/04/x.html"
    assert (second.lang, second.published) == ("en", None)
    (query,) = gdelt.queries
    assert query["query"] == 'Algeria "readmission"'
    assert (query["mode"], query["format"], query["sort"]) == ("artlist", "json", "datedesc")
    assert (query["maxrecords"], query["timespan"]) == ("75", "1h")


async def test_options_are_passed_and_bounded(gdelt: FakeGdelt, client: SafeClient) -> None:
    await get_source("gdelt").fetch(
        client, state(gdelt, query="x", maxrecords=9999, timespan="15min")
    )
    assert (gdelt.queries[0]["maxrecords"], gdelt.queries[0]["timespan"]) == ("250", "15min")


async def test_empty_answer_means_no_items(gdelt: FakeGdelt, client: SafeClient) -> None:
    gdelt.answer = b"{}"
    result = await get_source("gdelt").fetch(client, state(gdelt, query="nothing matches"))
    assert result.items == []


async def test_gdelt_text_errors_are_reported(gdelt: FakeGdelt, client: SafeClient) -> None:
    gdelt.answer = b"The specified phrase is too short.\nMore text"
    with pytest.raises(FetchError, match="GDELT refused the query: The specified phrase is too"):
        await get_source("gdelt").fetch(client, state(gdelt, query='"a"'))


@pytest.mark.parametrize(
    ("options", "why"),
    [({}, "needs options.query"), ({"query": "x", "maxrecords": "lots"}, "maxrecords")],
)
async def test_bad_options_are_explained(
    gdelt: FakeGdelt, client: SafeClient, options: dict[str, object], why: str
) -> None:
    with pytest.raises(FetchError, match=why):
        await get_source("gdelt").fetch(client, state(gdelt, **options))
    assert gdelt.queries == []
