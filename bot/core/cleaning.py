"""Turn feed HTML into plain text: tags dropped, entities decoded, block breaks kept, whitespace tidied."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["html_to_text", "tidy_whitespace"]

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "pre",
        "hr",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "object"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces, keep single line breaks between blocks, drop control characters."""
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment (plain text passes through, tidied)."""
    if "<" not in markup and "&" not in markup:
        return tidy_whitespace(markup)
    if "<" not in markup:
        return tidy_whitespace(html.unescape(markup))
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except (AssertionError, ValueError):  # malformed markup: fall back to a crude strip
        return tidy_whitespace(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    return tidy_whitespace("".join(collector.parts))
