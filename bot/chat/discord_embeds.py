"""Discord rendering: alerts, updates, digests, bursts and command replies as embeds.

Feed text is hostile: markdown is escaped and mention syntax is broken up, so a feed can neither
format nor (together with `AllowedMentions.none()`) ping. Discord's limits are respected with
clean truncation: title 256, description 4096, field value 1024, all embeds 6000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import discord

from bot.commands.reply import Line, Phrase, Reply
from bot.commands.source_status import source_health
from bot.commands.usage import plain, written
from bot.core.alert import Alert, Marked, Story
from bot.core.visible import strip_invisible, visible_url
from bot.store.records import SourceRecord, WatchRecord

__all__ = [
    "ALSO_REPORTED_FIELD",
    "DESCRIPTION_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "TITLE_LIMIT",
    "alert_embed",
    "alert_embeds",
    "also_reported_text",
    "escape_text",
    "marked_markdown",
    "reply_message",
    "safe_url",
    "truncate",
    "watch_colour",
    "with_also_reported",
]

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
ELLIPSIS = "…"
ALSO_REPORTED_FIELD = "Also reported by"

_PALETTE = (
    0x1ABC9C,
    0x3498DB,
    0x9B59B6,
    0xE67E22,
    0xE91E63,
    0x2ECC71,
    0xF1C40F,
    0x11806A,
    0x206694,
    0xAD1457,
)
_OK_COLOUR = 0x2ECC71
_ERROR_COLOUR = 0xE74C3C
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()<])")
_LINE_START = re.compile(r"^([#\-+]|\d+\.)")
_MENTION = re.compile(r"@(everyone|here|[!&]?\d)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def watch_colour(watch_id: int) -> discord.Colour:
    """A stable colour per watch, so alerts from different watches are told apart at a glance."""
    return discord.Colour(_PALETTE[watch_id % len(_PALETTE)])


def _escape_inline(text: str) -> str:
    """Drop invisible characters, escape markdown and break mentions, keeping the spacing.

    The zero-width space that breaks a mention is added after the feed's own are removed."""
    text = _SPACES.sub(" ", strip_invisible(text))
    return _MENTION.sub("@\u200b\\1", _MARKDOWN.sub(r"\\\1", text))


def _escape_line_start(text: str) -> str:
    return _LINE_START.sub(r"\\\1", text)


def escape_text(text: str) -> str:
    """Escape Discord markdown and break mention syntax in text from outside."""
    return _escape_line_start(_escape_inline(text.strip()))


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters at a word boundary, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    at_word_end = text[len(cut)].isspace()
    if not at_word_end and space > limit // 2:
        cut = cut[:space]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]  # never leave a dangling escape that would swallow the ellipsis
    return cut.rstrip() + ELLIPSIS


def _truncate_marked(pieces: list[tuple[str, bool]], limit: int) -> str:
    """Join (escaped text, bold) runs within `limit` characters without splitting a bold run."""
    out: list[str] = []
    used = 0
    for text, bold in pieces:
        rendered = f"**{text}**" if bold and text.strip() else text
        if used + len(rendered) <= limit - len(ELLIPSIS):
            out.append(rendered)
            used += len(rendered)
            continue
        room = limit - len(ELLIPSIS) - used - (4 if bold else 0)
        if room > 0:
            part = truncate(text, room + len(ELLIPSIS))[: -len(ELLIPSIS)].rstrip()
            if part:
                out.append(f"**{part}**" if bold else part)
        out.append(ELLIPSIS)
        break
    return "".join(out)


def marked_markdown(marked: Marked, limit: int = DESCRIPTION_LIMIT) -> str:
    """Render matched words in bold, everything escaped, within `limit` characters."""
    pieces = [(_escape_inline(text), bold) for text, bold in marked.segments()]
    rendered = "".join(f"**{t}**" if b and t.strip() else t for t, b in pieces)
    if len(rendered) > limit:
        rendered = _truncate_marked(pieces, limit)
    return _escape_line_start(rendered.strip())


def safe_url(url: str) -> str | None:
    """The URL if Discord will accept it as a link (http or https), else None."""
    url = visible_url(url.strip())
    if url.lower().startswith(("http://", "https://")) and len(url) <= 2048 and " " not in url:
        return url
    return None


def _plain(text: str) -> str:
    """Outside text shown without markdown (author names): one line, nothing invisible."""
    return _SPACES.sub(" ", strip_invisible(text)).strip()


def _story_title(story: Story) -> str:
    return truncate(escape_text(story.item.title) or "(untitled)", TITLE_LIMIT)


def _footer(alert: Alert) -> str:
    return truncate(f"Watch #{alert.watch.id} · {strip_invisible(alert.watch.query)}", FOOTER_LIMIT)


def also_reported_text(names: Iterable[str]) -> str:
    """The "Also reported by" list, escaped and within a field's limit."""
    escaped = [escape_text(n) for n in names if n.strip()]
    return truncate(", ".join(escaped), FIELD_VALUE_LIMIT)


def _fit_total(embed: discord.Embed) -> discord.Embed:
    """Shorten the description until the whole embed fits Discord's 6000-character total."""
    excess = len(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        embed.description = truncate(embed.description, max(1, len(embed.description) - excess))
    return embed


def _single_story(alert: Alert) -> discord.Embed:
    story = alert.story
    item = story.item
    embed = discord.Embed(
        title=_story_title(story),
        url=safe_url(item.url),
        description=marked_markdown(story.summary) or None,
        colour=watch_colour(alert.watch.id),
        timestamp=item.published,
    )
    if item.source.strip():
        embed.set_author(name=truncate(_plain(item.source), FIELD_NAME_LIMIT))
    if alert.also_reported_by:
        embed.add_field(name=ALSO_REPORTED_FIELD, value=also_reported_text(alert.also_reported_by))
    embed.set_footer(text=_footer(alert))
    return _fit_total(embed)


def _story_block(story: Story) -> str:
    title = escape_text(story.item.title) or "(untitled)"
    url = safe_url(story.item.url)
    head = f"**[{truncate(title, 200)}]({url})**" if url else f"**{truncate(title, 200)}**"
    source = escape_text(story.item.source)
    summary = marked_markdown(story.summary, 400)
    lines = [head + (f" · {source}" if source else "")]
    if summary:
        lines.append(summary)
    return "\n".join(lines)


def _fold_embed(alert: Alert, part: int, parts: int, description: str) -> discord.Embed:
    count = len(alert.stories)
    if alert.kind == "digest":
        title = f"Digest: {count} new item{'s' if count != 1 else ''}"
    else:
        title = f"{count} more matches in the last minute"
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    query = truncate(_plain(alert.watch.query), TITLE_LIMIT - len(title) - len(suffix) - 5)
    embed = discord.Embed(
        title=f"{title} for {query}{suffix}",
        colour=watch_colour(alert.watch.id),
        description=description or None,
    )
    embed.set_footer(text=_footer(alert))
    return _fit_total(embed)


def _fold_embeds(alert: Alert) -> list[discord.Embed]:
    """A digest or burst as one embed per message, listing every story in order.

    Stories are packed into descriptions that keep each message within Discord's limits
    (description 4,096, whole embed 6,000 characters); a fold too long for one message goes on
    in the next, "(2/3)". No story is ever left out or counted instead.
    """
    probe = _fold_embed(alert, 999, 999, "")
    budget = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(probe)) - 8
    pages: list[list[str]] = [[]]
    used = 0
    for story in alert.stories:
        block = truncate(_story_block(story), budget)
        if pages[-1] and used + 2 + len(block) > budget:
            pages.append([])
            used = 0
        used += len(block) + (2 if pages[-1] else 0)
        pages[-1].append(block)
    return [
        _fold_embed(alert, part, len(pages), "\n\n".join(blocks))
        for part, blocks in enumerate(pages, 1)
    ]


def alert_embeds(alert: Alert) -> list[discord.Embed]:
    """One embed per message: one for an alert or update, more for a fold too long for one."""
    if alert.kind in ("digest", "burst"):
        return _fold_embeds(alert)
    return [_single_story(alert)]


def alert_embed(alert: Alert) -> discord.Embed:
    """The embed of an alert's (first) message: an alert, an update, a digest or a burst."""
    return alert_embeds(alert)[0]


def with_also_reported(embed: discord.Embed, names: Iterable[str]) -> discord.Embed:
    """Return a copy of an alert's embed with its "Also reported by" field set to `names`."""
    updated = embed.copy()
    value = also_reported_text(names)
    for index, field in enumerate(updated.fields):
        if field.name == ALSO_REPORTED_FIELD:
            updated.set_field_at(index, name=ALSO_REPORTED_FIELD, value=value, inline=False)
            break
    else:
        updated.add_field(name=ALSO_REPORTED_FIELD, value=value, inline=False)
    return _fit_total(updated)


# ---- command replies ---------------------------------------------------------------------------


def _defuse(text: str) -> str:
    """Break mentions, masked links and <…> syntax with invisible spaces, keeping `code` spans."""
    text = strip_invisible(text)
    text = _MENTION.sub("@\u200b\\1", text).replace("](", "]\u200b(")
    return text.replace("<", "<\u200b")


def _code_span(text: str) -> str:
    return "`" + strip_invisible(text).replace("`", "'") + "`"


def _line_markdown(line: Line) -> str:
    """Plain reply lines cannot mention or disguise links (they may quote feed titles); Marked
    lines are feed text, fully escaped; a Phrase's text is escaped, its code and commands (as
    Discord writes them, `/watch pause id:12`) are code spans."""
    if isinstance(line, Marked):
        return marked_markdown(line, FIELD_VALUE_LIMIT)
    if isinstance(line, Phrase):
        return "".join(
            line.render(
                text=escape_text,
                code=_code_span,
                command=lambda ref: _code_span(written(ref, "discord")),
            )
        )
    return _defuse(line)


def _code_block(code: str) -> str:
    safe = strip_invisible(code).replace("```", "`\u200b`\u200b`")
    return "```\n" + truncate(safe, 1800) + "\n```"


def _watch_line(watch: WatchRecord, counts: dict[int, int]) -> str:
    where = watch.destination.partition(":")[2]
    if where.startswith("@"):
        place = "by DM"
    elif where.isdigit():
        place = f"<#{where}>"
    else:
        place = escape_text(watch.destination)
    state = (
        " · paused" + (f" ({escape_text(watch.paused_reason)})" if watch.paused_reason else "")
        if watch.paused
        else ""
    )
    mode = "" if watch.mode == "immediate" else f" · {watch.mode} digest"
    count = f" · {counts[watch.id]} in 7 days" if watch.id in counts else ""
    query = _plain(watch.query).replace("`", "'")
    return truncate(f"**#{watch.id}** `{query}` → {place}{mode}{count}{state}", 400)


def _source_line(source: SourceRecord, next_polls: dict[int, str]) -> str:
    health = escape_text(source_health(source))
    due = f" · next poll {escape_text(next_polls[source.id])}" if source.id in next_polls else ""
    return truncate(f"**#{source.id}** {escape_text(source.name)} · {health}{due}", 400)


def _story_embed(story: Story) -> discord.Embed:
    embed = discord.Embed(
        title=_story_title(story),
        url=safe_url(story.item.url),
        description=marked_markdown(story.summary, 1000) or None,
        timestamp=story.item.published,
    )
    if story.item.source.strip():
        embed.set_author(name=truncate(_plain(story.item.source), FIELD_NAME_LIMIT))
    return embed


def reply_message(reply: Reply) -> list[discord.Embed]:
    """A command's reply as embeds: the reply itself, then one per story (all within limits)."""
    body: list[str] = [_line_markdown(line) for line in reply.lines]
    if reply.code:
        body.append(_code_block(reply.code))
    body += [f"⚠️ {escape_text(w)}" for w in reply.warnings]
    body += [_watch_line(w, reply.watch_counts) for w in reply.watches]
    body += [_source_line(s, reply.next_polls) for s in reply.sources]
    main = discord.Embed(
        title=truncate(_plain(plain(reply.title, "discord")), TITLE_LIMIT),
        description=truncate("\n".join(body), DESCRIPTION_LIMIT) or None,
        colour=discord.Colour(_OK_COLOUR if reply.ok else _ERROR_COLOUR),
    )
    embeds = [_fit_total(main)]
    total = len(main)
    for story in reply.stories[: MAX_EMBEDS - 1]:
        embed = _story_embed(story)
        if total + len(embed) > EMBED_TOTAL_LIMIT:
            break
        embeds.append(embed)
        total += len(embed)
    return embeds
