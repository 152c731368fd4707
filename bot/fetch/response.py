"""The safe client's answer: status, final URL, headers and a capped, decoded body."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.fetch.charset import decode_html
from bot.fetch.headers import document_base, parse_content_type, parse_max_age

__all__ = ["Response"]


@dataclass(frozen=True)
class Response:
    """A fetched response. `not_modified` means 304 (the body is then empty)."""

    status: int
    url: str
    headers: httpx.Headers
    body: bytes
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        """The ETag validator, if any."""
        return self.headers.get("etag") or None

    @property
    def last_modified(self) -> str | None:
        """The Last-Modified validator, if any."""
        return self.headers.get("last-modified") or None

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ("" when absent)."""
        return parse_content_type(self.headers.get("content-type"))[0]

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        return parse_content_type(self.headers.get("content-type"))[1]

    @property
    def base_url(self) -> str:
        """The URL relative links resolve against: Content-Location, else the final URL."""
        return document_base(self.url, self.headers.get("content-location"))

    @property
    def max_age(self) -> float | None:
        """Seconds the publisher says the content stays fresh (Cache-Control max-age)."""
        return parse_max_age(self.headers.get("cache-control"))

    def text(self) -> str:
        """Decode the body as a web page: BOM, header charset, `<meta charset>`, UTF-8, detected."""
        return decode_html(self.body, self.charset, self.headers.get("content-language")).text
