"""Article full text through the safe client and trafilatura."""

from __future__ import annotations

import pytest

from bot.fetch import FetchPolicy, SafeClient
from bot.ports import FetchError
from bot.sources.article import fetch_article_text
from tests.fakes.feed_server import FeedServer

PARAGRAPH = (
    "Paris and Algiers agreed on Tuesday to resume their security cooperation, including the "
    "readmission of nationals, after months of diplomatic tension between the two capitals. "
)
ARTICLE = f"""<!doctype html><html><head><title>Story</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>France and Algeria resume cooperation</h1>
<p>{PARAGRAPH * 3}</p><p>{PARAGRAPH * 2}</p></article>
<footer>Copyright footer text</footer></body></html>"""


async def test_main_text_is_extracted(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/story", ARTICLE, content_type="text/html; charset=utf-8")
    text = await fetch_article_text(client, fs.url("/story"))
    assert text is not None
    assert "resume their security cooperation" in text
    assert "Copyright footer" not in text


async def test_non_html_or_empty_pages_give_none(fs: FeedServer, client: SafeClient) -> None:
    fs.set_feed("/pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    fs.set_feed("/empty", "<html><body></body></html>", content_type="text/html")
    assert await fetch_article_text(client, fs.url("/pdf")) is None
    assert await fetch_article_text(client, fs.url("/empty")) is None


async def test_fetching_goes_through_the_safe_client(fs: FeedServer) -> None:
    fs.set_feed("/story", ARTICLE, content_type="text/html")
    strict = SafeClient(FetchPolicy())
    try:
        with pytest.raises(FetchError, match="loopback"):
            await fetch_article_text(strict, fs.url("/story"))
    finally:
        await strict.aclose()
    assert fs.requests == []
