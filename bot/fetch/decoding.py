"""Decompress response bodies with a hard cap on the decoded size (gzip and deflate only).

httpx's own decoder can turn one 64 KiB read of a gzip bomb into ~64 MiB at once; here every
`decompress` call is bounded by `max_length`, so memory never exceeds the cap by more than a byte.
"""

from __future__ import annotations

import zlib

__all__ = ["ACCEPT_ENCODING", "BodyTooLarge", "BoundedDecoder", "UnsupportedEncoding"]

ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The decoded body would exceed the byte cap."""


class UnsupportedEncoding(Exception):
    """The server used a content coding we did not advertise."""


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
        if self.coding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise UnsupportedEncoding(
                f"content coding {self.coding!r} was not requested (only gzip and deflate are)"
            )
        self.max_bytes = max_bytes
        self.size = 0
        self._zlib: zlib._Decompress | None = None
        self._raw_deflate_tried = False
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise BodyTooLarge(f"the body is larger than {self.max_bytes} bytes once decompressed")
        return data

    def feed(self, data: bytes) -> bytes:
        """Decode one raw chunk."""
        if self._zlib is None:
            return self._count(data)
        try:
            return self._inflate(data)
        except zlib.error:
            if self.coding != "deflate" or self._raw_deflate_tried or self.size:
                raise
            # Some servers send raw deflate without the zlib header.
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
        """Return whatever the decompressor still holds."""
        if self._zlib is None:
            return b""
        return self._count(self._zlib.flush())
