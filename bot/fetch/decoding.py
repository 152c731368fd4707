"""Decompress response bodies with a hard cap on the decoded size (gzip and deflate only).

httpx's own decoder can turn one 64 KiB read of a gzip bomb into ~64 MiB at once; here every
`decompress` call is bounded by `max_length`, so memory never exceeds the cap by more than a byte.

Servers get `Content-Encoding` wrong: a gzip label on a body that was never compressed, zlib
data labelled gzip, raw deflate labelled deflate. The first two bytes decide what the body is
(gzip magic `1f 8b`, a zlib header, or else identity for a gzip label and raw deflate for a
deflate label unless the body plainly starts as a text document). The cap counts the bytes
produced in every case, compressed or not.
"""

from __future__ import annotations

import zlib

__all__ = ["ACCEPT_ENCODING", "BodyTooLarge", "BoundedDecoder", "UnsupportedEncoding"]

ACCEPT_ENCODING = "gzip, deflate"

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# What an uncompressed feed, page or JSON document starts with (after optional whitespace).
_TEXT_STARTS = (b"<", b"{", b"[", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class BodyTooLarge(Exception):
    """The decoded body would exceed the byte cap."""


class UnsupportedEncoding(Exception):
    """The server used a content coding we did not advertise."""


def _is_zlib_header(head: bytes) -> bool:
    """Tell whether two bytes are a valid zlib (RFC 1950) header with the deflate method."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and ((head[0] << 8) | head[1]) % 31 == 0


def _sniffed_wbits(coding: str, head: bytes) -> int | None:
    """Return the zlib window bits for the body starting with `head`, or None for identity."""
    if head.startswith(_GZIP_MAGIC):
        return _GZIP_WBITS
    if _is_zlib_header(head):
        return zlib.MAX_WBITS
    if coding != "deflate" or head.lstrip().startswith(_TEXT_STARTS):
        return None  # labelled compressed, sent plain: read it as it is
    return -zlib.MAX_WBITS  # raw deflate without the zlib header


class BoundedDecoder:
    """Feed raw body bytes, get decoded bytes; raise BodyTooLarge past `max_bytes` decoded."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        codings = [
            c.strip().lower()
            for c in content_encoding.split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        if len(codings) > 1:
            raise UnsupportedEncoding(f"stacked content codings are refused: {content_encoding}")
        self.coding = codings[0] if codings else "identity"
        if self.coding == "x-gzip":
            self.coding = "gzip"
        if self.coding not in ("identity", "gzip", "deflate"):
            raise UnsupportedEncoding(
                f"content coding {self.coding!r} was not requested (only gzip and deflate are)"
            )
        self.max_bytes = max_bytes
        self.size = 0
        self.compressed: bool | None = None if self.coding != "identity" else False
        """Whether the body really was compressed (None until its first bytes are seen)."""
        self._head = b""
        self._zlib: zlib._Decompress | None = None
        self._raw_deflate_tried = False

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise BodyTooLarge(f"the body is larger than {self.max_bytes} bytes once decompressed")
        return data

    def _decide(self, head: bytes) -> None:
        wbits = _sniffed_wbits(self.coding, head)
        self.compressed = wbits is not None
        if wbits is not None:
            self._zlib = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> bytes:
        """Decode one raw chunk."""
        if self.compressed is None:  # the first bytes decide what the body is
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._decide(data)
        if self._zlib is None:
            return self._count(data)
        try:
            return self._inflate(data)
        except zlib.error:
            if self.coding != "deflate" or self._raw_deflate_tried or self.size:
                raise
            # Two bytes of raw deflate can pass for a zlib header (about 1 in 500).
            self._raw_deflate_tried = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(data)

    def _inflate(self, data: bytes) -> bytes:
        assert self._zlib is not None
        out = [self._count(self._zlib.decompress(data, self.max_bytes - self.size + 1))]
        while self._zlib.unconsumed_tail:
            tail = self._zlib.unconsumed_tail
            out.append(self._count(self._zlib.decompress(tail, self.max_bytes - self.size + 1)))
        return b"".join(out)

    def flush(self) -> bytes:
        """Return whatever is still held: a lone first byte, or the decompressor's rest."""
        if self.compressed is None:
            head, self._head = self._head, b""
            self.compressed = False
            return self._count(head)
        if self._zlib is None:
            return b""
        return self._count(self._zlib.flush())
