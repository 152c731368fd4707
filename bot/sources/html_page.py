"""Watch an HTML page: the links under a CSS selector become items (`options["selector"]`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.core.item import Item, canonical_url
from bot.ports import FetchError, FetchResult, FetchState
from bot.sources.conditional import MAX_ITEMS_PER_FETCH, conditional_get, result_from
from bot.sources.fields import MAX_TITLE_CHARS, absolute_http_url, clean_text

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient
    from bot.fetch.response import Response

__all__ = ["HTML_ACCEPT", "HtmlPageSource", "page_base_url", "parse_page_links"]

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def page_base_url(tree: LexborHTMLParser, url: str) -> str:
    """Return the page's <base href> resolved against its URL, or the URL itself."""
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return absolute_http_url(url, href) or url


def _links_under(node: LexborNode) -> list[LexborNode]:
    if node.tag == "a":
        return [node]
    return list(node.css("a[href]"))


def _parse_links(html: str, url: str, selector: str, source: str) -> tuple[str, list[Item]]:
    tree = LexborHTMLParser(html)
    try:
        matched = tree.css(selector)
    except Exception:  # selectolax raises its own error type for a bad selector
        raise FetchError(
            f'the CSS selector {selector!r} is not valid (e.g. "h2 a" or ".headlines")'
        ) from None
    base = page_base_url(tree, url)
    title_node = tree.css_first("title")
    page_title = clean_text(title_node.text(), MAX_TITLE_CHARS) if title_node else ""
    items: list[Item] = []
    seen: set[str] = set()
    for node in matched:
        for link in _links_under(node):
            href = absolute_http_url(base, link.attributes.get("href"))
            title = clean_text(link.text(deep=True, separator=" "), MAX_TITLE_CHARS)
            title = title or clean_text(link.attributes.get("title"), MAX_TITLE_CHARS)
            key = canonical_url(href)
            if not href or not title or key in seen:
                continue
            seen.add(key)
            items.append(Item(title=title, url=href, source=source or page_title))
            if len(items) >= MAX_ITEMS_PER_FETCH:
                return page_title, items
    return page_title, items


async def parse_page_links(
    response: Response, selector: str, source: str = ""
) -> tuple[str, list[Item]]:
    """Return the page title and one item per distinct link under `selector`."""
    return await asyncio.to_thread(_parse_links, response.text(), response.url, selector, source)


class HtmlPageSource:
    """A web page without a feed: the links under `options["selector"]` are its items."""

    kind: ClassVar[str] = "html"

    label: ClassVar[str] = "the links on a web page"

    async def fetch(self, client: SafeClient, state: FetchState) -> FetchResult:
        """Fetch the page and list the links under the selector."""
        selector = state.options.get("selector")
        if not isinstance(selector, str) or not selector.strip():
            raise FetchError(
                "an html source needs options.selector, the CSS selector of its headline links "
                '(e.g. selector = "h2 a")'
            )
        response = await conditional_get(client, state, accept=HTML_ACCEPT)
        if response.not_modified:
            return result_from(response, state, [], title=None)
        title, items = await parse_page_links(response, selector.strip(), state.name)
        return result_from(response, state, items, title=title or None)
