"""Source kinds, one module each, found by walking this package: adding a kind = adding a file.

A source module defines a class with a `kind` class attribute and an async `fetch(client, state)`
(the bot.ports.Source protocol). `get_source("rss")` returns an instance of that class.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from bot.ports import Source

__all__ = ["get_source", "source_kinds"]


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
