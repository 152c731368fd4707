"""The registry finds every source module by walking the package."""

from __future__ import annotations

import pytest

from bot.ports import Source
from bot.sources import get_source, source_kinds


def test_every_kind_is_discovered() -> None:
    assert source_kinds() == ["gdelt", "html", "jsonfeed", "rss"]


@pytest.mark.parametrize("kind", ["rss", "jsonfeed", "gdelt", "html"])
def test_get_source_returns_a_source_of_that_kind(kind: str) -> None:
    source = get_source(kind)
    assert isinstance(source, Source)
    assert source.kind == kind


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown source kind 'atom'; known kinds: gdelt, html"):
        get_source("atom")
