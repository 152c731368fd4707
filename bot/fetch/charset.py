"""Decide the character encoding of a fetched document, decode it, detect it when undeclared.

Declared encodings are weighed in the order of the document's own standard:

- XML (feeds), RFC 7303 section 3.2 and XML 1.0 appendix F: a byte order mark, then the
  `charset` of Content-Type, then the encoding declaration `<?xml ... encoding="..."?>`,
  then UTF-8.
- HTML: a byte order mark, then the header, then `<meta charset>` in the first 4 KiB, then
  UTF-8.
- JSON, RFC 8259: a byte order mark, then UTF-8, then the header.

Three departures, each for a failure seen in real feeds. A header saying ISO-8859-1 or
US-ASCII (a web server's default, not the publisher's choice) yields to an encoding the
document declares itself. A body that is valid UTF-8 with non-ASCII bytes is read as UTF-8
even when a Latin-1 or ASCII label says otherwise (valid multi-byte UTF-8 does not happen by
chance in Latin-1 text). And when the declared encoding is unknown, or the bytes are not valid
in it, or nothing is declared and the bytes are not UTF-8, the encoding is detected with
charset-normalizer from the document's text (markup removed: the ASCII markup of a feed
drowns the signal), preferring an encoding used for the language the document declares.

Labels map to the supersets browsers use (WHATWG Encoding): GB2312 reads as GB18030, EUC-KR as
CP949, Shift_JIS as CP932, TIS-620 as CP874, Big5 as Big5-HKSCS, ISO-8859-1 as windows-1252.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "decode_html", "decode_json", "decode_xml", "xml_as_utf8"]

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# "<?" in UTF-16 without a byte order mark (XML 1.0 appendix F).
_UTF16_MARKERS = ((b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"))
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})")
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.I
)
_LANGUAGE = re.compile(
    rb"<(?:\w+:)?language>\s*([A-Za-z]{2,3})|(?<![\w-])(?:xml:)?lang\s*=\s*[\"']([A-Za-z]{2,3})",
    re.I,
)
_MARKUP = re.compile(rb"<[^>]{0,2000}>")
_DETECTION_SAMPLE = 65_536
# The web's default labels, which servers attach without knowing the document.
_SERVER_DEFAULTS = frozenset({"cp1252"})  # ISO-8859-1 and US-ASCII labels read as this
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "tis_620": "cp874",
    "big5": "big5hkscs",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
}
_WIDE = frozenset({"utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"})
# The encodings a language is usually published in: a tie-breaker among detected candidates.
_LANGUAGE_ENCODINGS = {
    ("ru", "uk", "be", "bg", "sr", "mk", "kk"): (
        "cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic",
    ),
    ("he", "iw", "yi"): ("cp1255", "iso8859_8"),
    ("ar", "fa", "ur"): ("cp1256", "iso8859_6"),
    ("el",): ("cp1253", "iso8859_7"),
    ("th",): ("cp874", "tis_620", "iso8859_11"),
    ("ja",): ("cp932", "shift_jis", "shift_jis_2004", "euc_jp", "euc_jis_2004", "iso2022_jp"),
    ("ko",): ("cp949", "euc_kr", "iso2022_kr", "johab"),
    ("zh",): ("gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "hz"),
    ("tr",): ("cp1254", "iso8859_9"),
    ("pl", "cs", "sk", "hu", "ro", "sl", "hr"): ("cp1250", "iso8859_2"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decoded:
    """A document's text, the codec that decoded it, and how that codec was chosen."""

    text: str
    encoding: str
    """Python's codec name ("utf_8", "cp1251", ...)."""
    how: str
    """"bom", "header", "declaration", "meta", "default" (UTF-8), "detected" or "replaced"."""


def _codec(label: str | None) -> str | None:
    """Return the Python codec for a charset label (through the WHATWG supersets), or None."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13...
        return None
    name = codecs.lookup(_SUPERSETS.get(info.name.replace("-", "_"), info.name)).name
    return name.replace("-", "_")


def _bom(body: bytes) -> tuple[str, int] | None:
    for mark, name in _BOMS:
        if body.startswith(mark):
            return name.replace("-", "_"), len(mark)
    return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _document_language(body: bytes, header_language: str | None) -> str:
    if header_language:
        return header_language.strip()[:2].lower()
    found = _LANGUAGE.search(body[:8192])
    if found is None:
        return ""
    return (found.group(1) or found.group(2) or b"").decode("ascii").lower()[:2]


def _detect(body: bytes, language: str) -> str | None:
    """Guess the codec of `body` from its text (markup removed), preferring `language`'s."""
    sample = _MARKUP.sub(b" ", body[: _DETECTION_SAMPLE * 4])[:_DETECTION_SAMPLE]
    if sample.isascii():
        return None
    from charset_normalizer import from_bytes  # loads on the first document needing detection

    candidates = [_codec(match.encoding) for match in from_bytes(sample)]
    found = [c for c in candidates if c]
    if not found:
        return None
    for languages, usual in _LANGUAGE_ENCODINGS.items():
        if language in languages:
            preferred = {_codec(name) for name in usual}
            return next((c for c in found if c in preferred), found[0])
    return found[0]


def _decide(
    body: bytes, declared: list[tuple[str | None, str]], language: str, *, utf8_first: bool
) -> Decoded:
    """Decode with the first usable declared codec, else UTF-8, else a detected one."""
    bom = _bom(body)
    if bom is not None:
        codec, size = bom
        text = _strict(body[size:], codec)
        if text is not None:
            return Decoded(text, codec, "bom")
    usable = [(codec, how) for codec, how in declared if codec]
    if utf8_first:
        usable.insert(0, ("utf_8", "default"))
    elif not usable:
        usable = [("utf_8", "default")]
    tried = set()
    for codec, how in usable:
        if codec in tried:
            continue
        tried.add(codec)
        if codec in _SERVER_DEFAULTS and not body.isascii():
            # A Latin-1/ASCII label on valid non-ASCII UTF-8 is a server default, not a fact.
            text = _strict(body, "utf_8")
            if text is not None:
                return Decoded(text, "utf_8", "default")
        text = _strict(body, codec)
        if text is not None:
            return Decoded(text, codec, how)
    if "utf_8" not in tried:
        text = _strict(body, "utf_8")
        if text is not None:
            return Decoded(text, "utf_8", "default")
    detected = _detect(body, language)
    if detected is not None:
        text = _strict(body, detected)
        if text is not None:
            return Decoded(text, detected, "detected")
    fallback = detected or usable[0][0] or "utf_8"
    return Decoded(body.decode(fallback, errors="replace"), fallback, "replaced")


def _header_then_document(
    body: bytes,
    header_charset: str | None,
    header_language: str | None,
    found: re.Match[bytes] | None,
    how: str,
) -> Decoded:
    """Weigh the header's charset, then the document's own declaration (`found`)."""
    declared_in_document = _codec(found.group(1).decode("ascii")) if found else None
    if declared_in_document in _WIDE:  # readable as ASCII, so not UTF-16/32 whatever it says
        declared_in_document = None
    header = _codec(header_charset)
    declared = [(header, "header"), (declared_in_document, how)]
    if header in _SERVER_DEFAULTS and declared_in_document not in (None, header):
        declared.reverse()  # a server's blanket default yields to what the document says
    language = _document_language(body, header_language)
    return _decide(body, declared, language, utf8_first=False)


def decode_xml(
    body: bytes, header_charset: str | None = None, header_language: str | None = None
) -> Decoded:
    """Decode an XML document (a feed) following RFC 7303, detecting when need be."""
    for marker, name in _UTF16_MARKERS:
        if body.startswith(marker):
            text = _strict(body, name)
            if text is not None:
                return Decoded(text, name.replace("-", "_"), "bom")
    found = _XML_DECLARATION.match(body[:300])
    return _header_then_document(body, header_charset, header_language, found, "declaration")


def decode_html(
    body: bytes, header_charset: str | None = None, header_language: str | None = None
) -> Decoded:
    """Decode an HTML page: BOM, header, `<meta charset>`, UTF-8, detection."""
    found = _META_CHARSET.search(body[:4096])
    return _header_then_document(body, header_charset, header_language, found, "meta")


def decode_json(body: bytes, header_charset: str | None = None) -> Decoded:
    """Decode a JSON document: BOM, UTF-8 (RFC 8259), the header's charset, detection."""
    return _decide(body, [(_codec(header_charset), "header")], "", utf8_first=True)


def xml_as_utf8(
    body: bytes, header_charset: str | None = None, header_language: str | None = None
) -> tuple[bytes, Decoded]:
    """Return the XML document as UTF-8 bytes (the body itself when it already is) and how."""
    decoded = decode_xml(body, header_charset, header_language)
    if decoded.encoding == "utf_8" and decoded.how != "bom":
        return body, decoded
    return decoded.text.encode("utf-8"), decoded
