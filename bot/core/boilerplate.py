"""The generic boilerplate list: "Read more", "The post X appeared first on Y", share bars.

This is the fallback for a source's first items only; after those, a source's boilerplate is
what it repeats across its own items (`bot.core.boilerplate_learning`). The list is applied in
two passes: trailing teasers are cut from the end of a line, then whole lines or sentences that
are nothing but furniture are dropped by `is_boilerplate`. `split_boilerplate` also returns what
it removed, so that the full text stays searchable.

`strip_truncation_marks` is not furniture detection: the `[…]` a CMS puts after a cut excerpt
is removed from every item, since a summary marks its own cuts.
"""

from __future__ import annotations

import re

__all__ = ["is_boilerplate", "split_boilerplate", "strip_boilerplate", "strip_truncation_marks"]

_TEASER = (
    r"(?:read|continue|keep)\s+(?:more|reading|the\s+(?:full\s+)?(?:story|article))"
    r"|lire\s+la\s+suite|(?:la\s+)?suite\s+de\s+l['’]article|en\s+savoir\s+plus"
)
# "… Read more »", "[...] Continue reading →", "Read more at Site" after the last sentence.
_TRAILING_TEASER = re.compile(
    r"(?:(?<=[.!?…»\"”)\]])|\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…|\.\.\.))\s*"
    rf"(?:{_TEASER})(?:\s+(?:at|on|sur|here|ici)\s[^\n]{{0,60}})?[^\w\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
_TRAILING_ELLIPSIS = re.compile(r"\s*\[\s*(?:…|\.\.\.)\s*\]\s*$", re.MULTILINE)
_TRAILING_CREDIT = re.compile(
    r"\s*(?:the\s+post\s+[^\n]{1,300}?\s+appeared\s+first\s+on"
    r"|l['’]article\s+[^\n]{1,300}?\s+est\s+apparu\s+en\s+premier\s+sur)\s+[^\n]{1,120}$",
    re.IGNORECASE | re.MULTILINE,
)
_WHOLE = [
    re.compile(rf"^\W*(?:{_TEASER})\b.*$", re.IGNORECASE),
    re.compile(r"^the\s+post\s+.+\s+appeared\s+first\s+on\s+.+$", re.IGNORECASE),
    re.compile(
        r"^(?:l['’]article|le\s+billet)\s+.+\s+est\s+apparu\s+en\s+premier\s+sur\s+.+$", re.I
    ),
    re.compile(r"^(?:total|post|page)\s+views?\s*:?\s*[\d,.\s]*$", re.IGNORECASE),
    re.compile(r"^(?:vues?|lectures?)\s*:?\s*[\d\s.,]+$", re.IGNORECASE),
    re.compile(
        r"^(?:share|partager|tweet|email|print|imprimer|pin|like)"
        r"(?:\s+(?:this|it|on|sur|via|by|par|article|story))*"
        r"(?:\s*[:|,/]?\s*(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|email|e-mail"
        r"|pinterest|bluesky|mastodon|threads|print))*\W*$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|email|pinterest|bluesky"
        r"|mastodon|threads)\W*)+$",
        re.IGNORECASE,
    ),
    re.compile(r"^(?:advertisement|publicité|sponsored|annonce)\W*$", re.IGNORECASE),
    # A row of page controls: "Zoom In Zoom Out Read Later Print", "A+ A- Listen Save".
    re.compile(
        r"^(?:(?:zoom\s+in|zoom\s+out|read\s+later|print|save|bookmark|listen|share|email"
        r"|font\s+size|text\s+size|a\+|a-|a|comments?)(?:\W+|$)){2,}$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:sign\s+up|subscribe|abonnez-vous|inscrivez-vous)\b.{0,100}"
        r"(?:newsletter|inbox|updates|lettre)\W*$",
        re.IGNORECASE,
    ),
    re.compile(r"^(?:related|à\s+lire\s+aussi|lire\s+aussi|see\s+also|voir\s+aussi)\s*:.*$", re.I),
    re.compile(r"^(?:click|tap)\s+here\b.*$", re.IGNORECASE),
    re.compile(
        r"^(?:photo|image|picture|credit|crédit|illustration|video|vidéo)s?\s*:.{0,80}$", re.I
    ),
    re.compile(r"^\W*$"),
]


def is_boilerplate(sentence: str) -> bool:
    """Tell whether one sentence or line is feed furniture rather than news."""
    stripped = sentence.strip()
    return any(pattern.match(stripped) for pattern in _WHOLE)


def strip_truncation_marks(text: str) -> str:
    """Remove the `[…]` / `[...]` a CMS puts at the end of a cut excerpt, on every line."""
    return _TRAILING_ELLIPSIS.sub("", text) if "[" in text else text


def split_boilerplate(text: str) -> tuple[str, list[str]]:
    """Remove trailing teasers and whole furniture lines from plain `text` (lines kept apart).

    Return the text left and the pieces removed, in order.
    """
    removed: list[str] = []

    def cut(match: re.Match[str]) -> str:
        if match.group().strip():
            removed.append(match.group().strip())
        return ""

    text = _TRAILING_CREDIT.sub(cut, text)
    text = _TRAILING_TEASER.sub(cut, text)
    text = strip_truncation_marks(text)
    kept: list[str] = []
    for line in text.split("\n"):
        if is_boilerplate(line):
            if line.strip():
                removed.append(line.strip())
        else:
            kept.append(line.strip())
    return "\n".join(kept), removed


def strip_boilerplate(text: str) -> str:
    """Remove trailing teasers and whole furniture lines from plain `text` (lines kept apart)."""
    return split_boilerplate(text)[0]
