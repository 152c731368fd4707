"""Block Kit rendering: escaping once, limits, alerts of every kind, replies and App Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.chat.slack_blocks import (
    ACTION_OPEN,
    ACTION_PAUSE_WATCH,
    ACTION_SHARE,
    SECTION_LIMIT,
    alert_blocks,
    alert_pages,
    alert_text,
    escape_mrkdwn,
    fit,
    home_view,
    link,
    marked_mrkdwn,
    reply_blocks,
    reply_text,
    safe_url,
)
from bot.commands.reply import Reply
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.store.records import WatchRecord

WATCH = WatchRef(id=12, query="Algeria AND readmission", destination="slack:C123", owner="slack:U1")
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PINGS = ("<!channel>", "<!here>", "<@U", "<!subteam", "<https://evil")


def make_story(n: int, title: str = "Algeria and readmission", summary: str = "") -> Story:
    text = summary or f"Story {n}: Algeria agreed on readmission."
    item = Item(
        title=title,
        url=f"https://news.example/{n}",
        source="Le Monde",
        published=WHEN - timedelta(hours=n),
    )
    return Story(
        item=item, summary=Marked(text, ((text.find("Algeria"), text.find("Algeria") + 7),))
    )


def make_alert(
    kind: str = "alert", stories: tuple[Story, ...] | None = None, **kw: object
) -> Alert:
    return Alert(
        delivery_id=1,
        kind=kind,  # type: ignore[arg-type]
        watch=WATCH,
        stories=stories or (make_story(1),),
        **kw,  # type: ignore[arg-type]
    )


def all_text(blocks: object) -> str:
    """Every string in a block tree, joined (for counting what a message shows)."""
    return "\n".join(every_text(blocks))


def every_text(blocks: object) -> list[str]:
    """Every string in a block tree (text, labels, values, urls)."""
    if isinstance(blocks, str):
        return [blocks]
    if isinstance(blocks, dict):
        return [t for v in blocks.values() for t in every_text(v)]
    if isinstance(blocks, list):
        return [t for v in blocks for t in every_text(v)]
    return []


def test_escape_replaces_the_three_control_characters_once() -> None:
    assert (
        escape_mrkdwn("a & b <!channel> <@U1> > ") == "a &amp; b &lt;!channel&gt; &lt;@U1&gt; &gt; "
    )
    assert escape_mrkdwn("&amp;") == "&amp;amp;"
    assert escape_mrkdwn("é \"quoted\" 'x'") == "é \"quoted\" 'x'"


def test_fit_never_cuts_an_escape_or_a_surrogate() -> None:
    text = escape_mrkdwn("a" * 8 + "<<<<")
    for limit in range(1, len(text)):
        cut = fit(text, limit)
        assert len(cut) <= limit
        body = cut.removesuffix("…")
        assert not body.endswith(("&", "&l", "&lt", "&a", "&am", "&amp", "&g", "&gt"))
    paired = "ab" + "\ud83d\ude00" * 5
    for limit in range(2, len(paired)):
        assert fit(paired, limit).removesuffix("…")[-1:] != "\ud83d"


@given(st.text(alphabet="ab &<>\U0001f600", max_size=80), st.integers(1, 60))
def test_fit_keeps_whole_escapes_for_any_text(raw: str, limit: int) -> None:
    cut = fit(escape_mrkdwn(raw), limit)
    assert len(cut) <= limit
    body = cut.removesuffix("…")
    rest = body
    while "&" in rest:
        rest = rest[rest.index("&") :]
        assert rest.startswith(("&amp;", "&lt;", "&gt;")), body
        rest = rest[1:]


def test_safe_url_refuses_other_schemes_and_defuses_link_syntax() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://a.example/x y") is None
    assert safe_url("https://a.example/a|b>c") == "https://a.example/a%7Cb%3Ec"
    assert link("https://evil.example|bank", "<b>Bank</b>") == (
        "<https://evil.example%7Cbank|&lt;b&gt;Bank&lt;/b&gt;>"
    )
    assert link("ftp://x", "Title") == "Title"


def test_marked_summary_is_bold_where_matched_and_cut_within_the_limit() -> None:
    marked = Marked("Algeria & readmission <!here>", ((0, 7), (10, 21)))
    assert marked_mrkdwn(marked) == "*Algeria* &amp; *readmission* &lt;!here&gt;"
    long = Marked("word " * 1000 + "Algeria", ((5000, 5007),))
    assert len(marked_mrkdwn(long, 100)) <= 100


def test_an_alert_has_link_source_time_summary_context_and_two_buttons() -> None:
    blocks = alert_blocks(make_alert())
    head = blocks[0]["text"]["text"]
    assert head.startswith("*<https://news.example/1|Algeria and readmission>*")
    assert "Le Monde · <!date^" in head and "{ago}" in head
    assert "*Algeria*" in blocks[1]["text"]["text"]
    assert blocks[2]["elements"][0]["text"] == "#12 · Algeria AND readmission"
    pause, open_ = blocks[3]["elements"]
    assert (pause["text"]["text"], pause["action_id"], pause["value"]) == (
        "Pause this watch",
        ACTION_PAUSE_WATCH,
        "12",
    )
    assert (open_["text"]["text"], open_["action_id"], open_["url"]) == (
        "Open",
        ACTION_OPEN,
        "https://news.example/1",
    )
    assert alert_text(make_alert()) == "Algeria and readmission (Le Monde)"


def test_an_update_says_who_else_reported_it() -> None:
    names = ("Le Monde", "Al Jazeera", "BBC", "DW", "NPR", "<!channel>")
    blocks = alert_blocks(make_alert("update", also_reported_by=names, updates="C1:1.2"))
    texts = every_text(blocks)
    assert "Also reported by: Le Monde, Al Jazeera, BBC, DW +2" in texts


def test_a_digest_lists_every_story_newest_first() -> None:
    stories = (make_story(3, "Old"), make_story(1, "New"), make_story(2, "Middle"))
    blocks = alert_blocks(make_alert("digest", stories))
    assert blocks[0]["text"]["text"] == "Digest: 3 new items"
    body = blocks[1]["text"]["text"]
    assert body.index("|New>") < body.index("|Middle>") < body.index("|Old>")
    assert "more" not in all_text(blocks)


def test_a_digest_too_long_for_one_message_goes_on_in_the_next() -> None:
    stories = tuple(make_story(n, f"Story {n} " + "x" * 300, "y " * 2000) for n in range(200))
    pages = alert_pages(make_alert("digest", stories))
    assert len(pages) > 1
    for part, blocks in enumerate(pages, 1):
        assert len(blocks) <= 50
        assert blocks[0]["text"]["text"] == f"Digest: 200 new items ({part}/{len(pages)})"
        assert all(len(t) <= SECTION_LIMIT for t in every_text(blocks))
    text = "".join(all_text(blocks) for blocks in pages)
    assert [text.count(f"|Story {n} x") for n in range(200)] == [1] * 200
    assert pages[-1][-1]["type"] == "actions"  # Pause this watch, under the last part
    assert alert_blocks(make_alert("digest", stories)) == pages[0]


def test_a_burst_lists_every_headline_as_a_link() -> None:
    stories = tuple(make_story(n, f"Headline {n}") for n in range(8))
    blocks = alert_blocks(make_alert("burst", stories))
    assert blocks[0]["text"]["text"] == "*8 more matches for #12*"
    assert blocks[1]["text"]["text"].count("<https://news.example/") == 8
    many = tuple(make_story(n, f"Headline {n} " + "h" * 200) for n in range(300))
    pages = alert_pages(make_alert("burst", many))
    text = "".join(all_text(blocks) for blocks in pages)
    assert [text.count(f"|Headline {n} h") for n in range(300)] == [1] * 300
    assert " more</" not in text and "and 1" not in text


def test_hostile_feed_text_pings_nobody_in_any_field() -> None:
    hostile = "<!channel> <@U123> <!subteam^S1> <https://evil.example|bank>"
    story = Story(
        item=Item(title=hostile, url="https://n.example/1", source=hostile, published=WHEN),
        summary=Marked(hostile, ((0, 10),)),
    )
    alert = make_alert("update", (story,), also_reported_by=(hostile,), updates="C1:1.2")
    for kind in ("alert", "update", "digest", "burst"):
        rendered = alert_blocks(make_alert(kind, (story,), also_reported_by=(hostile,)))
        texts = [*every_text(rendered), alert_text(alert)]
        for text in texts:
            for ping in PINGS:
                assert ping not in text, (kind, text)


def test_reply_escapes_lines_and_offers_share_only_when_asked() -> None:
    reply = Reply(
        title="Watch #1 added",
        lines=["Rule: `Algeria AND <!here>`", Marked("Algeria news", ((0, 7),))],
        warnings=["did you mean AND?"],
        code="Algeria ANDD x\n        ^",
        stories=[make_story(1)],
        shareable=True,
    )
    blocks = reply_blocks(reply, share_value="Algeria since 7d")
    texts = every_text(blocks)
    assert blocks[0]["text"]["text"] == "*Watch #1 added*"
    assert not any("<!here>" in t for t in texts)
    assert any("*Algeria* news" in t for t in texts)
    assert any("```Algeria ANDD x\n        ^```" in t for t in texts)
    assert blocks[-1]["elements"][0]["action_id"] == ACTION_SHARE
    assert blocks[-1]["elements"][0]["value"] == "Algeria since 7d"
    assert all(b["type"] != "actions" for b in reply_blocks(reply))
    assert reply_text(reply) == "Watch #1 added: Rule: `Algeria AND &lt;!here&gt;`"
    assert json.dumps(blocks)


def test_home_view_has_pause_or_resume_and_remove_per_watch() -> None:
    watches = [
        WatchRecord(id=1, query="a AND b", destination="slack:C123", owner="slack:U1"),
        WatchRecord(id=2, query="c", destination="slack:@U1", owner="slack:U1", paused=True),
    ]
    view = home_view(Reply(title="Your Wirewatch", watches=watches))
    assert view["type"] == "home"
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    labels = [[e["text"]["text"] for e in a["elements"]] for a in actions]
    assert labels == [["Pause", "Remove"], ["Resume", "Remove"]]
    texts = every_text(view)
    assert any("<#C123>" in t for t in texts) and any("by DM" in t for t in texts)


def test_home_view_with_many_watches_stays_within_a_hundred_blocks() -> None:
    watches = [WatchRecord(id=n, query=f"w{n}", destination="slack:C1") for n in range(80)]
    blocks = home_view(Reply(title="Your Wirewatch", watches=watches))["blocks"]
    assert len(blocks) <= 100
    shown = sum(1 for b in blocks if b["type"] == "actions")
    assert blocks[-1]["elements"][0]["text"] == f"and {80 - shown} more: see `/watch list`"


def test_a_source_list_shows_the_next_poll_and_why() -> None:
    from bot.store.records import SourceRecord

    source = SourceRecord(1, "Wire <!here>", "https://wire.example/rss", last_status="ok")
    reply = Reply(
        title="1 source",
        sources=[source],
        next_polls={1: "in 15m, 10:15 UTC (publisher's max-age 15m)"},
    )
    text = json.dumps(reply_blocks(reply))
    assert "next poll in 15m, 10:15 UTC (publisher's max-age 15m)" in text
    assert "<!here>" not in text
