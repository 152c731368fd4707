"""OPML import: nested folders, and every hostile or broken file refused with a clear message."""

from __future__ import annotations

import pytest

from bot.sources.opml import OpmlEntry, parse_opml

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Subs</title></head><body>
  <outline text="News">
    <outline text="World">
      <outline type="rss" text="Le Monde" title="Le Monde International"
        xmlUrl="https://www.lemonde.fr/international/rss_full.xml" htmlUrl="https://www.lemonde.fr/"/>
    </outline>
    <outline text="BBC" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
  </outline>
  <outline text="Loose" xmlUrl="http://loose.test/feed" category="Misc"/>
  <outline text="Duplicate" xmlUrl="http://loose.test/feed"/>
  <outline text="Not a web feed" xmlUrl="file:///etc/passwd"/>
  <outline text="Folder only"/>
</body></opml>"""


def test_nested_outlines_keep_their_folders() -> None:
    assert parse_opml(OPML) == [
        OpmlEntry(
            "https://www.lemonde.fr/international/rss_full.xml",
            "Le Monde International",
            "https://www.lemonde.fr/",
            "News/World",
        ),
        OpmlEntry("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC", "", "News"),
        OpmlEntry("http://loose.test/feed", "Loose", "", "Misc"),
    ]


def test_an_empty_body_lists_nothing() -> None:
    assert parse_opml(b"<opml version='1.0'><head/><body/></opml>") == []


LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml><body><outline text="&lol2;" xmlUrl="http://x.test/"/></body></opml>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml><body><outline text="&x;" xmlUrl="http://x.test/"/></body></opml>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (LAUGHS, "DTD"),
        (XXE, "DTD"),
        (b"<opml><body><outline text='a'></body></opml>", r"not well-formed XML \(line 1, column"),
        (b"\x00\x01garbage", "not well-formed"),
        (b"<rss><channel/></rss>", "root element is <rss>"),
        (b"<opml><head/></opml>", "no <body>"),
        (
            b"<opml><body>" + b"<outline>" * 60 + b"</outline>" * 60 + b"</body></opml>",
            "nested more than 50",
        ),
    ],
)
def test_bad_files_raise_value_error_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_opml(data)
