"""A source's address as a person typed it: an http(s) URL with a host, or a clear refusal."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["MAX_URL_LENGTH", "SourceSpecError", "feed_address"]

MAX_URL_LENGTH = 2048
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_EXAMPLE = "e.g. https://example.org/rss.xml"


class SourceSpecError(ValueError):
    """A source that cannot be polled as given: the message says what is wrong and the fix."""


def feed_address(text: str) -> str:
    """Return `text` as an http(s) URL with a host; raise SourceSpecError otherwise.

    A bare domain (`example.org/rss`) gets https://; any other scheme (file:, javascript:,
    ftp:) is refused, as is anything without a host.
    """
    url = text.strip()
    if not url:
        raise SourceSpecError(f"a source needs a URL ({_EXAMPLE})")
    if len(url) > MAX_URL_LENGTH:
        raise SourceSpecError(f"that URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise SourceSpecError(f"{url!r} is not a URL: it contains spaces or control characters")
    scheme = _SCHEME.match(url)
    if scheme is not None and not url[scheme.end() :].startswith("//") and "." in scheme.group(1):
        scheme = None  # "example.org:8080/rss": a host and port, not a scheme
    if scheme is None:
        host = url.split("/", 1)[0].split(":", 1)[0]
        if "." not in host.strip("."):
            raise SourceSpecError(
                f"{url!r} is not a URL: give the full address with http:// or https:// ({_EXAMPLE})"
            )
        url = "https://" + url
    elif scheme.group(1).lower() not in ("http", "https"):
        raise SourceSpecError(
            f"only http:// and https:// URLs can be polled, not {scheme.group(1).lower()}: "
            f"({url!r}; {_EXAMPLE})"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as err:
        raise SourceSpecError(f"{url!r} is not a usable URL: {err}") from None
    if not parts.hostname:
        raise SourceSpecError(f"{url!r} has no host name ({_EXAMPLE})")
    return url
