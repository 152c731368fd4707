"""The `console` output: each alert as a readable card in the terminal (rich).

Feed text is hostile: it is only ever put into rich `Text` objects (never parsed as rich markup,
so "[bold red]x[/]" prints literally), and control characters, terminal escape sequences and
bidirectional overrides are removed first, so an item cannot restyle or rewrite the terminal.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.text import Text

from bot.core.alert import Alert, Marked, Story
from bot.core.visible import strip_invisible, strip_invisible_marked, visible_url
from bot.ports import DeliveryError

__all__ = ["ConsoleNotifier", "clean_line", "relative_time", "render_alert"]

log = logging.getLogger(__name__)

_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SAFE_LINK = re.compile(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$", re.IGNORECASE)
HEADLINE_STYLE = "bold"
MARK_STYLE = "bold"


def clean_line(text: str) -> str:
    """Return `text` on one line without escape sequences, control or invisible characters."""
    text = strip_invisible(_ESCAPE_SEQUENCE.sub("", text))
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def _marked_text(summary: Marked) -> Text:
    """Build a Text of the cleaned summary with its marked spans in bold."""
    out = Text()
    previous_space = True
    for piece, emphasised in strip_invisible_marked(summary).segments():
        cleaned = _CONTROL.sub(" ", _ESCAPE_SEQUENCE.sub("", piece))
        kept: list[str] = []
        for char in cleaned:
            is_space = char.isspace()
            if not (is_space and previous_space):
                kept.append(" " if is_space else char)
            previous_space = is_space
        out.append("".join(kept), style=MARK_STYLE if emphasised else None)
    out.rstrip()
    return out


def relative_time(when: datetime, now: datetime) -> str:
    """Say how long ago `when` was: "just now", "12 min ago", "3 h ago", "2 days ago"."""
    seconds = (now - when).total_seconds()
    if seconds < -120:
        return "in the future"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "1 day ago" if days == 1 else f"{days} days ago"


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _when(story: Story, now: datetime) -> str:
    """Return "12 min ago (2026-11-23 19:41 UTC)", or "time unknown"."""
    published = story.item.published
    if published is None:
        return "time unknown"
    published = _aware(published).astimezone(UTC)
    return f"{relative_time(published, now)} ({published:%Y-%m-%d %H:%M} UTC)"


def _link(url: str) -> Text:
    """Show the URL as text; make it clickable only when it is a plain http(s) URL."""
    shown = clean_line(url)
    if not shown:
        return Text("(no link)", style="dim")
    target = visible_url(url)
    style = (
        Style(underline=True, link=target) if _SAFE_LINK.match(target) else Style(underline=True)
    )
    return Text(shown, style=style)


def _source(story: Story) -> str:
    return clean_line(story.item.source) or clean_line(story.item.site) or "unknown source"


def _watch_label(alert: Alert) -> Text:
    return Text(f"#{alert.watch.id} · {clean_line(alert.watch.query)}")


def _headline(story: Story) -> Text:
    return Text(clean_line(story.item.title) or "(untitled)", style=HEADLINE_STYLE)


def _alert_card(alert: Alert, now: datetime) -> RenderableType:
    story = alert.story
    meta = Text(f"{_source(story)} · {_when(story, now)}", style="dim")
    parts: list[RenderableType] = [_headline(story), meta]
    if story.summary.text.strip():
        parts += [Text(""), _marked_text(story.summary)]
    parts += [Text(""), _link(story.item.url)]
    return Panel(
        Group(*parts),
        title=_watch_label(alert),
        title_align="left",
        subtitle=Text(f"delivery {alert.delivery_id}", style="dim"),
        subtitle_align="right",
        border_style="cyan",
    )


def _update_line(alert: Alert) -> RenderableType:
    story = alert.story
    names = [clean_line(name) for name in alert.also_reported_by if clean_line(name)]
    reported = ", ".join(names) if names else _source(story)
    original = alert.extra.get("updates_delivery") or alert.updates
    target = f"alert {clean_line(original)}" if original else "an earlier alert"
    line = Text("↻ ", style="yellow")
    line.append(f"#{alert.watch.id} · update to {target}: also reported by {reported}")
    headline = Text(clean_line(story.item.title) or "(untitled)", style="italic")
    headline.append(f" ({_source(story)})", style="dim")
    return Group(line, Padding(Group(headline, _link(story.item.url)), (0, 0, 0, 3)))


def _newest_first(stories: tuple[Story, ...]) -> list[Story]:
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(
        stories,
        key=lambda s: _aware(s.item.published) if s.item.published else floor,
        reverse=True,
    )


def _story_list(stories: list[Story], now: datetime) -> list[RenderableType]:
    lines: list[RenderableType] = []
    for story in stories:  # every one: a story is never reduced to a count
        line = Text("• ")
        line.append_text(_headline(story))
        line.append(f"  {_source(story)} · {_when(story, now)}", style="dim")
        lines.append(line)
        lines.append(Text("  ").append_text(_link(story.item.url)))
    return lines


def _folded_card(alert: Alert, now: datetime) -> RenderableType:
    stories = _newest_first(alert.stories)
    count = len(stories)
    if alert.kind == "burst":
        title = Text(f"{count} more matches for ")
        title.append_text(_watch_label(alert))
    else:
        title = Text(f"Digest · {count} {'story' if count == 1 else 'stories'} for ")
        title.append_text(_watch_label(alert))
    parts = _story_list(stories, now)
    return Panel(
        Group(*parts),
        title=title,
        title_align="left",
        subtitle=Text(f"delivery {alert.delivery_id}", style="dim"),
        subtitle_align="right",
        border_style="magenta" if alert.kind == "burst" else "blue",
    )


def render_alert(alert: Alert, now: datetime) -> RenderableType:
    """Build the rich renderable for any kind of alert, as of `now` (for relative times)."""
    if not alert.stories:
        return Text(f"#{alert.watch.id}: an empty {alert.kind} (nothing to show)", style="dim")
    if alert.kind == "update":
        return _update_line(alert)
    if alert.kind in ("digest", "burst"):
        return _folded_card(alert, now)
    return _alert_card(alert, now)


class ConsoleNotifier:
    """Print alerts as rich cards on a console (stdout by default)."""

    scheme: ClassVar[str] = "console"

    def __init__(
        self,
        console: Console | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.console = console or Console()
        self.clock = clock

    async def send(self, target: str, alert: Alert) -> str | None:
        """Print `alert` in one write; return the delivery id (named by later updates).

        The card is rendered first and written by us, so a closed terminal is a DeliveryError
        (rich's own handling of a broken pipe would exit the process).
        """
        card = self._render(render_alert(alert, _aware(self.clock())))
        try:
            self.console.file.write(card)
            self.console.file.flush()
        except OSError as err:
            raise DeliveryError(f"cannot write to the console: {err}") from err
        return str(alert.delivery_id)

    def _render(self, renderable: RenderableType) -> str:
        """Render to a string with the target console's width, colours and terminal features."""
        target = self.console
        out = io.StringIO()
        buffer = Console(
            file=out,
            width=target.width,
            color_system=target.color_system,  # type: ignore[arg-type]
            force_terminal=target.is_terminal,
            no_color=target.no_color,
            legacy_windows=False,
        )
        buffer.print(renderable)
        return out.getvalue()

    async def notify_owner(self, owner: str, text: str) -> None:
        """Log the message: the owner of a console watch is the operator at the terminal."""
        log.warning("to %s: %s", owner or "the operator", text)

    async def aclose(self) -> None:
        """Nothing to release."""
