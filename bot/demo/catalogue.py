"""The sample news in `stories.toml`: outlets and stories, loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import tomli

__all__ = ["Catalogue", "CatalogueError", "DemoOutlet", "DemoStory", "load_catalogue"]

FeedFormat = Literal["rss", "atom"]
PHASES = (1, 2)


class CatalogueError(ValueError):
    """The sample data file is malformed; the message names the entry and the key."""


@dataclass(frozen=True, slots=True)
class DemoOutlet:
    """A fictional news outlet with one feed."""

    slug: str
    name: str
    lang: str
    format: FeedFormat
    description: str
    furniture_before: tuple[str, ...] = ()
    """Lines the outlet's CMS puts before every story in its feed ("{views}", "{title}")."""
    furniture_after: tuple[str, ...] = ()
    """Lines it puts after every story."""


@dataclass(frozen=True, slots=True)
class DemoStory:
    """One sample news story, published by one outlet in one phase of the demo."""

    outlet: str
    phase: int
    minutes_ago: int
    slug: str
    title: str
    summary: str
    author: str = ""
    tags: tuple[str, ...] = ()
    event: str = ""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All outlets and stories of the demo."""

    outlets: tuple[DemoOutlet, ...]
    stories: tuple[DemoStory, ...]

    def outlet(self, slug: str) -> DemoOutlet:
        """Return the outlet named by `slug`."""
        for outlet in self.outlets:
            if outlet.slug == slug:
                return outlet
        raise KeyError(slug)

    def stories_of(self, outlet: str, phase: int) -> list[DemoStory]:
        """Return what `outlet`'s feed holds in `phase` (earlier phases included), newest first."""
        chosen = [s for s in self.stories if s.outlet == outlet and s.phase <= phase]
        return sorted(chosen, key=lambda s: s.minutes_ago)


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogueError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _outlet(entry: dict[str, Any], index: int) -> DemoOutlet:
    where = f"outlets[{index}]"
    fmt = _text(entry, "format", where)
    if fmt not in ("rss", "atom"):
        raise CatalogueError(f"{where}: format must be 'rss' or 'atom', got {fmt!r}")
    return DemoOutlet(
        slug=_text(entry, "slug", where),
        name=_text(entry, "name", where),
        lang=_text(entry, "lang", where),
        format="rss" if fmt == "rss" else "atom",
        description=_text(entry, "description", where),
        furniture_before=_lines(entry, "furniture_before", where),
        furniture_after=_lines(entry, "furniture_after", where),
    )


def _lines(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _story(entry: dict[str, Any], index: int, outlets: set[str]) -> DemoStory:
    where = f"stories[{index}]"
    outlet = _text(entry, "outlet", where)
    if outlet not in outlets:
        raise CatalogueError(f"{where}: unknown outlet {outlet!r}")
    phase = entry.get("phase")
    if phase not in PHASES:
        raise CatalogueError(f"{where}: phase must be 1 or 2, got {phase!r}")
    minutes = entry.get("minutes_ago")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        raise CatalogueError(f"{where}: minutes_ago must be a whole number >= 0")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CatalogueError(f"{where}: tags must be a list of strings")
    return DemoStory(
        outlet=outlet,
        phase=int(phase),
        minutes_ago=minutes,
        slug=_text(entry, "slug", where),
        title=_text(entry, "title", where),
        summary=" ".join(_text(entry, "summary", where).split()),
        author=_text(entry, "author", where, required=False),
        tags=tuple(tags),
        event=_text(entry, "event", where, required=False),
    )


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    """Check parsed TOML and build the catalogue; slugs are unique per outlet."""
    outlets = tuple(_outlet(e, i) for i, e in enumerate(data.get("outlets", [])))
    if not outlets:
        raise CatalogueError("no [[outlets]] defined")
    slugs = {o.slug for o in outlets}
    if len(slugs) != len(outlets):
        raise CatalogueError("two outlets share a slug")
    stories = tuple(_story(e, i, slugs) for i, e in enumerate(data.get("stories", [])))
    keys = [(s.outlet, s.slug) for s in stories]
    if len(set(keys)) != len(keys):
        raise CatalogueError("two stories of one outlet share a slug")
    return Catalogue(outlets, stories)


@cache
def load_catalogue() -> Catalogue:
    """Load the bundled `stories.toml` (read from the installed package)."""
    text = resources.files("bot.demo").joinpath("stories.toml").read_text(encoding="utf-8")
    return parse_catalogue(tomli.loads(text))
