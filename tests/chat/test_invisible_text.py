"""Issue #18 point 8: no output shows a feed's bidi controls or invisible format characters.

One hostile story goes through every renderer (Slack blocks and fallback text, Discord embeds,
the console card, the JSONL/webhook record), as an alert, an update, a digest and a burst.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from bot.chat.alert_json import alert_to_json, alert_to_line
from bot.chat.console import render_alert
from bot.chat.discord_embeds import alert_embed
from bot.chat.slack_blocks import alert_blocks, alert_text
from bot.core.alert import Alert, AlertKind, Marked, Story, WatchRef
from bot.core.item import Item

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u2060\ufeff\U000e0041"
RLO = "\u202e"


def hostile_story(n: int) -> Story:
    title = f"Invoice{RLO}fdp.exe {n} \u2066Algeria\u2069 readmission\u200b deal"
    summary = f"{RLO}Algeria\u200f agreed on \u2067readmission\u2069{HIDDEN}."
    start = summary.index("readmission")
    item = Item(
        title=title,
        url=f"https://news.example/{n}{RLO}",
        source=f"Wire{HIDDEN} Service",
        author=f"Sami{RLO} Benali",
        summary=f"feed{HIDDEN} summary",
        tags=(f"Alg{RLO}eria",),
        published=NOW,
    )
    marks = ((1, 8), (start, start + len("readmission")))
    return Story(item, Marked(summary, marks), ("algeria", "readmission"))


def alert(kind: AlertKind) -> Alert:
    stories = (
        (hostile_story(1),)
        if kind in ("alert", "update")
        else tuple(hostile_story(n) for n in range(1, 4))
    )
    return Alert(
        7,
        kind,
        WatchRef(3, f"Algeria{RLO} AND readmission", "console"),
        stories,
        also_reported_by=(f"Gulf{RLO} Observer",) if kind == "update" else (),
    )


def console_text(message: Alert) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render_alert(message, NOW))
    return out.getvalue()


RENDERERS = {
    "slack blocks": lambda a: json.dumps(alert_blocks(a), ensure_ascii=False),
    "slack text": alert_text,
    "discord": lambda a: json.dumps(alert_embed(a).to_dict(), ensure_ascii=False),
    "console": console_text,
    "jsonl": lambda a: alert_to_line(a).decode(),
}


@pytest.mark.parametrize("kind", ["alert", "update", "digest", "burst"])
@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_no_renderer_shows_an_invisible_character(renderer, kind):
    shown = RENDERERS[renderer](alert(kind))
    found = sorted({hex(ord(c)) for c in shown if c in HIDDEN})
    assert found == [], f"{renderer} shows {found}"
    if renderer == "slack text" and kind in ("digest", "burst"):
        assert "Algeria AND readmission" in shown  # the fallback names the watch only
    else:
        assert "fdp.exe" in shown  # the text itself is kept, in reading order


def test_the_json_record_keeps_its_highlights_on_the_matched_words():
    record = alert_to_json(alert("alert"))
    summary = record["summary"]
    assert summary == "Algeria agreed on readmission."
    assert [summary[s:e] for s, e in record["highlights"]] == ["Algeria", "readmission"]
    item = record["item"]
    assert item["source"] == "Wire Service" and item["author"] == "Sami Benali"
    assert item["tags"] == ["Algeria"] and item["summary"] == "feed summary"
    assert item["url"] == "https://news.example/1%E2%80%AE"


def test_discord_still_breaks_mentions_with_its_own_zero_width_space():
    story = hostile_story(1)
    pinging = Story(
        Item(title="@\u200beveryone look", url="https://x.example/", published=NOW), story.summary
    )
    message = Alert(1, "alert", WatchRef(3, "q", "discord:1"), (pinging,))
    title = alert_embed(message).title or ""
    assert title.startswith("@\u200beveryone")  # the feed's ZWSP went; ours breaks the mention
