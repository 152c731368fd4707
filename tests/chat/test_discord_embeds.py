"""Discord embeds: escaping of hostile feed text, Discord's limits, colours, replies."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.discord_embeds import (
    ALSO_REPORTED_FIELD,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    TITLE_LIMIT,
    alert_embed,
    alert_embeds,
    escape_text,
    marked_markdown,
    reply_message,
    truncate,
    watch_colour,
    with_also_reported,
)
from bot.commands.reply import Reply
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.store.records import WatchRecord

WATCH = WatchRef(7, "algeria AND readmission", "discord:1300000000000000001", "discord:1")
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def story(
    title: str = "Algeria signs readmission deal",
    summary: str = "",
    *,
    marks: tuple[tuple[int, int], ...] = (),
    url: str = "https://news.example/1",
    source: str = "World",
) -> Story:
    text = summary or f"{title}. More details follow."
    item = Item(title=title, url=url, source=source, published=WHEN)
    return Story(item, Marked(text, marks))


def alert(*stories: Story, kind: str = "alert", **extra: object) -> Alert:
    return Alert(1, kind, WATCH, tuple(stories) or (story(),), **extra)  # type: ignore[arg-type]


def test_alert_embed_links_title_bolds_matches_and_names_the_watch():
    s = story(
        "Algeria signs readmission deal",
        "Algeria and France sign a readmission deal.",
        marks=((0, 7), (26, 37)),
    )
    embed = alert_embed(alert(s))
    assert embed.title == "Algeria signs readmission deal"
    assert embed.url == "https://news.example/1"
    assert embed.description == "**Algeria** and France sign a **readmission** deal."
    assert embed.author.name == "World"
    assert embed.timestamp == WHEN
    assert embed.footer.text == "Watch #7 · algeria AND readmission"
    assert embed.colour == watch_colour(7)


def test_colour_is_stable_per_watch_and_differs_between_neighbours():
    assert watch_colour(3) == watch_colour(3)
    assert len({watch_colour(i).value for i in range(10)}) == 10


def test_mentions_and_markdown_from_a_feed_are_neutralised():
    hostile = "@everyone @here <@123456789012345678> <@&42> <#99> **bold** [bank](https://evil)"
    out = escape_text(hostile)
    for raw in ("@everyone", "@here", "<@1", "<@&", "**", "[bank]("):
        assert raw not in out
    assert re.search(r"(?<!\\)<", out) is None  # every < is escaped: no mention, no emoji
    assert "everyone" in out and "bank" in out


def test_line_start_markdown_is_escaped():
    assert escape_text("# Heading").startswith("\\#")
    assert escape_text("- item").startswith("\\-")
    assert escape_text("a - b") == "a - b"


def test_non_http_links_are_not_used():
    embed = alert_embed(alert(story(url="javascript:alert(1)")))
    assert embed.url is None


def test_truncate_cuts_at_a_word_with_an_ellipsis():
    assert truncate("short", 10) == "short"
    cut = truncate("the quick brown fox jumps over the lazy dog", 20)
    assert cut == "the quick brown fox…" and len(cut) <= 20


def test_truncate_never_leaves_a_dangling_escape():
    cut = truncate("x" * 8 + "\\*" * 10, 12)
    assert len(cut) <= 12
    body = cut.removesuffix("…")
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0


def test_bold_survives_truncation_balanced():
    text = "readmission " * 600
    marks = tuple((i * 12, i * 12 + 11) for i in range(600))
    out = marked_markdown(Marked(text, marks), 100)
    assert len(out) <= 100 and out.count("**") % 2 == 0


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=600),
    summary=st.text(min_size=0, max_size=9000),
    source=st.text(max_size=400),
)
def test_any_feed_text_fits_discord_limits(title, summary, source):
    embed = alert_embed(
        alert(
            story(title, summary or "x", source=source),
            also_reported_by=(source,) * 30,
            kind="update",
        )
    )
    assert len(embed.title or "") <= TITLE_LIMIT
    assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert "@everyone" not in (embed.description or "") + (embed.title or "")


def test_a_digest_too_long_for_one_message_goes_on_in_the_next_listing_every_story():
    stories = [story(f"Story {i} " + "w" * 240, "long text " * 300) for i in range(40)]
    embeds = alert_embeds(alert(*stories, kind="digest"))
    assert len(embeds) > 1
    for part, embed in enumerate(embeds, 1):
        assert len(embed) <= EMBED_TOTAL_LIMIT
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
        assert (embed.title or "").startswith("Digest: 40 new items")
        assert (embed.title or "").endswith(f"({part}/{len(embeds)})")
    text = "\n".join(e.description or "" for e in embeds)
    assert [text.count(f"[Story {i} ") for i in range(40)] == [1] * 40
    assert "more." not in text
    assert alert_embed(alert(*stories, kind="digest")).to_dict() == embeds[0].to_dict()


def test_burst_embed_lists_the_folded_stories():
    embed = alert_embed(alert(story("One"), story("Two"), kind="burst"))
    assert "2 more matches" in (embed.title or "")
    assert "One" in (embed.description or "") and "Two" in (embed.description or "")


def test_update_field_is_replaced_not_duplicated():
    first = with_also_reported(alert_embed(alert()), ["Le Monde"])
    second = with_also_reported(first, ["Le Monde", "El País"])
    fields = [f for f in second.fields if f.name == ALSO_REPORTED_FIELD]
    assert len(fields) == 1 and fields[0].value == "Le Monde, El País"


def test_syntax_error_reply_shows_the_caret_in_a_code_block_and_is_red():
    reply = Reply.error(
        "That rule has a syntax error",
        "unbalanced parenthesis",
        code="Algeria AND (x\n            ^",
    )
    (embed,) = reply_message(reply)
    assert "```\nAlgeria AND (x\n            ^\n```" in (embed.description or "")
    assert embed.colour is not None and embed.colour.value == 0xE74C3C


def test_code_block_cannot_be_closed_by_the_rule():
    (embed,) = reply_message(Reply.error("bad", code="a ``` b\n  ^"))
    assert (embed.description or "").count("```") == 2


def test_reply_lists_watches_with_channel_mentions_and_adds_story_embeds():
    watches = [
        WatchRecord(1, "a AND b", "discord:1300000000000000001"),
        WatchRecord(
            2, "c", "discord:@1400000000000000002", paused=True, paused_reason="channel deleted"
        ),
    ]
    reply = Reply(
        title="2 watches",
        watches=watches,
        watch_counts={1: 4},
        stories=[story("First"), story("Second")],
    )
    embeds = reply_message(reply)
    text = embeds[0].description or ""
    assert "<#1300000000000000001>" in text and "4 in 7 days" in text
    assert "by DM" in text and "paused (channel deleted)" in text
    assert [e.title for e in embeds[1:]] == ["First", "Second"]
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT


def test_reply_lines_quoting_feed_titles_cannot_ping_or_disguise_links():
    reply = Reply(
        title="Source #1 added",
        lines=["Source: @everyone [bank](https://evil.example) <@123456789012345678> `code`"],
    )
    (embed,) = reply_message(reply)
    text = embed.description or ""
    assert "@everyone" not in text and "](" not in text and "<@" not in text
    assert "`code`" in text


def test_a_source_list_shows_the_next_poll_and_why():
    from bot.store.records import SourceRecord

    source = SourceRecord(1, "Wire", "https://wire.example/rss", last_status="ok")
    reply = Reply(
        title="1 source", sources=[source], next_polls={1: "in 4m, 10:04 UTC (interval 5m)"}
    )
    (embed,) = reply_message(reply)
    shown = (embed.description or "").replace("\\(", "(").replace("\\)", ")")
    assert "**#1** Wire · ok · next poll in 4m, 10:04 UTC (interval 5m)" in shown
