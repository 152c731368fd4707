"""`wirewatch check RULE --file F`: read F as a source would, and test the rule on each item.

A feed (RSS, Atom, RDF, CDF or JSON Feed) is parsed by the source kinds' own parsers, in
whatever encoding it is written (`bot.fetch.charset`), and its boilerplate is learned from its
items and taken out, as on a new source's first poll. A web page is read as `fetch_article`
reads one: its title, its meta description as summary, its main text (trafilatura) as content.
Anything else is plain text, the content of one item.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from bot.core.alert import Marked
from bot.core.boilerplate_learning import SourceBoilerplate
from bot.core.item import Item
from bot.core.query import Match, Query
from bot.core.summary import summarize
from bot.fetch.charset import decode_html, decode_json
from bot.ports import FetchError
from bot.sources.article import extract_article_text
from bot.sources.fields import MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, clean_text
from bot.sources.jsonfeed import is_json_feed, parse_json_feed
from bot.sources.rss import parse_feed

__all__ = [
    "MAX_FILE_BYTES",
    "CheckFileError",
    "CheckedFile",
    "ItemVerdict",
    "check_items",
    "read_check_bytes",
    "read_check_file",
]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""The largest file read, as `[fetch] max_bytes` caps a fetched one."""
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|rdf|channel)[\s>/]", re.IGNORECASE)
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)


class CheckFileError(Exception):
    """The file cannot be read or is a feed that cannot be parsed (message for a person)."""


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """What a file held: a feed's items, a page as one item, or plain text as one item."""

    kind: str
    """"feed", "page" or "text"."""
    title: str
    items: list[Item]


@dataclass(frozen=True, slots=True)
class ItemVerdict:
    """One item, whether and why the rule matches it, and its alert summary when it does."""

    item: Item
    match: Match | None
    summary: Marked | None


def _kind(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        try:
            document = json.loads(decode_json(data).text)
        except (ValueError, RecursionError):
            return "text"
        return "jsonfeed" if is_json_feed(document) else "text"
    if _HTML_START.search(head[:1024]):
        return "page"
    if head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")) and _FEED_ROOT.search(head):
        return "feed"
    return "text"


def _page(data: bytes, lang: str) -> CheckedFile:
    html = decode_html(data).text
    tree = LexborHTMLParser(html)
    node = tree.css_first("title")
    title = clean_text(node.text(), MAX_TITLE_CHARS) if node is not None else ""
    meta = tree.css_first('meta[name="description"]') or tree.css_first(
        'meta[property="og:description"]'
    )
    summary = clean_text(meta.attributes.get("content"), MAX_SUMMARY_CHARS) if meta else ""
    root = tree.css_first("html")
    page_lang = (root.attributes.get("lang") or "") if root is not None else ""
    item = Item(
        title=title or "(untitled page)",
        summary=summary,
        content=extract_article_text(html) or "",
        lang=lang or page_lang.split("-")[0].lower(),
    )
    return CheckedFile("page", title, [item])


def _without_boilerplate(items: list[Item], lang: str) -> list[Item]:
    """Learn the feed's boilerplate from all its items and take it out, as a first poll does."""
    learner = SourceBoilerplate()
    learner.observe(items)
    return [learner.clean(replace(item, lang=item.lang or lang)) for item in items]


def _read_capped(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise CheckFileError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise CheckFileError(f"{path} is over the {MAX_FILE_BYTES}-byte limit for a checked file")
    return data


async def read_check_file(path: Path, *, lang: str = "", title: str = "") -> CheckedFile:
    """Read `path` as a source would read it; raise CheckFileError with the reason."""
    data = await asyncio.to_thread(_read_capped, path)
    # The path is the base URL: absolute links are kept, relative ones (which would point into
    # the file system) are dropped, and error messages name the file.
    return await read_check_bytes(data, base_url=str(path), lang=lang, title=title)


async def read_check_bytes(
    data: bytes, *, base_url: str, lang: str = "", title: str = ""
) -> CheckedFile:
    """Read a document (a feed, a page or text) fetched from `base_url` as a source would."""
    kind = _kind(data)
    try:
        if kind == "feed":
            parsed = await parse_feed(data, base_url=base_url)
            return CheckedFile("feed", parsed.title, _without_boilerplate(parsed.items, lang))
        if kind == "jsonfeed":
            parsed = await parse_json_feed(data, base_url=base_url)
            return CheckedFile("feed", parsed.title, _without_boilerplate(parsed.items, lang))
    except FetchError as error:
        raise CheckFileError(error.message) from None
    if kind == "page":
        return await asyncio.to_thread(_page, data, lang)
    text = decode_json(data).text  # UTF-8 first, else detected: a text file has no declaration
    return CheckedFile("text", "", [Item(title=title, content=text, lang=lang)])


def check_items(query: Query, items: list[Item], *, summary_chars: int = 300) -> list[ItemVerdict]:
    """Test `query` on each item; summarise the matching ones as their alert would."""
    verdicts = []
    for item in items:
        match = query.explain(item)
        summary = None
        if match is not None:

            def highlight(text: str, lang: str = item.lang) -> list[tuple[int, int]]:
                return query.highlight(text, lang)

            summary = summarize(item, highlight, max_chars=summary_chars)
        verdicts.append(ItemVerdict(item, match, summary))
    return verdicts
