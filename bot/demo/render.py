"""Render the demo's outlets as RSS 2.0, Atom 1.0 and simple article and index pages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from bot.demo.catalogue import DemoOutlet, DemoStory

__all__ = [
    "article_page",
    "atom_document",
    "feed_document",
    "guid_of",
    "index_page",
    "published_at",
    "rss_document",
    "story_html",
]


def guid_of(story: DemoStory) -> str:
    """Return the story's stable id (independent of the server's port)."""
    return f"urn:wirewatch-demo:{story.outlet}:{story.slug}"


def published_at(story: DemoStory, start: datetime) -> datetime:
    """Return when the story was published, `minutes_ago` before the demo started."""
    return (start - timedelta(minutes=story.minutes_ago)).astimezone(UTC)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def story_html(outlet: DemoOutlet, story: DemoStory) -> str:
    """The story's text as its outlet's CMS puts it in the feed: furniture around paragraphs."""
    views = 10 + int(hashlib.sha256(story.slug.encode()).hexdigest()[:4], 16) % 990
    fill = {"views": str(views), "title": story.title}
    before = [f"<p>{escape(line.format(**fill))}</p>" for line in outlet.furniture_before]
    after = [f"<p>{escape(line.format(**fill))}</p>" for line in outlet.furniture_after]
    if not before and not after:
        return escape(story.summary)
    return "".join([*before, f"<p>{escape(story.summary)}</p>", *after])


def rss_document(
    outlet: DemoOutlet, stories: list[DemoStory], base_url: str, start: datetime
) -> str:
    """Build an RSS 2.0 feed of `stories` (newest first) with links under `base_url`."""
    home = f"{base_url}/{outlet.slug}/"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{escape(outlet.name)}</title>",
        f"<link>{escape(home)}</link>",
        f"<description>{escape(outlet.description)}</description>",
        f"<language>{escape(outlet.lang)}</language>",
    ]
    if stories:
        newest = published_at(stories[0], start)
        parts.append(f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>")
    for story in stories:
        parts += [
            "<item>",
            f"<title>{escape(story.title)}</title>",
            f"<link>{escape(home + story.slug)}</link>",
            f'<guid isPermaLink="false">{escape(guid_of(story))}</guid>',
            f"<description>{escape(story_html(outlet, story))}</description>",
            f"<pubDate>{format_datetime(published_at(story, start), usegmt=True)}</pubDate>",
        ]
        if story.author:
            parts.append(f"<dc:creator>{escape(story.author)}</dc:creator>")
        parts += [f"<category>{escape(tag)}</category>" for tag in story.tags]
        parts.append("</item>")
    parts += ["</channel>", "</rss>", ""]
    return "\n".join(parts)


def atom_document(
    outlet: DemoOutlet, stories: list[DemoStory], base_url: str, start: datetime
) -> str:
    """Build an Atom 1.0 feed of `stories` (newest first) with links under `base_url`."""
    home = f"{base_url}/{outlet.slug}/"
    updated = published_at(stories[0], start) if stories else start
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(outlet.lang)}>',
        f"<title>{escape(outlet.name)}</title>",
        f"<subtitle>{escape(outlet.description)}</subtitle>",
        f"<id>urn:wirewatch-demo:{escape(outlet.slug)}</id>",
        f"<updated>{_rfc3339(updated)}</updated>",
        f'<link rel="alternate" href={quoteattr(home)}/>',
    ]
    for story in stories:
        stamp = _rfc3339(published_at(story, start))
        parts += [
            "<entry>",
            f"<title>{escape(story.title)}</title>",
            f'<link rel="alternate" href={quoteattr(home + story.slug)}/>',
            f"<id>{escape(guid_of(story))}</id>",
            f"<published>{stamp}</published>",
            f"<updated>{stamp}</updated>",
            f'<summary type="html">{escape(story_html(outlet, story))}</summary>',
        ]
        if story.author:
            parts.append(f"<author><name>{escape(story.author)}</name></author>")
        parts += [f"<category term={quoteattr(tag)}/>" for tag in story.tags]
        parts.append("</entry>")
    parts += ["</feed>", ""]
    return "\n".join(parts)


def feed_document(
    outlet: DemoOutlet, stories: list[DemoStory], base_url: str, start: datetime
) -> str:
    """Build the outlet's feed in its own format."""
    render = atom_document if outlet.format == "atom" else rss_document
    return render(outlet, stories, base_url, start)


def article_page(outlet: DemoOutlet, story: DemoStory, start: datetime) -> str:
    """Build a minimal HTML article page for a story."""
    stamp = _rfc3339(published_at(story, start))
    return (
        f'<!doctype html><html lang={quoteattr(outlet.lang)}><head><meta charset="utf-8">'
        f"<title>{escape(story.title)} | {escape(outlet.name)}</title></head><body>"
        f"<header>{escape(outlet.name)}</header><article><h1>{escape(story.title)}</h1>"
        f"<p><time datetime={quoteattr(stamp)}>{stamp}</time> {escape(story.author)}</p>"
        f"<p>{escape(story.summary)}</p></article></body></html>"
    )


def index_page(outlets: list[DemoOutlet], feed_paths: dict[str, str], base_url: str) -> str:
    """Build a home page advertising every outlet's feed (so feed discovery finds them)."""
    kinds = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
    links = "".join(
        f'<link rel="alternate" type="{kinds[o.format]}" title={quoteattr(o.name)} '
        f"href={quoteattr(base_url + feed_paths[o.slug])}>"
        for o in outlets
    )
    items = "".join(
        f"<li><a href={quoteattr(base_url + feed_paths[o.slug])}>{escape(o.name)}</a></li>"
        for o in outlets
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Wirewatch demo feeds</title>'
        f"{links}</head><body><h1>Wirewatch demo feeds</h1><ul>{items}</ul></body></html>"
    )
