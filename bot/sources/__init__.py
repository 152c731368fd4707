"""Source kinds, one module each, found by walking this package: adding a kind = adding a file.

A source module defines a class with a `kind` class attribute, an optional `label` (a few words
shown when someone names an unknown kind) and an async `fetch(client, state)` (the
bot.ports.Source protocol). `get_source("rss")` returns an instance of that class.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from bot.ports import Source
from bot.sources.address import SourceSpecError, feed_address

__all__ = ["DEFAULT_KIND", "SourceSpecError", "check_source", "get_source", "source_kinds"]

DEFAULT_KIND = "rss"


@cache
def _registry() -> dict[str, Source]:
    """Import every module of the package and index its Source classes by kind."""
    found: dict[str, Source] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            kind = getattr(cls, "kind", None)
            if cls.__module__ != module.__name__ or not isinstance(kind, str):
                continue
            if not inspect.iscoroutinefunction(getattr(cls, "fetch", None)):
                continue
            if kind in found:
                raise RuntimeError(f"two source classes claim kind {kind!r}")
            instance = cls()
            if isinstance(instance, Source):
                found[kind] = instance
    return found


def source_kinds() -> list[str]:
    """Return the known source kinds, sorted."""
    return sorted(_registry())


def get_source(kind: str) -> Source:
    """Return the source for `kind`; raise ValueError naming the known kinds."""
    source = _registry().get(kind)
    if source is None:
        known = ", ".join(source_kinds())
        raise ValueError(f"unknown source kind {kind!r}; known kinds: {known}")
    return source


def check_source(url: str, kind: str) -> str:
    """Return the URL to store for a source of `kind`, or raise SourceSpecError saying why not.

    Every path that adds a source (the config file, the CLI, Slack, Discord, OPML import) calls
    this, so a URL that is not http(s) with a host, or a kind no module provides, never gets in.
    """
    address = feed_address(url)
    sources = _registry()
    if kind not in sources:
        known = ", ".join(_described(name, sources[name]) for name in sorted(sources))
        raise SourceSpecError(f"unknown source kind {kind!r}; known kinds: {known}")
    return address


def _described(kind: str, source: Source) -> str:
    """`kind (label)` when the source class has a `label`, else the kind alone."""
    label = getattr(source, "label", "")
    return f"{kind} ({label})" if label else kind
