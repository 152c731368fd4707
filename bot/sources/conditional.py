"""The fetch step every source kind shares: conditional GET, 304 handling, result assembly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.item import Item
from bot.ports import FetchResult, FetchState

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient
    from bot.fetch.response import Response

__all__ = ["FEED_ACCEPT", "MAX_ITEMS_PER_FETCH", "conditional_get", "result_from"]

MAX_ITEMS_PER_FETCH = 500
"""Items kept from one fetch; a feed listing more is cut (first ones kept)."""

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


async def conditional_get(client: SafeClient, state: FetchState, *, accept: str) -> Response:
    """GET the source URL with the validators of the last 200 (raises FetchError)."""
    return await client.get(
        state.url, etag=state.etag, last_modified=state.last_modified, accept=accept
    )


def result_from(
    response: Response, state: FetchState, items: list[Item], *, title: str | None
) -> FetchResult:
    """Assemble a FetchResult; a 304 keeps the previous validators and carries no items."""
    if response.not_modified:
        return FetchResult(
            items=[],
            etag=response.etag or state.etag,
            last_modified=response.last_modified or state.last_modified,
            not_modified=True,
            status=304,
            max_age=response.max_age,
        )
    return FetchResult(
        items=items[:MAX_ITEMS_PER_FETCH],
        etag=response.etag,
        last_modified=response.last_modified,
        status=response.status,
        max_age=response.max_age,
        title=title,
    )
