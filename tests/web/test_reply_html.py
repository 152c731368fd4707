"""The console writes a reply in HTML, and a command reference as the page that does it."""

from __future__ import annotations

import pytest

from bot.commands.reply import Code, cmd, say, usage_of
from bot.commands.spec import Command
from bot.commands.table import COMMANDS
from bot.core.alert import Marked
from bot.web.render import command_place, marked_html, plain_text

CONSOLE_PAGES = ("/", "/test", "/sources", "/watches/new", "/watches/12", "/sources/12")
CHAT = [c for c in COMMANDS if c.on("slack") or c.on("discord")]


@pytest.mark.parametrize("command", CHAT, ids=lambda c: c.path)
def test_every_chat_command_has_a_place_in_the_console(command: Command) -> None:
    for ref in (
        cmd(command.group, command.name, id=12),
        cmd(command.group, command.name),
        usage_of(command.group, command.name),
    ):
        href, words = command_place(ref)
        assert href in CONSOLE_PAGES, (command.path, href)
        assert words[0].islower() and "/" not in words, words
        html = str(marked_html(say("See ", ref, ".")))
        assert f'<a href="{href}">' in html and "`" not in html


def test_a_phrase_in_html_and_in_a_notice() -> None:
    line = say("To silence it meanwhile: ", cmd("watch", "pause", id=3), " (", Code("<b>"), ")")
    assert str(marked_html(line)) == (
        'To silence it meanwhile: <a href="/watches/3">the Pause button on watch #3&#39;s page'
        "</a> (<code>&lt;b&gt;</code>)"
    )
    assert plain_text(line) == "To silence it meanwhile: the Pause button on watch #3's page (<b>)"
    feed = say("• Le Monde: ", cmd("sources", "add", url="https://lemonde.example/rss"))
    assert str(marked_html(feed)) == (
        '• Le Monde: <code>https://lemonde.example/rss</code> (<a href="/sources">the form on '
        "the sources page</a>)"
    )
    assert plain_text(feed) == (
        "• Le Monde: https://lemonde.example/rss (the form on the sources page)"
    )
    assert str(marked_html(Marked("Algeria <deal>", ((0, 7),)))) == (
        "<mark>Algeria</mark> &lt;deal&gt;"
    )
