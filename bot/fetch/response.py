"""The safe client's answer: status, final URL, headers and a capped, decoded body."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.fetch.headers import parse_max_age

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
        return str(self.headers.get("content-type", "")).split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for part in str(self.headers.get("content-type", "")).split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None

    @property
    def max_age(self) -> float | None:
        """Seconds the publisher says the content stays fresh (Cache-Control max-age)."""
        return parse_max_age(self.headers.get("cache-control"))

    def text(self) -> str:
        """Decode the body with the declared charset, else UTF-8, replacing bad bytes."""
        charset = self.charset or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")
