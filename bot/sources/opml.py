"""OPML subscription lists (import), parsed with defusedxml: no DTDs, no entities, no network."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from bot.sources.fields import absolute_http_url

__all__ = ["MAX_OPML_ENTRIES", "OpmlEntry", "parse_opml"]

MAX_OPML_ENTRIES = 5_000
_MAX_DEPTH = 50


@dataclass(frozen=True, slots=True)
class OpmlEntry:
    """One feed of an OPML file: its URL, title, web page and folder ("News/World")."""

    url: str
    title: str = ""
    html_url: str = ""
    category: str = ""


def _attribute(node: Element, *names: str) -> str:
    for name in names:
        value = node.get(name)
        if value and value.strip():
            return value.strip()[:500]
    return ""


def _walk(node: Element, folders: list[str], out: dict[str, OpmlEntry], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ValueError(f"the OPML outlines are nested more than {_MAX_DEPTH} levels deep")
    for outline in node:
        if not isinstance(outline.tag, str) or outline.tag.rsplit("}", 1)[-1] != "outline":
            continue
        title = _attribute(outline, "title", "text")
        feed_url = absolute_http_url("", _attribute(outline, "xmlUrl", "xmlurl", "url"))
        if feed_url and feed_url not in out:
            category = _attribute(outline, "category") or "/".join(folders)
            html_url = absolute_http_url("", _attribute(outline, "htmlUrl", "htmlurl"))
            out[feed_url] = OpmlEntry(feed_url, title, html_url, category)
            if len(out) > MAX_OPML_ENTRIES:
                raise ValueError(f"the OPML file lists more than {MAX_OPML_ENTRIES} feeds")
        _walk(outline, [*folders, title] if title and not feed_url else folders, out, depth + 1)


def parse_opml(data: bytes) -> list[OpmlEntry]:
    """Return the feeds an OPML document lists, with their folders; raise ValueError if invalid."""
    if not data.strip():
        raise ValueError("the OPML file is empty")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ValueError("the OPML file declares a DTD, which is refused for safety") from None
    except defusedxml.EntitiesForbidden:
        raise ValueError("the OPML file declares XML entities, which are refused") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ValueError("the OPML file refers to external resources, which is refused") from None
    except ParseError as exc:
        line, column = exc.position
        raise ValueError(
            f"the OPML file is not well-formed XML (line {line}, column {column + 1})"
        ) from None
    if root.tag.rsplit("}", 1)[-1].lower() != "opml":
        raise ValueError(f"not an OPML file: the root element is <{root.tag}>, not <opml>")
    body = next((child for child in root if str(child.tag).lower().endswith("body")), None)
    if body is None:
        raise ValueError("the OPML file has no <body> element")
    entries: dict[str, OpmlEntry] = {}
    _walk(body, [], entries, 0)
    return list(entries.values())
