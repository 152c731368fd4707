"""Imports run one way: core <- store, fetch, sources <- settings <- commands <- chat <- app <- cli.

Every `import` in bot/ counts, wherever it is: at the top of a module, inside a function (a lazy
import) or under `if TYPE_CHECKING:`. A lower layer that needs something from a higher one takes
it as a parameter or a Protocol.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

# Lowest first. A module may import its own layer and the layers below it. `bot.settings` (the
# config file's schema) sits under the commands: commands read its watch entries, each chat
# adapter its own section, and it needs nothing above `bot.sources` itself. The web console is a
# surface like the chat platforms; `bot.app.web_console` starts it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.core",),
    ("bot.ports", "bot.store", "bot.fetch", "bot.sources"),
    ("bot.settings",),
    ("bot.commands",),
    ("bot.chat", "bot.web"),
    ("bot.app", "bot.demo", "bot.abstractive"),
    ("bot.cli", "bot.__main__"),
)


def layer_of(module: str) -> int:
    """The layer of a dotted module name; a module in no layer fails the test that lists it."""
    if module == "bot":
        return 0  # the package itself: bot/__init__.py imports nothing
    for number, packages in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in packages):
            return number
    raise LookupError(module)


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every bot.* import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from bot.x import y` imports the module bot.x.y when there is one
            found += [(node.lineno, _deepest(base, alias.name)) for alias in node.names]
    return [(line, name) for line, name in found if name == "bot" or name.startswith("bot.")]


def _deepest(base: str, name: str) -> str:
    path = BOT.parent.joinpath(*f"{base}.{name}".split("."))
    return f"{base}.{name}" if path.is_dir() or path.with_suffix(".py").is_file() else base


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "migrations" not in p.parts)


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for path in modules():
        try:
            layer_of(module_name(path))
        except LookupError:
            unplaced.append(module_name(path))
    assert unplaced == [], "add these to LAYERS in tests/test_import_direction.py"


def test_no_import_runs_against_the_direction() -> None:
    wrong = []
    for path in modules():
        here = layer_of(module_name(path))
        for line, name in imported_modules(path):
            if name == "bot":
                continue
            if layer_of(name) > here:
                wrong.append(f"{path.relative_to(BOT.parent)}:{line} imports {name}")
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import bot.app.build\n", ["bot.app.build"]),
        ("def f():\n    from bot.chat import slack_app\n", ["bot.chat.slack_app"]),
        ("if TYPE_CHECKING:\n    from bot.settings import Settings\n", ["bot.settings"]),
        ("from ..app import build\n", ["bot.app.build"]),
        ("from . import service\n", ["bot.commands.service"]),
    ],
)
def test_lazy_relative_and_type_checking_imports_are_seen(
    tmp_path: Path, source: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = BOT / "commands" / "_probe_for_the_import_test.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert [name for _, name in imported_modules(fake)] == expected
