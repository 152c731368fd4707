"""Slack rendering: alerts, updates, digests, bursts and command replies as Block Kit.

Text from outside (feed titles, summaries, source names, rules people typed) is mrkdwn-escaped
exactly once (`&`, `<`, `>`), which defuses `<!channel>`, `<@U…>` and disguised links. Lengths
are cut to Slack's block limits after escaping, never inside an escape (`&amp;`) or between the
halves of a surrogate pair. Every message also gets a plain-text fallback for notifications.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.commands.reply import Line, Phrase, Reply, cmd
from bot.commands.source_status import source_health
from bot.commands.usage import plain, written
from bot.core.alert import Alert, Marked, Story
from bot.core.visible import strip_invisible, visible_url
from bot.store.records import SourceRecord, WatchRecord

__all__ = [
    "ACTION_HOME_PAUSE",
    "ACTION_HOME_REMOVE",
    "ACTION_HOME_RESUME",
    "ACTION_OPEN",
    "ACTION_PAUSE_WATCH",
    "ACTION_SHARE",
    "SECTION_LIMIT",
    "TEXT_LIMIT",
    "alert_blocks",
    "alert_pages",
    "alert_text",
    "escape_mrkdwn",
    "fit",
    "home_view",
    "link",
    "marked_mrkdwn",
    "reply_blocks",
    "reply_text",
    "safe_url",
]

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
URL_LIMIT = 3000
TEXT_LIMIT = 4000
MAX_BLOCKS = 50
HOME_BLOCKS = 100
ELLIPSIS = "…"

ACTION_PAUSE_WATCH = "watch_pause"
ACTION_OPEN = "open_link"
ACTION_SHARE = "news_share"
ACTION_HOME_PAUSE = "home_pause"
ACTION_HOME_RESUME = "home_resume"
ACTION_HOME_REMOVE = "home_remove"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPE = re.compile(r"[&<>]")
_PARTIAL_ESCAPE = re.compile(r"&[a-z]{0,3}$")
_SPACES = re.compile(r"\s+")
_URL_UNSAFE = {"|": "%7C", "<": "%3C", ">": "%3E", '"': "%22"}

Block = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<` and `>` once, so outside text can neither mention nor link; invisible
    format characters (bidi controls, zero-width characters) are removed."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], strip_invisible(text))


def _plain(text: str) -> str:
    """Collapse whitespace runs (feed text brings newlines and tabs), drop invisible characters."""
    return _SPACES.sub(" ", strip_invisible(text)).strip()


def fit(text: str, limit: int) -> str:
    """Cut already-escaped text to `limit` characters with an ellipsis, never inside an escape
    sequence or a surrogate pair."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ELLIPSIS))]
    partial = _PARTIAL_ESCAPE.search(cut)
    if partial:
        cut = cut[: partial.start()]
    if cut and "\ud800" <= cut[-1] <= "\udbff":
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) * 3 // 4:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def safe_url(url: str) -> str | None:
    """The URL if it is an http(s) link Slack can carry inside `<…|…>`, else None."""
    url = visible_url(url.strip())
    if not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
        return None
    for char, code in _URL_UNSAFE.items():
        url = url.replace(char, code)
    return url if len(url) <= URL_LIMIT else None


def link(url: str, label: str) -> str:
    """A mrkdwn link with an escaped label; just the label when the URL is unusable."""
    target = safe_url(url)
    text = escape_mrkdwn(_plain(label)) or "(untitled)"
    return f"<{target}|{text}>" if target else text


def marked_mrkdwn(marked: Marked, limit: int = SECTION_LIMIT) -> str:
    """Render matched words in bold, everything escaped, within `limit` characters."""
    out: list[str] = []
    used = 0
    for raw, bold in marked.segments():
        piece = escape_mrkdwn(_SPACES.sub(" ", raw))
        stripped = piece.strip()
        rendered = piece.replace(stripped, f"*{stripped}*", 1) if bold and stripped else piece
        if used + len(rendered) > limit - len(ELLIPSIS):
            room = limit - len(ELLIPSIS) - used - (2 if bold else 0)
            if room > 1:
                part = fit(stripped if bold else piece, room + len(ELLIPSIS))[: -len(ELLIPSIS)]
                part = part.strip()
                if part:
                    out.append(f"*{part}*" if bold else part)
            out.append(ELLIPSIS)
            break
        out.append(rendered)
        used += len(rendered)
    return "".join(out).strip()


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, SECTION_LIMIT)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, SECTION_LIMIT)}]}


def _header(text: str) -> Block:
    plain = _plain(text) or "Wirewatch"
    return {"type": "header", "text": {"type": "plain_text", "text": fit(plain, HEADER_LIMIT)}}


def _button(text: str, action_id: str, *, value: str = "", url: str = "", style: str = "") -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": fit(_plain(text), BUTTON_TEXT_LIMIT)},
        "action_id": action_id,
    }
    if value:
        button["value"] = value[:BUTTON_VALUE_LIMIT]
    if url:
        button["url"] = url
    if style:
        button["style"] = style
    return button


def _when(published: datetime | None) -> str:
    """Slack's own relative time ("3 hours ago") for the reader's time zone, with a fallback."""
    if published is None:
        return ""
    fallback = published.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(published.timestamp())}^{{ago}}|{fallback}>"


def _watch_context(alert: Alert) -> str:
    return f"#{alert.watch.id} · {escape_mrkdwn(_plain(alert.watch.query))}"


def also_reported_line(names: Iterable[str]) -> str:
    """ "Also reported by: Le Monde, Al Jazeera +2" (escaped; at most four names spelt out)."""
    clean = [escape_mrkdwn(_plain(n)) for n in names if n.strip()]
    shown = ", ".join(clean[:4]) + (f" +{len(clean) - 4}" if len(clean) > 4 else "")
    return f"Also reported by: {shown}"


def _story_head(story: Story) -> str:
    item = story.item
    parts = [f"*{link(item.url, item.title)}*"]
    meta = [escape_mrkdwn(_plain(item.source))] if item.source.strip() else []
    when = _when(item.published)
    if when:
        meta.append(when)
    if meta:
        parts.append(" · ".join(meta))
    return "\n".join(parts)


def _single_story(alert: Alert) -> list[Block]:
    story = alert.story
    blocks: list[Block] = [_section(_story_head(story))]
    summary = marked_mrkdwn(story.summary)
    if summary:
        blocks.append(_section(summary))
    if alert.also_reported_by:
        blocks.append(_context(also_reported_line(alert.also_reported_by)))
    blocks.append(_context(_watch_context(alert)))
    buttons = [_button("Pause this watch", ACTION_PAUSE_WATCH, value=str(alert.watch.id))]
    url = safe_url(story.item.url)
    if url:
        buttons.append(_button("Open", ACTION_OPEN, url=url))
    blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _newest_first(stories: Iterable[Story]) -> list[Story]:
    return sorted(
        stories,
        key=lambda s: s.item.published.timestamp() if s.item.published else float("-inf"),
        reverse=True,
    )


def _fold_entry(story: Story) -> str:
    """One story of a digest or burst: headline link, source and time, summary when it has one."""
    summary = marked_mrkdwn(story.summary, 600)
    return _story_head(story).replace("\n", " · ", 1) + (f"\n{summary}" if summary else "")


def _fold_title(alert: Alert, part: int, parts: int) -> Block:
    count = len(alert.stories)
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    if alert.kind == "digest":
        return _header(f"Digest: {count} new item{'s' if count != 1 else ''}{suffix}")
    return _section(f"*{count} more matches for #{alert.watch.id}*{suffix}")


def _fold_pages(alert: Alert) -> list[list[Block]]:
    """A digest or burst as one or more messages that list every story, newest first.

    Stories are packed into sections of at most 3,000 characters, sections into messages of at
    most 50 blocks (with the title, the watch and the Pause button); a fold too long for one
    message continues in the next, "(2/3)". No story is ever left out or counted instead.
    """
    entries = [_fold_entry(story) for story in _newest_first(alert.stories)]
    sections = _joined_sections(entries, separator="\n\n")
    per_page = MAX_BLOCKS - 3
    chunks = [sections[i : i + per_page] for i in range(0, len(sections), per_page)] or [[]]
    pages: list[list[Block]] = []
    for part, chunk in enumerate(chunks, 1):
        blocks = [_fold_title(alert, part, len(chunks)), *chunk, _context(_watch_context(alert))]
        if part == len(chunks):
            pause = _button("Pause this watch", ACTION_PAUSE_WATCH, value=str(alert.watch.id))
            blocks.append({"type": "actions", "elements": [pause]})
        pages.append(blocks)
    return pages


def alert_pages(alert: Alert) -> list[list[Block]]:
    """The messages for an alert: one, except for a fold too long for one message."""
    if alert.kind in ("digest", "burst"):
        return _fold_pages(alert)
    return [_single_story(alert)]


def alert_blocks(alert: Alert) -> list[Block]:
    """The blocks of an alert's (first) message: an alert, an update, a digest or a burst."""
    return alert_pages(alert)[0]


def alert_text(alert: Alert) -> str:
    """The plain-text fallback (notifications, screen readers), escaped like the blocks."""
    if alert.kind in ("digest", "burst"):
        count = len(alert.stories)
        what = "new items" if alert.kind == "digest" else "more matches"
        text = f"{count} {what} for #{alert.watch.id} · {_plain(alert.watch.query)}"
    else:
        item = alert.story.item
        text = f"{_plain(item.title) or '(untitled)'}"
        if item.source.strip():
            text += f" ({_plain(item.source)})"
        if alert.also_reported_by:
            text += f", also reported by {', '.join(_plain(n) for n in alert.also_reported_by)}"
    return fit(escape_mrkdwn(text), TEXT_LIMIT)


# ---- command replies ---------------------------------------------------------------------------


def _place(destination: str) -> str:
    target = destination.partition(":")[2]
    if target.startswith("@"):
        return "by DM"
    if re.fullmatch(r"[CGD][A-Z0-9]{2,20}", target):
        return f"<#{target}>"
    return escape_mrkdwn(destination)


def _watch_line(watch: WatchRecord, counts: dict[int, int]) -> str:
    state = ""
    if watch.paused:
        reason = f" ({escape_mrkdwn(_plain(watch.paused_reason))})" if watch.paused_reason else ""
        state = f" · paused{reason}"
    mode = "" if watch.mode == "immediate" else f" · {escape_mrkdwn(watch.mode)} digest"
    count = f" · {counts[watch.id]} in 7 days" if watch.id in counts else ""
    query = escape_mrkdwn(_plain(watch.query)).replace("`", "'")
    return fit(f"*#{watch.id}* `{query}` → {_place(watch.destination)}{mode}{count}{state}", 600)


def _source_line(source: SourceRecord, next_polls: dict[int, str]) -> str:
    health = escape_mrkdwn(_plain(source_health(source)))
    due = f" · next poll {escape_mrkdwn(next_polls[source.id])}" if source.id in next_polls else ""
    return fit(f"*#{source.id}* {link(source.url, source.name)} · {health}{due}", 600)


def _code_span(text: str) -> str:
    return "`" + escape_mrkdwn(_plain(text)).replace("`", "'") + "`"


def _phrase(phrase: Phrase) -> str:
    """Text escaped; code and commands (as Slack writes them) in code spans."""
    return "".join(
        phrase.render(
            text=escape_mrkdwn,
            code=_code_span,
            command=lambda ref: _code_span(written(ref, "slack")),
        )
    )


def _line(line: Line) -> str:
    if isinstance(line, Marked):
        return marked_mrkdwn(line, 1000)
    if isinstance(line, Phrase):
        return _phrase(line)
    return escape_mrkdwn(line)


def _joined_sections(lines: list[str], separator: str = "\n") -> list[Block]:
    """Pack lines into as few sections as fit Slack's 3000-character limit."""
    blocks: list[Block] = []
    body = ""
    for line in lines:
        if body and len(body) + len(separator) + len(line) > SECTION_LIMIT:
            blocks.append(_section(body))
            body = ""
        body = f"{body}{separator}{line}" if body else line
    if body:
        blocks.append(_section(body))
    return blocks


def reply_blocks(reply: Reply, *, share_value: str | None = None) -> list[Block]:
    """A command's reply as blocks; `share_value` adds a "Share in channel" button."""
    title = ("" if reply.ok else "⚠️ ") + _line(reply.title)
    blocks: list[Block] = [_section(f"*{title}*")]
    body = [_line(line) for line in reply.lines]
    if reply.code:
        code = escape_mrkdwn(reply.code).replace("```", "'''")
        body.append("```" + fit(code, SECTION_LIMIT - 200) + "```")
    body += [f"⚠️ {escape_mrkdwn(w)}" for w in reply.warnings]
    body += [_watch_line(w, reply.watch_counts) for w in reply.watches]
    body += [_source_line(s, reply.next_polls) for s in reply.sources]
    blocks += _joined_sections(body)
    room = MAX_BLOCKS - len(blocks) - 1
    for story in reply.stories[: max(0, room)]:
        summary = marked_mrkdwn(story.summary, 600)
        blocks.append(_section(_story_head(story) + (f"\n{summary}" if summary else "")))
    if share_value is not None and reply.ok:
        blocks.append(
            {
                "type": "actions",
                "elements": [_button("Share in channel", ACTION_SHARE, value=share_value)],
            }
        )
    return blocks[:MAX_BLOCKS]


def reply_text(reply: Reply) -> str:
    """The plain-text fallback of a reply: its title and first line."""
    first = reply.lines[0] if reply.lines else ""
    first_text = first.text if isinstance(first, Marked) else plain(first, "slack")
    title = _plain(plain(reply.title, "slack"))
    text = title + (f": {_plain(first_text)}" if first_text else "")
    return fit(escape_mrkdwn(text), TEXT_LIMIT)


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home tab: each watch with Pause or Resume and Remove buttons."""
    blocks: list[Block] = [_header(plain(reply.title, "slack"))]
    blocks += _joined_sections([_line(line) for line in reply.lines])
    for index, watch in enumerate(reply.watches):
        if len(blocks) + 3 > HOME_BLOCKS:
            hidden = len(reply.watches) - index
            more = _code_span(written(cmd("watch", "list"), "slack"))
            blocks.append(_context(f"and {hidden} more: see {more}"))
            break
        toggle = (
            _button("Resume", ACTION_HOME_RESUME, value=str(watch.id), style="primary")
            if watch.paused
            else _button("Pause", ACTION_HOME_PAUSE, value=str(watch.id))
        )
        remove = _button("Remove", ACTION_HOME_REMOVE, value=str(watch.id), style="danger")
        blocks.append(_section(_watch_line(watch, reply.watch_counts)))
        blocks.append({"type": "actions", "elements": [toggle, remove]})
    return {"type": "home", "blocks": blocks}
