"""GDELT DOC 2.0 API: a news search whose matching articles, from around the world, become items.

Options: `query` (required, GDELT query syntax), `timespan` (default "1h"), `maxrecords`
(default 75, at most 250), `api_url` (default the public endpoint; tests point it at loopback).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from bot.core.item import Item
from bot.ports import FetchError, FetchResult, FetchState
from bot.sources.conditional import MAX_ITEMS_PER_FETCH, result_from
from bot.sources.fields import MAX_TITLE_CHARS, absolute_http_url, clean_text

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient

__all__ = ["GDELT_API_URL", "GdeltSource", "gdelt_request_url"]

GDELT_API_URL = "https://api.gdeltproject.org/api/v2/doc/doc"

# GDELT names languages in English; the analyser wants ISO 639-1 codes.
_LANGUAGES = {
    "english": "en",
    "french": "fr",
    "spanish": "es",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "arabic": "ar",
    "russian": "ru",
    "chinese": "zh",
    "japanese": "ja",
    "korean": "ko",
    "turkish": "tr",
    "polish": "pl",
    "swedish": "sv",
    "norwegian": "no",
    "danish": "da",
    "finnish": "fi",
    "greek": "el",
    "romanian": "ro",
    "hungarian": "hu",
    "czech": "cs",
    "ukrainian": "uk",
    "hebrew": "he",
    "hindi": "hi",
    "indonesian": "id",
    "persian": "fa",
    "catalan": "ca",
    "vietnamese": "vi",
    "thai": "th",
}


def gdelt_request_url(options: Mapping[str, Any]) -> str:
    """Build the artlist JSON request for the source options; raise FetchError when unusable."""
    query = options.get("query")
    if not isinstance(query, str) or not query.strip():
        raise FetchError(
            'a gdelt source needs options.query, e.g. query = "Algeria readmission sourcelang:fr"'
        )
    try:
        maxrecords = max(1, min(250, int(options.get("maxrecords", 75))))
    except (TypeError, ValueError):
        raise FetchError("options.maxrecords of a gdelt source must be a number (1-250)") from None
    params = {
        "query": query.strip(),
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(maxrecords),
        "sort": "datedesc",
        "timespan": str(options.get("timespan") or "1h"),
    }
    base = str(options.get("api_url") or GDELT_API_URL)
    return f"{base}?{urlencode(params)}"


def _seen_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _article_item(article: Mapping[str, Any], fallback_source: str) -> Item | None:
    url = absolute_http_url("", article.get("url"))
    if not url:
        return None
    title = clean_text(article.get("title"), MAX_TITLE_CHARS) or url
    language = article.get("language")
    lang = _LANGUAGES.get(language.strip().lower(), "") if isinstance(language, str) else ""
    country = clean_text(article.get("sourcecountry"), 60)
    return Item(
        title=title,
        url=url,
        source=clean_text(article.get("domain"), 200) or fallback_source,
        lang=lang,
        published=_seen_date(article.get("seendate")),
        tags=(country,) if country else (),
    )


def parse_artlist(data: bytes, request_url: str, fallback_source: str) -> list[Item]:
    """Turn a GDELT artlist JSON answer into items; GDELT's plain-text errors become FetchError."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        first_line = text.splitlines()[0][:300]
        raise FetchError(f"GDELT refused the query: {first_line}") from None
    if not isinstance(document, Mapping):
        raise FetchError("GDELT answered something other than a JSON object")
    articles = document.get("articles") or []
    if not isinstance(articles, list):
        raise FetchError('GDELT answered an "articles" value that is not a list')
    items: list[Item] = []
    seen: set[str] = set()
    for article in articles:
        if not isinstance(article, Mapping):
            continue
        item = _article_item(article, fallback_source)
        if item is None or item.identity in seen:
            continue
        seen.add(item.identity)
        items.append(item)
        if len(items) >= MAX_ITEMS_PER_FETCH:
            break
    return items


class GdeltSource:
    """A GDELT DOC 2.0 news search: each matching article is an item."""

    kind: ClassVar[str] = "gdelt"

    label: ClassVar[str] = "a GDELT news search"

    async def fetch(self, client: SafeClient, state: FetchState) -> FetchResult:
        """Run the search in `state.options["query"]` and return the articles found."""
        request_url = gdelt_request_url(state.options)
        response = await client.get(request_url, accept="application/json")
        items = parse_artlist(response.body, request_url, state.name or "GDELT")
        return result_from(response, state, items, title=state.name or None)
