"""Where alerts go: `console`, `jsonl:PATH`, `webhook:URL`, `slack:CHANNEL`, `discord:CHANNEL_ID`.

A leading `@` on a Slack or Discord target means a direct message to that user
(`slack:@U123`, `discord:@4567`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SCHEMES", "Destination", "DestinationError", "parse_destination"]

SCHEMES = ("console", "jsonl", "webhook", "slack", "discord")
_SLACK_TARGET = re.compile(r"^@?[A-Z0-9]{2,20}$|^#?[a-z0-9][a-z0-9_\-]{0,79}$")
_DISCORD_TARGET = re.compile(r"^@?[0-9]{15,21}$")


class DestinationError(ValueError):
    """A destination string a person wrote that cannot be used; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A parsed destination: the notifier scheme and its target ("" for console)."""

    scheme: str
    target: str = ""

    def __str__(self) -> str:
        return self.scheme if not self.target else f"{self.scheme}:{self.target}"


def parse_destination(text: str) -> Destination:
    """Parse a destination string, raising DestinationError with an actionable message."""
    raw = text.strip()
    scheme, _, target = raw.partition(":")
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise DestinationError(
            f"unknown destination {raw!r}: use one of console, jsonl:PATH, webhook:URL, "
            "slack:CHANNEL, discord:CHANNEL_ID"
        )
    target = target.strip()
    if scheme == "console":
        if target:
            raise DestinationError("'console' takes no target: write just console")
        return Destination("console")
    if not target:
        raise DestinationError(f"{scheme}: needs a target, e.g. {_EXAMPLES[scheme]}")
    if scheme == "webhook" and not target.lower().startswith(("http://", "https://")):
        raise DestinationError(f"webhook target must be an http(s) URL, got {target!r}")
    if scheme == "slack" and not _SLACK_TARGET.match(target):
        raise DestinationError(
            f"slack target {target!r} is not a channel id (C0123ABCD), #name or @USERID"
        )
    if scheme == "discord" and not _DISCORD_TARGET.match(target):
        raise DestinationError(
            f"discord target {target!r} is not a channel id (a 17-20 digit number) or @USERID"
        )
    return Destination(scheme, target)


_EXAMPLES = {
    "jsonl": "jsonl:data/alerts.jsonl",
    "webhook": "webhook:https://example.org/hook",
    "slack": "slack:C0123ABCD",
    "discord": "discord:123456789012345678",
}
