"""Which encoding a document is read in: declared ones weighed in order, detection otherwise."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from bot.fetch.charset import decode_html, decode_json, decode_xml, xml_as_utf8

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
RUSSIAN = "Губернатор пообещал новые школы в районах. Средства выделят из бюджета."


def xml(text: str, declared: str | None = None) -> str:
    declaration = f' encoding="{declared}"' if declared else ""
    return f'<?xml version="1.0"{declaration}?><rss><channel><title>{text}</title></channel></rss>'


def test_the_header_charset_is_used_when_the_document_declares_nothing() -> None:
    body = xml(RUSSIAN).encode("cp1251")
    decoded = decode_xml(body, "windows-1251")
    assert (decoded.text, decoded.how) == (xml(RUSSIAN), "header")


def test_the_header_wins_over_the_xml_declaration() -> None:
    body = xml(RUSSIAN, "koi8-r").encode("cp1251")  # the server knows better (RFC 7303)
    assert decode_xml(body, "windows-1251").text == xml(RUSSIAN, "koi8-r")


def test_the_declaration_is_used_without_a_header_charset() -> None:
    body = xml(RUSSIAN, "koi8-r").encode("koi8_r")
    decoded = decode_xml(body, None)
    assert (decoded.encoding, decoded.how) == ("koi8_r", "declaration")


def test_a_byte_order_mark_wins_over_everything() -> None:
    body = codecs.BOM_UTF16_LE + xml(RUSSIAN, "windows-1251").encode("utf-16-le")
    decoded = decode_xml(body, "iso-8859-1")
    assert (decoded.text, decoded.how) == (xml(RUSSIAN, "windows-1251"), "bom")


def test_utf16_without_a_byte_order_mark_is_recognised_by_its_first_bytes() -> None:
    body = xml(RUSSIAN, "utf-16").encode("utf-16-be")
    assert decode_xml(body).text == xml(RUSSIAN, "utf-16")


def test_a_utf16_declaration_in_an_ascii_readable_document_is_ignored() -> None:
    body = xml(RUSSIAN, "utf-16").encode("utf-8")
    assert decode_xml(body).text == xml(RUSSIAN, "utf-16")


def test_a_server_default_latin1_header_yields_to_the_document_declaration() -> None:
    body = xml(RUSSIAN, "windows-1251").encode("cp1251")
    decoded = decode_xml(body, "ISO-8859-1")
    assert (decoded.encoding, decoded.how) == ("cp1251", "declaration")


def test_valid_utf8_labelled_latin1_is_read_as_utf8() -> None:
    body = xml("Algérie : coopération sécuritaire").encode("utf-8")
    assert decode_xml(body, "iso-8859-1").text == xml("Algérie : coopération sécuritaire")


def test_latin1_text_labelled_latin1_stays_latin1() -> None:
    body = xml("Algérie : coopération sécuritaire").encode("latin-1")
    assert decode_xml(body, "iso-8859-1").text == xml("Algérie : coopération sécuritaire")


def test_a_declared_encoding_the_bytes_break_is_replaced_by_detection() -> None:
    body = xml(RUSSIAN * 3, "utf-8").encode("cp1251")
    decoded = decode_xml(body, "utf-8")
    assert (decoded.text, decoded.how) == (xml(RUSSIAN * 3, "utf-8"), "detected")


@pytest.mark.parametrize("label", ["no-such-charset", "base64", "rot13", "zlib"])
def test_unknown_or_non_text_labels_are_ignored(label: str) -> None:
    body = xml("Algérie").encode("utf-8")
    assert decode_xml(body, label).text == xml("Algérie")


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("GB2312", "gb18030", "杭州新地铁线路正式开通运营"),
        ("EUC-KR", "cp949", "부산항 물동량 사상 최대 기록"),
        ("Shift_JIS", "cp932", "横浜港で新しい客船ターミナルが開業"),
        ("TIS-620", "cp874", "เชียงใหม่เปิดเทศกาลดอกไม้ประจำปี"),
    ],
)
def test_labels_read_as_the_supersets_browsers_use(label: str, codec: str, text: str) -> None:
    decoded = decode_xml(xml(text).encode(codec), label)
    assert (decoded.text, decoded.encoding) == (xml(text), codec)


def test_pure_ascii_never_runs_detection() -> None:
    decoded = decode_xml(xml("plain").encode())
    assert (decoded.encoding, decoded.how) == ("utf_8", "default")


def test_undecodable_bytes_are_replaced_rather_than_refused() -> None:
    decoded = decode_xml(b'<?xml version="1.0"?><rss><channel><title>\x81\x8d</title>')
    assert "<rss>" in decoded.text


def test_xml_as_utf8_returns_the_same_bytes_when_they_already_are_utf8() -> None:
    body = xml("Algérie").encode()
    assert xml_as_utf8(body)[0] is body
    assert xml_as_utf8(codecs.BOM_UTF8 + body)[0] == body
    assert xml_as_utf8(xml(RUSSIAN).encode("cp1251"), "windows-1251")[0] == xml(RUSSIAN).encode()


def test_html_meta_charset_is_read() -> None:
    page = f'<html><head><meta charset="shift_jis"><title>x</title></head><body>{"横浜港"}</body>'
    assert decode_html(page.encode("cp932")).text == page


def test_html_http_equiv_charset_is_read() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        f"</head><body>{RUSSIAN}</body></html>"
    )
    assert decode_html(page.encode("cp1251")).how == "meta"


def test_json_is_utf8_first() -> None:
    document = '{"title": "Algérie"}'
    assert decode_json(document.encode(), "iso-8859-1").text == document
    assert decode_json(codecs.BOM_UTF8 + document.encode()).text == document
    assert decode_json(document.encode("cp1252"), "windows-1252").how == "header"


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("koi8-r-undeclared.xml", "koi8_r"),
        ("shift-jis-undeclared.xml", "shift_jis"),
        ("euc-jp-undeclared.xml", "euc_jp"),
        ("euc-kr-undeclared.xml", "euc_kr"),
        ("gb2312-undeclared.xml", "gb2312"),
        ("big5-undeclared.xml", "big5"),
        ("tis-620-undeclared.xml", "tis_620"),
        ("windows-1255-undeclared.xml", "cp1255"),
    ],
)
def test_undeclared_feeds_are_detected(name: str, codec: str) -> None:
    body = (FEEDS / name).read_bytes()
    decoded = decode_xml(body)
    assert decoded.how == "detected"
    assert decoded.text == body.decode(codec)
