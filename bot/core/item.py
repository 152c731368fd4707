"""News items, their canonical URLs and their identity.

Two keys say whether an item was seen before:

- its **identity** within its source: the guid when the feed gives one (a guid IS the item,
  whatever its link); else its link, canonical but with a meaningful fragment kept (a live
  blog's `page#entry-3` and `page#entry-4` are two items); else a hash of title and date;
- its **article key**, shared by every source: the canonical link, plus whatever tells this
  item apart from others with the same link: its fragment, and a guid that is not just the
  link itself. The same article reached from two feeds (same canonical URL, no distinguishing
  guid or fragment) has one article key, so it alerts once; episodes of a podcast that all
  link to the show page, or entries that differ only after `#`, keep apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "TRACKING_PARAMS",
    "Item",
    "article_key",
    "canonical_url",
    "host_of",
    "item_identity",
    "link_fragment",
]

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "smid",
        "sr_share",
        "spm",
        "src",
        "share",
        "at_medium",
        "at_campaign",
        "xtor",
        "ito",
        "ns_mchannel",
        "ns_campaign",
        "ncid",
        "cid",
        "guccounter",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "__twitter_impression",
        "rss",
        "feature",
        "taid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "at_", "mtm_")


def canonical_url(url: str) -> str:
    """Return `url` normalised for identity: lower-case scheme and host, no default port,
    no fragment, no tracking parameters, remaining parameters sorted.

    Unparseable input is returned stripped, so identity never raises on a feed's garbage.
    """
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not scheme or not host:
        return url
    netloc = host
    if port is not None and (scheme, port) not in {("http", 80), ("https", 443)}:
        netloc = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


# "http(s)://host" with a plain host (no user, port, IPv6 brackets, escapes or characters
# `urlsplit` would remove) then the end, a path, a query or a fragment: the common case,
# answered without `urlsplit`; anything else goes through it.
_PLAIN_HOST_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?:[/?#]|\Z)")


def host_of(url: str) -> str:
    """Return the lower-case host of `url`, or "" when it has none."""
    plain = _PLAIN_HOST_URL.match(url)
    if plain is not None:
        return plain.group(1).rstrip(".").lower()
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def link_fragment(url: str) -> str:
    """Return the part of `url` after `#` that tells one item from another ("" when none).

    A fragment made only of tracking parameters (`#utm_source=rss`) tells nothing.
    """
    _, sep, fragment = url.strip().partition("#")
    if not sep or not fragment.strip():
        return ""
    if "=" in fragment:
        pairs = parse_qsl(fragment, keep_blank_values=True)
        if pairs and all(_is_tracking(key) for key, _value in pairs):
            return ""
    return fragment.strip()


def _link_key(url: str) -> str:
    """The canonical link with its meaningful fragment ("" when there is no usable link)."""
    canonical = canonical_url(url)
    if not canonical:
        return ""
    fragment = link_fragment(url)
    return f"{canonical}#{fragment}" if fragment else canonical


def item_identity(guid: str, url: str, title: str, published: datetime | None) -> str:
    """Identify an item within its source, the way good feed readers do.

    The guid when the feed gives one; else the canonical link with its meaningful fragment;
    else a hash of title and date.
    """
    guid = guid.strip()
    if guid:
        return "guid:" + guid
    link = _link_key(url)
    if link:
        return "url:" + link
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title.strip()}\x1f{stamp}".encode()).hexdigest()[:32]
    return "hash:" + digest


def article_key(guid: str, url: str) -> str:
    """The key an item shares with the same article from any source ("" without a link).

    The canonical link with its meaningful fragment, and the guid unless the guid is only the
    link itself (a permalink guid tells nothing the link does not).
    """
    link = _link_key(url)
    if not link:
        return ""
    guid = guid.strip()
    if not guid or (guid.startswith(("http://", "https://")) and _link_key(guid) == link):
        return "url:" + link
    return f"url:{link} guid:{guid}"


@dataclass(frozen=True, slots=True)
class Item:
    """One news item as a source delivers it. Only `title` is required."""

    title: str
    summary: str = ""
    content: str = ""
    url: str = ""
    source: str = ""
    author: str = ""
    lang: str = ""
    published: datetime | None = None
    tags: tuple[str, ...] = field(default=())
    guid: str = ""
    boilerplate: str = ""
    """What was taken out of `summary` and `content` as the source's boilerplate, one piece a
    line (`bot.core.boilerplate_learning`); only `content:` rules read it."""

    @property
    def identity(self) -> str:
        """The item's identity within its source (see the module docstring)."""
        return item_identity(self.guid, self.url, self.title, self.published)

    @property
    def article_key(self) -> str:
        """The key shared with the same article from any source ("" without a link)."""
        return article_key(self.guid, self.url)

    @property
    def site(self) -> str:
        """The host of the item's URL ("" when unknown)."""
        return host_of(self.url)
