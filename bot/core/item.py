"""News items, their canonical URLs and their identity."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "Item", "canonical_url", "host_of", "item_identity"]

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


def item_identity(guid: str, url: str, title: str, published: datetime | None) -> str:
    """Identify an item the way good feed readers do.

    The guid when the feed gives one; else the canonical URL; else a hash of title and date.
    """
    guid = guid.strip()
    if guid:
        return "guid:" + guid
    canonical = canonical_url(url)
    if canonical:
        return "url:" + canonical
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title.strip()}\x1f{stamp}".encode()).hexdigest()[:32]
    return "hash:" + digest


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

    @property
    def identity(self) -> str:
        """The stable identity used to never alert on the same item twice."""
        return item_identity(self.guid, self.url, self.title, self.published)

    @property
    def site(self) -> str:
        """The host of the item's URL ("" when unknown)."""
        return host_of(self.url)
