"""The console output: readable cards, bold matched words, and feed text that cannot restyle."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from bot.chat.console import ConsoleNotifier, clean_line, relative_time, render_alert
from bot.core.alert import Alert, Marked, Story, WatchRef
from bot.core.item import Item
from bot.ports import DeliveryError, Notifier

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
WATCH = WatchRef(12, "Algeria AND readmission", "console")
SUMMARY = "Algeria agreed to speed up the readmission of its nationals."


def story(
    title: str = "France and Algeria resume security cooperation",
    *,
    minutes: int = 12,
    source: str = "Wire Service",
    url: str = "https://wire.example/fa",
    summary: Marked | None = None,
) -> Story:
    item = Item(title=title, url=url, source=source, published=NOW - timedelta(minutes=minutes))
    return Story(item, summary or Marked(SUMMARY, ((0, 7), (31, 42))), ("algeria", "readmission"))


def make_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=True, color_system="truecolor"), out


async def send(alert: Alert) -> tuple[str | None, str]:
    """Send through the notifier to a plain (colourless) console; return the ref and the text."""
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, force_terminal=False)
    ref = await ConsoleNotifier(console, clock=lambda: NOW).send("", alert)
    return ref, out.getvalue()


def styled_segments(alert: Alert) -> list[tuple[str, bool, str]]:
    """Render `alert` and return (text, bold, colour name) for every segment."""
    console, _ = make_console()
    segments = console.render(render_alert(alert, NOW))
    return [
        (
            s.text,
            bool(s.style and s.style.bold),
            s.style.color.name if s.style and s.style.color else "",
        )
        for s in segments
    ]


def test_the_console_notifier_satisfies_the_notifier_protocol():
    assert isinstance(ConsoleNotifier(make_console()[0]), Notifier)
    assert ConsoleNotifier.scheme == "console"


async def test_an_alert_card_shows_headline_source_times_summary_link_and_watch():
    ref, text = await send(Alert(41, "alert", WATCH, (story(),)))
    assert ref == "41"
    assert "France and Algeria resume security cooperation" in text
    assert "Wire Service · 12 min ago (2026-11-23 19:48 UTC)" in text
    assert SUMMARY in text
    assert "https://wire.example/fa" in text
    assert "#12 · Algeria AND readmission" in text


def test_the_marked_words_are_bold_and_nothing_else_of_the_summary_is():
    segments = styled_segments(Alert(41, "alert", WATCH, (story(),)))
    bold = {text for text, is_bold, _ in segments if is_bold}
    assert {"Algeria", "readmission"} <= bold
    assert not any("nationals" in text for text in bold)


@pytest.mark.parametrize(
    "title",
    [
        "[bold red]x[/]",
        "[link=https://evil.example]click[/link]",
        "[/]",
        "[blink]y",
    ],
)
async def test_rich_markup_in_feed_text_prints_literally(title):
    alert = Alert(
        1,
        "alert",
        WatchRef(3, "[red]q[/red]", "console"),
        (story(title, source="[green]Src[/]", summary=Marked(f"{title} body")),),
    )
    _, text = await send(alert)
    assert title in text
    assert "[green]Src[/]" in text
    assert "#3 · [red]q[/red]" in text
    colours = {colour for _, _, colour in styled_segments(alert)}
    assert not colours & {"red", "green"}


async def test_terminal_escapes_and_bidi_overrides_are_removed():
    title = "Calm\x1b[2J\x1b]0;pwned\x07 title \u202eevil\x07"
    console, out = make_console()
    alert = Alert(1, "alert", WATCH, (story(title, summary=Marked("a\x1b[31mred\x1b[0m b")),))
    await ConsoleNotifier(console, clock=lambda: NOW).send("", alert)
    printed = out.getvalue()
    assert "\x1b[2J" not in printed and "pwned" not in printed and "\u202e" not in printed
    assert "\x07" not in printed and "\x1b[31mred" not in printed
    assert clean_line(title) == "Calm title evil"


async def test_only_plain_http_links_are_clickable():
    safe = styled_segments(Alert(1, "alert", WATCH, (story(url="https://ok.example/a"),)))
    console, _ = make_console()
    links = {
        s.style.link
        for s in console.render(
            render_alert(Alert(1, "alert", WATCH, (story(url="javascript:alert(1)"),)), NOW)
        )
        if s.style
    }
    assert links == {None}
    assert any("https://ok.example/a" in text for text, _, _ in safe)


async def test_an_update_names_the_outlets_and_the_alert_it_updates():
    alert = Alert(
        44,
        "update",
        WATCH,
        (story("Algiers and Paris restore ties", source="Daily Ledger"),),
        also_reported_by=("Gulf Observer", "Daily Ledger"),
        updates="41",
        extra={"updates_delivery": "41"},
    )
    ref, text = await send(alert)
    assert ref == "44"
    assert "update to alert 41: also reported by Gulf Observer, Daily Ledger" in text
    assert "Algiers and Paris restore ties (Daily Ledger)" in text
    assert len(text.strip().splitlines()) <= 4


async def test_a_digest_lists_every_story_newest_first():
    stories = (
        story("Older story", minutes=90),
        story("Newest story", minutes=2),
        story("Middle story", minutes=30),
        *(story(f"Story {n}", minutes=100 + n, url=f"https://wire.example/{n}") for n in range(80)),
    )
    _, text = await send(Alert(50, "digest", WATCH, stories))
    assert "Digest · 83 stories for #12 · Algeria AND readmission" in text
    assert text.index("Newest story") < text.index("Middle story") < text.index("Older story")
    for n in range(80):
        assert f"Story {n} " in text and re.search(rf"https://wire\.example/{n}\b", text)
    assert "more" not in text.replace("more matches", "")  # no story is only a count


async def test_a_burst_lists_every_headline_and_link():
    stories = tuple(story(f"Headline {n}", minutes=n) for n in range(60))
    _, text = await send(Alert(60, "burst", WATCH, stories))
    assert "60 more matches for #12" in text
    assert all(f"Headline {n} " in text for n in range(60))
    assert "and " not in text


async def test_an_item_without_date_source_or_link_still_renders():
    bare = Story(Item(title=""), Marked(""))
    _, text = await send(Alert(2, "alert", WATCH, (bare,)))
    assert "(untitled)" in text and "time unknown" in text and "(no link)" in text


def test_relative_times_read_naturally():
    assert relative_time(NOW - timedelta(seconds=20), NOW) == "just now"
    assert relative_time(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert relative_time(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h ago"
    assert relative_time(NOW - timedelta(days=1, hours=2), NOW) == "1 day ago"
    assert relative_time(NOW - timedelta(days=4), NOW) == "4 days ago"
    assert relative_time(NOW + timedelta(hours=1), NOW) == "in the future"


class _BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError("stdout closed")


async def test_a_closed_terminal_is_a_retryable_delivery_error():
    notifier = ConsoleNotifier(Console(file=_BrokenPipe()), clock=lambda: NOW)
    with pytest.raises(DeliveryError) as caught:
        await notifier.send("", Alert(1, "alert", WATCH, (story(),)))
    assert "console" in caught.value.message
