"""Item hosts: the fast path for plain URLs agrees with `urlsplit` on every URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.item import Item, host_of


def reference_host(url: str) -> str:
    """The host as `urlsplit` reads it: what `host_of` must return."""
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.BBC.co.uk/news/1", "www.bbc.co.uk"),
        ("http://example.org", "example.org"),
        ("https://example.org.?q=1", "example.org"),
        ("https://user@example.org:8443/a", "example.org"),
        ("https://[::1]:80/", "::1"),
        ("  https://example.org/  ", "example.org"),
        ("https://exa\tmple.org/", "example.org"),
        ("https://example.org\\@evil.test/", "evil.test"),
        ("not a url", ""),
        ("", ""),
        ("https://[::1/", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host == reference_host(url)
    assert Item(title="t", url=url).site == host


URL_PARTS = st.sampled_from(
    ["http", "https", "HTTPS", "ftp", ":", "//", "/", "?", "#", "@", ".", "-", "[", "]",
     "\\", "\t", "\n", " ", "%2e", "80", "a", "B", "example", "org", "xn--bcher-kva", "ü"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(URL_PARTS, max_size=12).map("".join))
def test_host_of_agrees_with_urlsplit(url: str) -> None:
    assert host_of(url) == reference_host(url)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http://", "https://"]),
    st.text(alphabet="abcXYZ019.-@:[]\\%\t", max_size=20),
    st.sampled_from(["", "/", "/path", "?q=1", "#top", ":8080/"]),
)
def test_host_of_agrees_with_urlsplit_on_http_urls(scheme: str, host: str, rest: str) -> None:
    url = scheme + host + rest
    assert host_of(url) == reference_host(url)
