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


# --- identity within a source, and the article key shared by every source --------------------

SHOW = "https://pod.example/show"


def test_a_guid_is_the_identity_whatever_the_link() -> None:
    one, two = Item("Ep 1", guid="ep-1", url=SHOW), Item("Ep 2", guid="ep-2", url=SHOW)
    assert (one.identity, two.identity) == ("guid:ep-1", "guid:ep-2")
    assert one.article_key != two.article_key


def test_without_guid_a_fragment_keeps_items_apart() -> None:
    a = Item("a", url="https://live.example/blog?utm_source=x#update-1")
    b = Item("b", url="https://live.example/blog#update-2")
    assert a.identity == "url:https://live.example/blog#update-1"
    assert b.identity == "url:https://live.example/blog#update-2"
    assert a.article_key == a.identity and b.article_key == b.identity


@pytest.mark.parametrize("fragment", ["", "#", "#utm_source=rss&utm_medium=feed", "#at_medium=x"])
def test_an_empty_or_tracking_fragment_tells_nothing(fragment: str) -> None:
    item = Item("a", url="https://news.example/a?utm_campaign=z" + fragment)
    assert item.identity == item.article_key == "url:https://news.example/a"


def test_the_same_article_without_guid_shares_its_key_across_tracking_parameters() -> None:
    one = Item("x", url="https://NEWS.example/story?id=7&utm_source=a")
    two = Item("y", url="https://news.example/story?id=7&fbclid=abc")
    assert one.article_key == two.article_key == "url:https://news.example/story?id=7"


def test_a_permalink_guid_is_not_a_distinguishing_guid() -> None:
    item = Item("x", guid="https://news.example/a", url="https://news.example/a?ref=rss")
    assert item.article_key == "url:https://news.example/a"
    assert item.identity == "guid:https://news.example/a"


def test_a_distinguishing_guid_joins_the_article_key() -> None:
    item = Item("x", guid="tag:news.example,2026:42", url="https://news.example/a")
    assert item.article_key == "url:https://news.example/a guid:tag:news.example,2026:42"


def test_no_link_no_article_key_and_a_hash_identity() -> None:
    item = Item("Only a title", guid="")
    assert item.article_key == ""
    assert item.identity.startswith("hash:")
