"""Bounded decompression: the decoded size never passes the cap, whatever the chunking."""

from __future__ import annotations

import gzip
import zlib

import pytest

from bot.fetch.decoding import BodyTooLarge, BoundedDecoder, UnsupportedEncoding


def test_bomb_fed_in_one_chunk_never_decodes_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (32 * 1024 * 1024))
    decoder = BoundedDecoder("gzip", 100_000)
    with pytest.raises(BodyTooLarge):
        decoder.feed(bomb)
    assert decoder.size <= 100_001


def test_exact_cap_is_accepted() -> None:
    data = b"a" * 5000
    decoder = BoundedDecoder("gzip", 5000)
    packed = gzip.compress(data)
    out = b"".join(decoder.feed(packed[i : i + 7]) for i in range(0, len(packed), 7))
    assert out + decoder.flush() == data


def test_identity_counts_bytes() -> None:
    decoder = BoundedDecoder("identity", 3)
    assert decoder.feed(b"abc") == b"abc"
    with pytest.raises(BodyTooLarge):
        decoder.feed(b"d")


def test_raw_deflate_is_accepted() -> None:
    raw = zlib.compress(b"hello world")[2:-4]
    assert BoundedDecoder("deflate", 100).feed(raw) == b"hello world"


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, gzip"])
def test_unrequested_or_stacked_codings_are_refused(coding: str) -> None:
    with pytest.raises(UnsupportedEncoding):
        BoundedDecoder(coding, 100)


# --- bodies labelled compressed that are not -------------------------------------------------

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate"])
def test_a_body_labelled_compressed_but_plain_is_read_as_it_is(coding: str) -> None:
    decoder = BoundedDecoder(coding, 1000)
    out = b"".join(decoder.feed(FEED[i : i + 1]) for i in range(len(FEED))) + decoder.flush()
    assert out == FEED
    assert decoder.compressed is False


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_the_cap_still_holds_on_a_plain_body_labelled_compressed(coding: str) -> None:
    decoder = BoundedDecoder(coding, len(FEED) - 1)
    with pytest.raises(BodyTooLarge):
        decoder.feed(FEED)


@pytest.mark.parametrize(
    ("label", "pack"),
    [("gzip", zlib.compress), ("deflate", gzip.compress), ("gzip", gzip.compress)],
)
def test_the_magic_bytes_decide_between_gzip_and_zlib(label: str, pack: object) -> None:
    decoder = BoundedDecoder(label, 1000)
    packed = pack(FEED)  # type: ignore[operator]
    assert decoder.feed(packed) + decoder.flush() == FEED
    assert decoder.compressed is True


def test_a_one_byte_body_labelled_gzip_is_that_byte() -> None:
    decoder = BoundedDecoder("gzip", 10)
    assert decoder.feed(b"x") == b""
    assert decoder.flush() == b"x"
