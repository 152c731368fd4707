"""Full text of an article page: fetched by the safe client, main text extracted by trafilatura."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.sources.fields import MAX_CONTENT_CHARS

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient

__all__ = ["ARTICLE_ACCEPT", "extract_article_text", "fetch_article_text"]

log = logging.getLogger(__name__)

ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


def extract_article_text(html: str, url: str = "") -> str | None:
    """Return the main text of an article page's HTML, or None when it has none."""
    # Imported on first use: a third of a second at every start of the bot, and only sources
    # with fetch_article need it.
    import trafilatura

    try:
        text = trafilatura.extract(
            html, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception:  # trafilatura on a hostile page: no text rather than a crashed poll
        log.info("trafilatura could not extract %s", url, exc_info=True)
        return None
    if not text or not text.strip():
        return None
    return text.strip()[:MAX_CONTENT_CHARS]


async def fetch_article_text(client: SafeClient, url: str) -> str | None:
    """Return the main text of the article at `url`, or None when the page has none.

    Fetching goes through the safe client (trafilatura never fetches); raises FetchError when
    the page cannot be fetched.
    """
    response = await client.get(url, accept=ARTICLE_ACCEPT)
    if response.content_type not in _HTML_TYPES or not response.body.strip():
        return None
    return await asyncio.to_thread(extract_article_text, response.text(), response.url)
