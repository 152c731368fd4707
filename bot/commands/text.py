"""Parse the free text of a Slack-style slash command into a sub-command and its arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ParsedWatchAdd", "parse_since", "parse_watch_add", "split_subcommand"]

# Slack escapes channel mentions as <#C123|name> (or <#C123> ); a bare #name stays text.
_CHANNEL_MENTION = re.compile(r"\s*<#([A-Z0-9]+)(?:\|[^>]*)?>\s*")
_DIGEST = re.compile(
    r"\s+digest\s+(hourly|(?:daily|weekly\s+[A-Za-z]{3,9})\s+\d{1,2}:\d{2}"
    r"(?:\s+[A-Za-z_]+/[A-Za-z_+\-/]+|\s+UTC)?)\s*$",
    re.IGNORECASE,
)
_SINCE = re.compile(r"\s+since\s+(\d+\s*[smhdw])\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedWatchAdd:
    """The parts of `/watch add <query> [#channel] [digest ...]`."""

    query: str
    channel: str | None
    digest: str | None


def split_subcommand(text: str) -> tuple[str, str]:
    """Return (sub-command lower-cased, rest) of "add Algeria AND x" -> ("add", "Algeria AND x")."""
    head, _, rest = text.strip().partition(" ")
    return head.lower(), rest.strip()


def parse_watch_add(text: str) -> ParsedWatchAdd:
    """Pull an optional channel mention and an optional trailing digest clause out of the rule text."""
    digest = None
    m = _DIGEST.search(" " + text)
    if m:
        digest = " ".join(m.group(1).split())
        text = (" " + text)[: m.start()].strip()
    channel = None
    mention = _CHANNEL_MENTION.search(text)
    if mention:
        channel = mention.group(1)
        text = (text[: mention.start()] + " " + text[mention.end() :]).strip()
    return ParsedWatchAdd(query=text.strip(), channel=channel, digest=digest)


def parse_since(text: str) -> tuple[str, str | None]:
    """Split a trailing `since 7d` from a look-up query."""
    m = _SINCE.search(" " + text)
    if not m:
        return text.strip(), None
    return (" " + text)[: m.start()].strip(), m.group(1).replace(" ", "")
