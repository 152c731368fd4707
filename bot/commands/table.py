"""Every command of Wirewatch, declared once: the chat commands and the terminal's own.

Each surface is generated from these two tuples: Slack's text commands and its manifest's
command list, Discord's app_commands tree, the CLI's subparsers, and the usage lines every
surface prints. A chat command's `handler` is the `CommandService` method that runs it (it gets
the caller and the arguments by name); a command of the terminal only names the
`module:function` the CLI imports when it runs, so `wirewatch check` loads no database.

Adding a sub-command: one `Command` here, its handler, tests (`tests/commands/test_table.py`
checks the handler takes exactly the declared arguments; each surface's tests are generated
from the table). A new chat group also needs `wirewatch manifest --write`.
"""

from __future__ import annotations

from bot.commands.spec import CLI, Arg, ArgType, Command, Group, Permission

__all__ = [
    "COMMANDS",
    "DIGEST_SUGGESTIONS",
    "GROUPS",
    "command",
    "commands_of",
    "group",
    "group_names",
]

DIGEST_SUGGESTIONS = (
    "hourly",
    "daily 08:00",
    "daily 08:00 Europe/Paris",
    "daily 18:00",
    "weekly mon 08:00",
    "weekly mon 08:00 Europe/Paris",
)

_RULE = Arg(
    "query",
    'The rule, e.g. Algeria AND (readmission OR "return agreement")',
    ArgType.RULE,
    required=True,
    tail=True,
    placeholder="<rule>",
    cli_help="the rule (quoted, or as several words)",
)
_WATCH_ID = Arg(
    "id",
    "The watch id (type to search)",
    ArgType.WATCH_ID,
    required=True,
    placeholder="<id>",
    max_length=20,
    cli_help="the watch id (wirewatch watch list shows them)",
)
_SOURCE_ID = Arg(
    "id",
    "The source id (type to search)",
    ArgType.SOURCE_ID,
    required=True,
    placeholder="<id>",
    max_length=20,
    cli_help="the source id (wirewatch sources list shows them)",
)
_FORMAT = Arg(
    "format",
    "toml or json (default: the file's extension, else toml)",
    ArgType.FORMAT,
    flag="--format",
    choices=("toml", "json"),
    surfaces=CLI,
)

GROUPS: tuple[Group, ...] = (
    Group(
        "watch",
        "Get alerts when news matches a rule",
        usage_hint="add Algeria AND readmission [#channel] [digest daily 08:00]",
        manage_channels=True,
    ),
    Group("news", "Look up the news archive with a rule", "Algeria AND readmission [since 7d]"),
    Group("sources", "Manage the feeds Wirewatch polls", "add https://example.org/feed.xml"),
    Group("db", "database maintenance", surfaces=CLI),
)

COMMANDS: tuple[Command, ...] = (
    # ---- /watch --------------------------------------------------------------------------------
    Command(
        "watch",
        "add",
        "Alert this channel (or you, in a DM) on a rule",
        "watch_add",
        Permission.CHANNEL,
        (
            _RULE,
            Arg(
                "channel",
                "Post the alerts in this channel instead of here",
                ArgType.CHANNEL,
                flag="--to",
                placeholder="#channel",
                metavar="DEST",
                cli_help="where alerts go: console | jsonl:PATH | webhook:URL | slack:CHANNEL | "
                "discord:CHANNEL_ID (default console)",
            ),
            Arg(
                "digest",
                '"hourly", "daily 08:00 Europe/Paris" or "weekly mon 08:00" instead of each alert',
                ArgType.DIGEST,
                keyword="digest",
                flag="--digest",
                placeholder="hourly | daily HH:MM | weekly DAY HH:MM [Area/City]",
                metavar="MODE",
                max_length=60,
                suggestions=DIGEST_SUGGESTIONS,
            ),
            Arg(
                "rules",
                "add one watch per line of this file (blank lines and # comments skipped); "
                "one mistake adds nothing",
                ArgType.PATH,
                flag="--file",
                metavar="FILE",
                instead_of="query",
                handler="watch_add_rules",
                surfaces=CLI,
            ),
        ),
        cli_help="add a watch, or one per line of a file (--file)",
    ),
    Command(
        "watch",
        "list",
        "This channel's watches and your own",
        "watch_list",
        private=True,
        aliases=("ls",),
        cli_help="list every watch, with its status and matches in 7 days",
    ),
    Command("watch", "remove", "Delete a watch", "watch_remove", Permission.OWNER, (_WATCH_ID,)),
    Command(
        "watch",
        "pause",
        "Stop a watch's alerts, until resumed or for a while",
        "watch_pause",
        Permission.OWNER,
        (
            _WATCH_ID,
            Arg(
                "until",
                'Resume by itself: "for 2h" or "until 18:00 Europe/Paris" (default: never)',
                ArgType.PAUSE,
                tail=True,
                placeholder="for 2h | until 18:00 [Area/City]",
                metavar="SPAN",
                max_length=60,
            ),
        ),
    ),
    Command(
        "watch", "resume", "Resume a paused watch", "watch_resume", Permission.OWNER, (_WATCH_ID,)
    ),
    Command(
        "watch",
        "test",
        "Check a rule and see what it would have matched",
        "watch_test",
        args=(
            Arg(
                "query",
                "The rule to try",
                ArgType.RULE,
                required=True,
                tail=True,
                placeholder="<rule>",
                cli_help="the rule (quoted, or as several words)",
            ),
        ),
        private=True,
    ),
    Command(
        "watch",
        "export",
        "write the watches (not the config file's) as TOML or JSON",
        "bot.cli.watch_files:export_watches",
        args=(
            Arg("file", "file to write (default: standard output)", ArgType.PATH, surfaces=CLI),
            _FORMAT,
        ),
        surfaces=CLI,
    ),
    Command(
        "watch",
        "import",
        "add the watches of an exported TOML or JSON file (all or nothing)",
        "bot.cli.watch_files:import_watches",
        Permission.ADMIN,
        (Arg("file", "the file to read", ArgType.PATH, required=True, surfaces=CLI), _FORMAT),
        surfaces=CLI,
    ),
    # ---- /news ---------------------------------------------------------------------------------
    Command(
        "news",
        "",
        "Look up the news archive with a rule",
        "news",
        args=(
            Arg(
                "query",
                "The rule, e.g. Algeria AND readmission",
                ArgType.RULE,
                required=True,
                tail=True,
                placeholder="<rule>",
                cli_help="the rule (quoted, or as several words)",
            ),
            Arg(
                "since",
                'How far back: "24h", "7d" (default 7d)',
                ArgType.PERIOD,
                keyword="since",
                flag="--since",
                placeholder="7d",
                metavar="PERIOD",
                max_length=20,
            ),
        ),
        private=True,
    ),
    # ---- /sources ------------------------------------------------------------------------------
    Command(
        "sources",
        "add",
        "Add a feed, or a site that links to one",
        "sources_add",
        Permission.SOURCES,
        (
            Arg(
                "url",
                "The feed or site URL",
                ArgType.URL,
                required=True,
                placeholder="<url>",
                max_length=2000,
            ),
            Arg(
                "kind",
                "Add the URL as this kind of source, without looking for feeds on it",
                ArgType.KIND,
                keyword="kind",
                flag="--kind",
                placeholder="rss | jsonfeed | gdelt | html",
                max_length=40,
            ),
            Arg(
                "name",
                "The source's name (default: the feed's title)",
                flag="--name",
                max_length=200,
                surfaces=frozenset({"discord", "cli"}),
            ),
        ),
    ),
    Command(
        "sources",
        "list",
        "Every source and its health",
        "sources_list",
        private=True,
        aliases=("ls",),
    ),
    Command(
        "sources",
        "remove",
        "Stop polling a source",
        "sources_remove",
        Permission.SOURCES,
        (_SOURCE_ID,),
    ),
    Command(
        "sources",
        "import",
        "add every feed an OPML file lists",
        "bot.cli.opml:import_sources",
        Permission.SOURCES,
        (Arg("file", "the OPML file", ArgType.PATH, required=True, surfaces=CLI),),
        surfaces=CLI,
    ),
    # ---- the terminal's own --------------------------------------------------------------------
    Command(
        "run",
        "",
        "run the bot: poll on schedule, deliver alerts, answer commands",
        "bot.cli.operator:run",
        Permission.ADMIN,
        surfaces=CLI,
    ),
    Command(
        "demo",
        "",
        "show the whole product offline with bundled sample news",
        "bot.cli.operator:demo",
        Permission.ADMIN,
        (
            Arg(
                "db",
                "SQLite file to use (default: a temporary one)",
                ArgType.PATH,
                flag="--db",
                surfaces=CLI,
            ),
        ),
        surfaces=CLI,
    ),
    Command(
        "poll",
        "",
        "poll every source once, deliver, exit",
        "bot.cli.operator:poll",
        Permission.ADMIN,
        (
            Arg(
                "once",
                "one cycle of every source (required)",
                ArgType.FLAG,
                required=True,
                flag="--once",
                surfaces=CLI,
            ),
            Arg(
                "verbose",
                "log at the config's level, not only warnings",
                ArgType.FLAG,
                flag="--verbose",
                short="-v",
                surfaces=CLI,
            ),
        ),
        surfaces=CLI,
    ),
    Command(
        "check",
        "",
        "check a rule; with a text or a file, whether and why it matches "
        "(exit 0 match, 1 no match, 2 syntax error or unreadable file)",
        "bot.cli.check:check",
        args=(
            Arg(
                "query",
                "the rule (quoted, or as several words)",
                ArgType.RULE,
                required=True,
                tail=True,
                surfaces=CLI,
            ),
            Arg("text", "text to test the rule against", flag="--text", surfaces=CLI),
            Arg(
                "file",
                "a feed (each item is tested, as a source reads it), a web page, or plain text",
                ArgType.PATH,
                flag="--file",
                instead_of="text",
                surfaces=CLI,
            ),
            Arg("title", "an item title to test as well", flag="--title", surfaces=CLI),
            Arg("lang", "language of the text (en, fr, ...)", flag="--lang", surfaces=CLI),
        ),
        surfaces=CLI,
    ),
    Command(
        "db",
        "upgrade",
        "apply the database migrations (also done at every start)",
        "bot.cli.operator:db_upgrade",
        Permission.ADMIN,
        surfaces=CLI,
    ),
    Command(
        "doctor",
        "",
        "check the config, the database and each output, posting nothing",
        "bot.cli.operator:doctor",
        Permission.ADMIN,
        (
            Arg(
                "quick",
                "the config and the database only",
                ArgType.FLAG,
                flag="--quick",
                surfaces=CLI,
            ),
        ),
        surfaces=CLI,
    ),
    Command(
        "manifest",
        "",
        "print the Slack app manifest with the command list of this table",
        "bot.cli.operator:manifest",
        Permission.ADMIN,
        (
            Arg(
                "write",
                "update config/slack-manifest.yml instead of printing it",
                ArgType.FLAG,
                flag="--write",
                surfaces=CLI,
            ),
        ),
        surfaces=CLI,
    ),
)


def group(name: str) -> Group:
    """The group called `name`; a command of its own (`wirewatch check`) is its own group."""
    for found in GROUPS:
        if found.name == name:
            return found
    (alone,) = commands_of(name)
    return Group(name, alone.help, surfaces=alone.surfaces)


def group_names() -> tuple[str, ...]:
    """Every group, in table order."""
    return tuple(dict.fromkeys(c.group for c in COMMANDS))


def commands_of(group_name: str) -> tuple[Command, ...]:
    """The commands of a group, in table order."""
    return tuple(c for c in COMMANDS if c.group == group_name)


def command(group_name: str, name: str = "") -> Command:
    """The command `group name` (`name` empty for a group's own command, like /news)."""
    for found in COMMANDS:
        if found.group == group_name and found.name == name:
            return found
    raise KeyError(f"{group_name} {name}".strip())
