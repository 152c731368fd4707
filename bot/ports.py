"""The seams of Wirewatch: what a source, a notifier and their results look like.

Everything that crosses from the network into the pipeline, or from the relay out to a chat
platform, goes through one of these. Adding a source kind or a platform means implementing one
of these protocols in one new file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from bot.core.alert import Alert
from bot.core.item import Item

if TYPE_CHECKING:
    from bot.fetch.client import SafeClient

__all__ = [
    "DeliveryError",
    "FetchError",
    "FetchResult",
    "FetchState",
    "Notifier",
    "PermanentDeliveryError",
    "Source",
]


@dataclass(frozen=True, slots=True)
class FetchState:
    """What a source knows before fetching: its URL, validators from the last 200, options."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one successful fetch (a 304 is a success with `not_modified`)."""

    items: list[Item]
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    status: int = 200
    max_age: float | None = None
    title: str | None = None


class FetchError(Exception):
    """A fetch or parse failed. `retry_after` (seconds) when the server said so."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


@runtime_checkable
class Source(Protocol):
    """A kind of news source (RSS, JSON Feed, GDELT, HTML page, ...)."""

    kind: ClassVar[str]

    async def fetch(self, client: SafeClient, state: FetchState) -> FetchResult:
        """Fetch and parse; raise FetchError on failure (never anything else for bad input)."""
        ...


class DeliveryError(Exception):
    """A notifier could not deliver now; the relay retries with backoff (or after `retry_after`)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The destination refuses for good (channel gone, bot removed): the watch is paused."""


@runtime_checkable
class Notifier(Protocol):
    """Sends alerts to one kind of destination (`scheme`: console, jsonl, slack, ...)."""

    scheme: ClassVar[str]

    async def send(self, target: str, alert: Alert) -> str | None:
        """Deliver `alert` to `target`; return the platform's message reference, if any.

        For `alert.kind == "update"` with `alert.updates` set, edit that message (or write an
        update record where editing is impossible). Raise DeliveryError / PermanentDeliveryError.
        """
        ...

    async def notify_owner(self, owner: str, text: str) -> None:
        """Tell a watch's owner something (e.g. why their watch was paused); best effort."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
