"""Every slash command's logic, shared by Slack, Discord and the CLI: parse, authorise, act, reply.

Adapters translate a platform request into a `Caller` and a method call, and render the `Reply`.
Nothing here knows Block Kit or embeds; nothing here raises into a chat channel: every user error
becomes a `Reply.error` that says what was wrong and how to fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.commands.archive_lookup import match_archive
from bot.commands.config_entries import ConfigEntries
from bot.commands.invoke import run_text
from bot.commands.reply import Code, Line, Reply, cmd, say, usage_of
from bot.commands.source_status import source_next_poll
from bot.commands.spec import Permission
from bot.core.alert import Marked, Story
from bot.core.destination import DestinationError, parse_destination
from bot.core.digest import DigestMode, DigestModeError, parse_digest_mode
from bot.core.durations import format_duration, parse_duration
from bot.core.item import Item, host_of
from bot.core.pause_time import PauseTimeError, pause_end, shown_in
from bot.core.query import Query, QuerySyntaxError, parse
from bot.core.stories import story_for
from bot.ports import FetchError
from bot.sources import DEFAULT_KIND, SourceSpecError, check_source
from bot.store import DuplicateError, Store, WatchScope
from bot.store.records import CONFIG_OWNER, NewWatch, SourceRecord, WatchRecord

if TYPE_CHECKING:  # the readers of feeds, pages, OPML and watch files load when needed
    from bot.commands.check_file import CheckedFile
    from bot.fetch.client import SafeClient

__all__ = ["AccessPolicy", "Caller", "CommandService", "LiveWatches"]

log = logging.getLogger(__name__)

PREVIEW_WINDOW = timedelta(days=7)
NEWS_LIMIT = 10
CHOICES_LIMIT = 25
CHECK_LISTED_MISSES = 20
MAX_PROBLEMS_SHOWN = 20
_GROUP_OF = {"watch": "watch", "source": "sources"}


class LiveWatches(Protocol):
    """The running matcher's view of the watches (`bot.app.watch_index.WatchIndex`): commands
    tell it at once about a watch they add, change or remove."""

    def put(self, watch: WatchRecord) -> None:
        """Add or replace a watch (a paused one is dropped)."""

    def drop(self, watch_id: int) -> None:
        """Forget a removed watch."""

    def sync(self, watches: list[WatchRecord]) -> None:
        """Make the set equal to `watches`."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who typed a command, and where."""

    platform: str
    user_id: str
    channel_id: str = ""
    is_dm: bool = False
    is_admin: bool = False
    can_manage_channel: bool = True
    channel_name: str = ""
    user_name: str = ""

    @property
    def owner(self) -> str:
        """The owner string stored with watches and sources."""
        return f"{self.platform}:{self.user_id}"

    @property
    def personal_destination(self) -> str:
        """Where this caller's personal watches are delivered (a DM; the console on the CLI)."""
        return "console" if self.platform == "cli" else f"{self.platform}:@{self.user_id}"


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Per-platform permissions and quotas."""

    admins: frozenset[str] = frozenset()
    open_sources: bool = False
    quota_user: int = 50
    quota_channel: int = 200
    channel_watch_needs_manage: bool = False


@dataclass
class CommandService:
    """The platform-neutral command logic."""

    store: Store
    index: LiveWatches
    client: SafeClient | None = None
    policies: dict[str, AccessPolicy] = field(default_factory=dict)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    default_interval_s: int = 300
    summary_chars: int = 300
    on_sources_changed: Callable[[], Awaitable[None]] | None = None
    config_entries: ConfigEntries = field(default_factory=lambda: ConfigEntries(None))

    # ---- helpers -------------------------------------------------------------------------
    def _policy(self, caller: Caller) -> AccessPolicy:
        return self.policies.get(caller.platform, AccessPolicy())

    def _is_admin(self, caller: Caller) -> bool:
        return (
            caller.platform == "cli"
            or caller.is_admin
            or (caller.user_id in self._policy(caller).admins)
        )

    def _channel_destination(self, caller: Caller, channel: str | None) -> str:
        if caller.platform == "cli":
            return channel or "console"
        if channel:
            return f"{caller.platform}:{channel.lstrip('#')}"
        if caller.is_dm or not caller.channel_id:
            return caller.personal_destination
        return f"{caller.platform}:{caller.channel_id}"

    @staticmethod
    def _parse_id(text: str, what: str) -> int | Reply:
        raw = text.strip().lstrip("#")
        if not raw.isdigit() or len(raw) > 12:
            return Reply.error(
                f"{text.strip() or 'nothing'} is not a {what} id",
                say(
                    "Give the number ",
                    cmd(_GROUP_OF[what], "list"),
                    " shows, e.g. ",
                    Code("12"),
                    ".",
                ),
            )
        return int(raw)

    @staticmethod
    def _syntax_error(err: QuerySyntaxError) -> Reply:
        return Reply.error(
            "That rule has a syntax error",
            f"{err.message} (at column {err.position + 1}).",
            "The rule language: docs/query-language.md.",
            code=str(err),
        )

    def _parse_rule(self, query: str, missing: Reply) -> Query | Reply:
        """The parsed rule, or the reply to give: `missing` for an empty rule, or its syntax error."""
        if not query.strip():
            return missing
        try:
            return parse(query)
        except QuerySyntaxError as err:
            return self._syntax_error(err)

    def _may_change(self, caller: Caller, watch: WatchRecord) -> bool:
        return watch.owner == caller.owner or self._is_admin(caller)

    def _visible(self, caller: Caller, watch: WatchRecord) -> bool:
        if watch.owner == caller.owner or self._is_admin(caller):
            return True
        return watch.destination == self._channel_destination(caller, None)

    # ---- permissions ----------------------------------------------------------------------------
    def refusal(self, caller: Caller, permission: Permission, action: str) -> Reply | None:
        """The refusal of `action` ("add sources") when the caller lacks `permission`; None
        when they may go on. CHANNEL and OWNER depend on the channel or the watch: the
        handlers check those themselves."""
        if permission is Permission.ADMIN and not self._is_admin(caller):
            return Reply.error(f"Only Wirewatch admins can {action}")
        if permission is Permission.SOURCES and not self._may_manage_sources(caller):
            return Reply.error(
                f"Only Wirewatch admins can {action}",
                "Ask an admin, or set open_sources = true in the config.",
            )
        return None

    # ---- permissions, for surfaces that list things themselves (the web console) ----------
    def is_admin(self, caller: Caller) -> bool:
        """Whether the caller is a Wirewatch admin on their platform."""
        return self._is_admin(caller)

    def may_see(self, caller: Caller, watch: WatchRecord) -> bool:
        """Whether the caller may see this watch (as `/watch list` would show it)."""
        return self._visible(caller, watch)

    def may_change(self, caller: Caller, watch: WatchRecord) -> bool:
        """Whether the caller may edit, pause or remove this watch."""
        return self._visible(caller, watch) and self._may_change(caller, watch)

    def may_manage_sources(self, caller: Caller) -> bool:
        """Whether the caller may add, pause and remove sources."""
        return self._may_manage_sources(caller)

    def watch_scope(self, caller: Caller) -> WatchScope | None:
        """The watches the caller may see, as a store filter (None: all, for admins)."""
        if self._is_admin(caller):
            return None
        return WatchScope(caller.owner, self._channel_destination(caller, None))

    async def _preview(self, reply: Reply, query: Query) -> None:
        now = self.clock()
        found = await match_archive(self.store, query, since=now - PREVIEW_WINDOW, limit=3)
        newest = found.newest
        reply.lines.append(
            f"It would have matched {found.count_text()} in the archive of the last 7 days"
            + (f"; the newest {len(newest)}:" if newest else ".")
        )
        if not found.complete:
            reply.lines.append(found.unchecked_text())
        reply.stories = [
            story_for(a.item, query, item_id=a.id, max_chars=self.summary_chars) for a in newest
        ]

    # ---- /watch ----------------------------------------------------------------------------
    async def _watch_target(
        self, caller: Caller, channel: str | None, digest: str | None, adding: int
    ) -> tuple[str, DigestMode] | Reply:
        """Where `adding` new watches of the caller would deliver, in which mode; or why they
        cannot (a bad digest or destination, a channel the caller may not use, a quota)."""
        try:
            mode = parse_digest_mode(digest)
        except DigestModeError as err:
            return Reply.error("That digest cannot be used", str(err))
        destination = self._channel_destination(caller, channel)
        try:
            destination = str(parse_destination(destination))
        except DestinationError as err:
            return Reply.error("That destination cannot be used", str(err))
        personal = destination == caller.personal_destination
        policy = self._policy(caller)
        if (
            not personal
            and policy.channel_watch_needs_manage
            and not (caller.can_manage_channel or self._is_admin(caller))
        ):
            return Reply.error(
                "You cannot add watches to this channel",
                "Channel watches need the Manage Channels permission or the Wirewatch admin role.",
                "Add a personal watch instead by using the command in a DM with the bot.",
            )
        if caller.platform != "cli":
            mine = await self.store.count_watches(owner=caller.owner)
            if mine + adding > policy.quota_user:
                return Reply.error(
                    f"You have {mine} watches; the limit is {policy.quota_user}",
                    say("Remove one with ", usage_of("watch", "remove"), " first."),
                )
            here = await self.store.count_watches(destination=destination)
            if here + adding > policy.quota_channel:
                return Reply.error(
                    f"This channel has {here} watches; the limit is {policy.quota_channel}",
                    say("Remove one with ", usage_of("watch", "remove"), " first."),
                )
        return destination, mode

    def _where(self, caller: Caller, destination: str, mode: DigestMode) -> str:
        """ "Alerts go to this channel as a daily 08:00 digest (Europe/Paris)."."""
        if destination == caller.personal_destination and caller.platform != "cli":
            where = "you, by direct message"
        elif caller.channel_id and destination == f"{caller.platform}:{caller.channel_id}":
            where = "this channel"
        else:
            where = destination
        digest = "" if mode.kind == "immediate" else f" as a {mode.text} digest ({mode.tz})"
        return f"Alerts go to {where}{digest}."

    async def watch_add(
        self, caller: Caller, query: str, *, channel: str | None = None, digest: str | None = None
    ) -> Reply:
        """Subscribe a channel (or the caller, by DM) to a rule."""
        parsed = self._parse_rule(
            query, Reply.error("A watch needs a rule", say(usage_of("watch", "add")))
        )
        if isinstance(parsed, Reply):
            return parsed
        target = await self._watch_target(caller, channel, digest, 1)
        if isinstance(target, Reply):
            return target
        destination, mode = target
        watch = await self.store.add_watch(
            " ".join(query.split()),
            destination,
            owner=caller.owner,
            platform=caller.platform,
            mode=mode.text,
            tz=mode.tz,
            label=caller.channel_name,
        )
        self.index.put(watch)
        reply = Reply(title=f"Watch #{watch.id} added", ephemeral=False)
        reply.lines.append(say("Rule: ", Code(str(parsed))))
        reply.lines.append(self._where(caller, destination, mode))
        reply.warnings = list(parsed.warnings)
        reply.watches = [watch]
        await self._preview(reply, parsed)
        return reply

    async def watch_add_rules(
        self, caller: Caller, rules: str, *, channel: str | None = None, digest: str | None = None
    ) -> Reply:
        """Add one watch per line of `rules` (blank lines and `#` comments skipped), all in one
        transaction: one mistake adds nothing and every mistake is named by its line. A rule
        that already has a watch with the same destination and mode is skipped, so a file can
        be given again."""
        wanted: list[tuple[int, str]] = []
        problems: list[str] = []
        for number, line in enumerate(rules.splitlines(), start=1):
            text = " ".join(line.split())
            if not text or text.startswith("#"):
                continue
            try:
                parse(text)
            except QuerySyntaxError as err:
                problems.append(f"line {number}: {err.message} (at column {err.position + 1})")
                continue
            wanted.append((number, text))
        if problems:
            shown = problems[:MAX_PROBLEMS_SHOWN]
            if len(problems) > len(shown):
                shown.append(f"... and {len(problems) - len(shown)} more")
            noun = "line has a mistake" if len(problems) == 1 else "lines have mistakes"
            return Reply.error(f"Nothing was added: {len(problems)} {noun}", *shown)
        if not wanted:
            return Reply.error("No rule to add", "Write one rule per line; # starts a comment.")
        target = await self._watch_target(caller, channel, digest, len(wanted))
        if isinstance(target, Reply):
            return target
        destination, mode = target
        present = {
            w.query
            for w in await self.store.list_watches(destination=destination)
            if (w.mode, w.tz) == (mode.text, mode.tz)
        }
        fresh: list[NewWatch] = []
        for _, text in wanted:
            if text not in present:
                present.add(text)
                fresh.append(
                    NewWatch(
                        text,
                        destination,
                        owner=caller.owner,
                        platform=caller.platform,
                        mode=mode.text,
                        tz=mode.tz,
                        label=caller.channel_name,
                    )
                )
        added = await self._store_watches(fresh)
        noun = "watch" if len(added) == 1 else "watches"
        reply = Reply(title=f"{len(added)} {noun} added", watches=added, ephemeral=False)
        reply.lines.append(self._where(caller, destination, mode))
        if len(wanted) > len(fresh):
            reply.lines.append(
                f"{len(wanted) - len(fresh)} already present (same rule, destination and mode)."
            )
        return reply

    async def _store_watches(self, fresh: list[NewWatch]) -> list[WatchRecord]:
        """Store new watches in one transaction (all or none) and tell the live matcher."""
        if not fresh:
            return []
        async with self.store.transaction() as tx:
            added = await tx.add_watches(fresh, now=self.clock())
        for watch in added:
            self.index.put(watch)
        return added

    async def _listed_watches(self, caller: Caller) -> list[WatchRecord]:
        """This channel's watches and the caller's own; on the terminal, every watch."""
        if caller.platform == "cli":
            return await self.store.list_watches()
        here = self._channel_destination(caller, None)
        found: dict[int, WatchRecord] = {}
        for w in await self.store.list_watches(destination=here):
            found[w.id] = w
        for w in await self.store.list_watches(owner=caller.owner):
            found[w.id] = w
        return sorted(found.values(), key=lambda w: w.id)

    async def watch_list(self, caller: Caller) -> Reply:
        """This channel's watches and the caller's own (on the terminal, every watch), with
        status and how many alerts each made in 7 days."""
        watches = await self._listed_watches(caller)
        reply = Reply(title=f"{len(watches)} watch{'es' if len(watches) != 1 else ''}")
        if not watches:
            reply.lines.append(say("No watches here yet. Add one: ", usage_of("watch", "add")))
        since = self.clock() - PREVIEW_WINDOW
        counts = await self.store.alert_counts([w.id for w in watches], since)
        reply.watch_counts = {w.id: counts.get(w.id, 0) for w in watches}
        reply.watches = watches
        return reply

    async def _watch_to_change(self, caller: Caller, wid: int, action: str) -> WatchRecord | Reply:
        """The watch `wid` if the caller may see and `action` it, else the reply to give."""
        watch = await self.store.get_watch(wid)
        if watch is None or not self._visible(caller, watch):
            return Reply.error(
                f"There is no watch #{wid} here", say(cmd("watch", "list"), " shows the ids.")
            )
        if not self._may_change(caller, watch):
            return Reply.error(
                f"Only the creator of watch #{wid} or a Wirewatch admin can {action} it"
            )
        return watch

    async def _change_watch(
        self, caller: Caller, watch_id: str, action: str, span: str | None = None
    ) -> Reply:
        wid = self._parse_id(watch_id, "watch")
        if isinstance(wid, Reply):
            return wid
        watch = await self._watch_to_change(caller, wid, action)
        if isinstance(watch, Reply):
            return watch
        if action == "remove":
            owned = self.config_entries.locate(watch)
            if owned is not None:
                return Reply.error(
                    f"Watch #{wid} is defined in the config file",
                    f"Remove or change its [[watches]] entry in {owned} and restart the bot: "
                    "the file owns it, so removing it here would not last.",
                    say(
                        "To silence it meanwhile: ",
                        cmd("watch", "pause", id=wid),
                        " (a pause survives restarts).",
                    ),
                )
            await self.store.remove_watch(wid)
            self.index.drop(wid)
            return Reply(
                title=f"Watch #{wid} removed",
                lines=[say("Rule was: ", Code(watch.query))],
                ephemeral=False,
            )
        paused = action == "pause"
        until: datetime | None = None
        if paused and span:
            try:
                until = pause_end(span, self.clock(), watch.tz)
            except PauseTimeError as err:
                return Reply.error("That pause cannot be used", str(err))
        shown = f" until {shown_in(until, watch.tz)}" if until is not None else ""
        updated = await self.store.set_watch_paused(
            wid, paused, f"paused by {caller.owner}{shown}" if paused else "", until=until
        )
        if updated is None:
            return Reply.error(f"Watch #{wid} was removed meanwhile")
        self.index.put(updated)
        lines: list[Line] = [say("Rule: ", Code(watch.query))]
        if until is not None:
            lines.append(
                say("It resumes by itself then; ", cmd("watch", "resume", id=wid), " sooner.")
            )
        return Reply(
            title=f"Watch #{wid} {'paused' if paused else 'resumed'}{shown}",
            lines=lines,
            watches=[updated],
            ephemeral=False,
        )

    async def watch_remove(self, caller: Caller, watch_id: str) -> Reply:
        """Delete a watch (its creator or an admin)."""
        return await self._change_watch(caller, watch_id, "remove")

    async def watch_pause(
        self, caller: Caller, watch_id: str, *, until: str | None = None
    ) -> Reply:
        """Stop alerts from a watch until resumed, or for a while: `until` "for 2h", "until 18:00"."""
        return await self._change_watch(caller, watch_id, "pause", (until or "").strip() or None)

    async def watch_resume(self, caller: Caller, watch_id: str) -> Reply:
        """Resume a paused watch."""
        return await self._change_watch(caller, watch_id, "resume")

    async def watch_export(self, caller: Caller, fmt: str = "toml") -> Reply:
        """The caller's watches (an admin: all but the config file's) as a TOML or JSON file."""
        from bot.commands.watch_file import WatchFileError, dump_watches, format_of

        try:
            chosen = format_of("", fmt)
        except WatchFileError as err:
            return Reply.error("That format cannot be used", *err.problems)
        watches = [
            w
            for w in await self.store.list_watches()
            if w.platform != CONFIG_OWNER and self._visible(caller, w)
        ]
        noun = "watch" if len(watches) == 1 else "watches"
        return Reply(
            title=f"{len(watches)} {noun} exported",
            lines=["Watches from the config file stay in the file: they are not exported."],
            code=dump_watches(watches, chosen, self.clock()),
        )

    async def watch_import(self, caller: Caller, text: str, fmt: str = "toml") -> Reply:
        """Add the watches of an exported file (admins): all of them, or none if one is wrong."""
        if (denied := self.refusal(caller, Permission.ADMIN, "import watches")) is not None:
            return denied
        from bot.commands.watch_file import WatchFileError, format_of, load_watches

        try:
            wanted = load_watches(text, format_of("", fmt), default_owner=caller.owner)
        except WatchFileError as err:
            return Reply.error("That file cannot be imported; nothing was added", *err.problems)
        before = await self.store.list_watches()
        present = {(w.query, w.destination, w.mode, w.tz) for w in before}
        fresh: list[NewWatch] = []
        for watch in wanted:
            key = (watch.query, watch.destination, watch.mode, watch.tz)
            if key not in present:
                present.add(key)
                fresh.append(watch)
        added = await self._store_watches(fresh)
        noun = "watch" if len(fresh) == 1 else "watches"
        return Reply(
            title=f"Imported {len(fresh)} {noun}",
            lines=[
                f"{len(wanted) - len(fresh)} already present (same rule, destination and mode)."
            ],
            watches=added,
            ephemeral=False,
        )

    async def watch_edit(
        self, caller: Caller, watch_id: str, query: str, *, digest: str | None = None
    ) -> Reply:
        """Change a watch's rule (and digest mode): same id, same destination, same history."""
        wid = self._parse_id(watch_id, "watch")
        if isinstance(wid, Reply):
            return wid
        parsed = self._parse_rule(
            query,
            Reply.error(
                "A watch needs a rule",
                say("Type the new rule, e.g. ", Code("Algeria AND visa"), "."),
            ),
        )
        if isinstance(parsed, Reply):
            return parsed
        watch = await self._watch_to_change(caller, wid, "edit")
        if isinstance(watch, Reply):
            return watch
        owned = self.config_entries.locate(watch)
        if owned is not None:
            return Reply.error(
                f"Watch #{wid} is defined in the config file",
                f"Change its [[watches]] entry in {owned} and restart the bot: the file owns "
                "it, so an edit here would not last.",
            )
        try:
            mode = parse_digest_mode(digest) if digest else None
        except DigestModeError as err:
            return Reply.error("That digest cannot be used", str(err))
        text = " ".join(query.split())
        updated = await self.store.set_watch_rule(
            wid,
            text,
            mode=mode.text if mode else watch.mode,
            tz=mode.tz if mode else watch.tz,
        )
        if updated is None:
            return Reply.error(f"Watch #{wid} was removed meanwhile")
        self.index.put(updated)
        reply = Reply(title=f"Watch #{wid} changed", ephemeral=False)
        reply.lines.append(say("Rule: ", Code(str(parsed)), " (was ", Code(watch.query), ")"))
        reply.warnings = list(parsed.warnings)
        reply.watches = [updated]
        await self._preview(reply, parsed)
        return reply

    async def watch_test(self, caller: Caller, query: str) -> Reply:
        """Dry-run a rule: canonical form, warnings, and what it would have matched."""
        parsed = self._parse_rule(
            query, Reply.error("Give a rule to test", say(usage_of("watch", "test")))
        )
        if isinstance(parsed, Reply):
            return parsed
        reply = Reply(title="The rule is valid", lines=[say("Rule: ", Code(str(parsed)))])
        reply.warnings = list(parsed.warnings)
        await self._preview(reply, parsed)
        return reply

    async def rule_check(
        self, caller: Caller, query: str, *, text: str = "", url: str = "", title: str = ""
    ) -> Reply:
        """Test a rule on a text, or on what a URL serves (each item of a feed, or a page)."""
        from bot.commands.check_file import CheckedFile, check_items

        parsed = self._parse_rule(
            query, Reply.error("Give a rule to test", say("e.g. ", Code("Algeria AND readmission")))
        )
        if isinstance(parsed, Reply):
            return parsed
        if url.strip():
            checked = await self._read_for_check(url.strip())
            if isinstance(checked, Reply):
                return checked
        elif text.strip() or title.strip():
            checked = CheckedFile("text", "", [Item(title=title.strip(), content=text)])
        else:
            return Reply.error(
                "Give a text or a URL to test the rule on",
                "Paste an article's text, or the address of a feed or a page.",
            )
        verdicts = check_items(parsed, checked.items, summary_chars=self.summary_chars)
        matched = [v for v in verdicts if v.match is not None]
        reply = Reply(title="", lines=[say("Rule: ", Code(str(parsed)))])
        reply.warnings = list(parsed.warnings)
        if checked.kind == "text":
            verdict = verdicts[0]
            reply.title = "It matches" if verdict.match else "No match"
            if verdict.match is not None:
                reply.lines.append("Matched: " + ", ".join(verdict.match.terms))
                for name in ("title", "content"):
                    value = getattr(verdict.item, name)
                    spans = tuple((s, e) for f, s, e in verdict.match.spans if f == name)
                    if value:
                        reply.lines.append(Marked(value, spans))
            return reply
        what = checked.title or url
        reply.title = f"{len(matched)} of {len(verdicts)} items match in {what}"
        reply.stories = [
            Story(
                item=v.item,
                summary=v.summary or Marked(""),
                matched=v.match.terms,
                title_marks=tuple((s, e) for f, s, e in v.match.spans if f == "title"),
            )
            for v in matched
            if v.match is not None
        ]
        misses = [v.item.title or "(untitled)" for v in verdicts if v.match is None]
        reply.lines += [f"No match: {t}" for t in misses[:CHECK_LISTED_MISSES]]
        if len(misses) > CHECK_LISTED_MISSES:
            reply.lines.append(f"… and {len(misses) - CHECK_LISTED_MISSES} more without a match")
        return reply

    async def _read_for_check(self, url: str) -> CheckedFile | Reply:
        """Fetch `url` with the safe client and read it as a source would."""
        from bot.commands.check_file import CheckFileError, read_check_bytes

        if self.client is None:
            return Reply.error("Fetching is not available here", "Paste the text instead.")
        try:
            response = await self.client.get(url)
        except FetchError as err:
            return Reply.error("That URL could not be read", err.message)
        try:
            return await read_check_bytes(response.body, base_url=response.url)
        except CheckFileError as err:
            return Reply.error("That document could not be read", str(err))

    # ---- /news -----------------------------------------------------------------------------
    async def news(self, caller: Caller, query: str, *, since: str | None = None) -> Reply:
        """Look the archive up with the rule language, newest first, only for the asker."""
        if not query.strip():
            return Reply.error("Give a rule to look up", say(usage_of("news")))
        try:
            window = parse_duration(since) if since else PREVIEW_WINDOW.total_seconds()
        except ValueError as err:
            return Reply.error("That period cannot be used", str(err))
        try:
            parsed = parse(query)
        except QuerySyntaxError as err:
            return self._syntax_error(err)
        start = self.clock() - timedelta(seconds=window)
        found = await match_archive(self.store, parsed, since=start, limit=NEWS_LIMIT)
        newest = found.newest
        counted = found.count_text()
        reply = Reply(
            title=say(
                f"{counted[0].upper()}{counted[1:]} for ",
                Code(str(parsed)),
                f" in the last {format_duration(window)}",
            ),
            shareable=bool(newest),
        )
        reply.warnings = list(parsed.warnings)
        reply.stories = [
            story_for(a.item, parsed, item_id=a.id, max_chars=self.summary_chars) for a in newest
        ]
        if len(newest) == NEWS_LIMIT:
            reply.lines.append(f"Showing the newest {len(newest)}.")
        if not found.complete:
            reply.lines.append(found.unchecked_text())
            reply.lines.append(say("For example: ", cmd("news", query=str(parsed), since="1d")))
        return reply

    # ---- /sources --------------------------------------------------------------------------
    def _may_manage_sources(self, caller: Caller) -> bool:
        return self._is_admin(caller) or self._policy(caller).open_sources

    async def sources_add(
        self, caller: Caller, url: str, *, name: str | None = None, kind: str | None = None
    ) -> Reply:
        """Add a feed, or find the feeds a web page offers; `kind` adds the URL as it is."""
        if (denied := self.refusal(caller, Permission.SOURCES, "add sources")) is not None:
            return denied
        url = url.strip().strip("<>").split("|")[0]
        if not url:
            return Reply.error("Give a feed or site URL", say(usage_of("sources", "add")))
        try:
            url = check_source(url, kind or DEFAULT_KIND)
        except SourceSpecError as err:
            return Reply.error("That source cannot be added", str(err))
        existing = await self.store.get_source_by_url(url)
        if existing:
            return Reply.error(
                f"Source #{existing.id} already polls that URL", f"{existing.name}: {existing.url}"
            )
        if kind is not None or self.client is None:
            return await self._store_source(caller, url, name or host_of(url) or url, kind=kind)
        try:
            from bot.sources.discover import discover_feeds

            feeds = await discover_feeds(self.client, url)
        except FetchError as err:
            return Reply.error("That URL could not be read", err.message)
        if not feeds:
            return Reply.error(
                "No feed found there",
                "The page is not a feed and links to none. Give the feed's own URL "
                "(often /rss, /feed or /atom.xml).",
            )
        chosen = feeds[0]
        existing = await self.store.get_source_by_url(chosen.url)
        if existing:
            return Reply.error(
                f"Source #{existing.id} already polls that feed", f"{existing.name}: {existing.url}"
            )
        reply = await self._store_source(
            caller, chosen.url, name or chosen.title or host_of(url), kind=chosen.kind
        )
        if len(feeds) > 1:
            reply.lines.append("The page offers other feeds too:")
            reply.lines += [
                say(f"• {f.title or f.url}: ", cmd("sources", "add", url=f.url)) for f in feeds[1:6]
            ]
        return reply

    async def _store_source(
        self, caller: Caller, url: str, name: str, *, kind: str | None = None
    ) -> Reply:
        """Check (bot.sources.check_source, the one gate of every path) and store a source."""
        try:
            url = check_source(url, kind or DEFAULT_KIND)
        except SourceSpecError as err:
            return Reply.error("That source cannot be added", str(err))
        try:
            source = await self.store.add_source(
                name[:200] or url,
                url,
                kind=kind or DEFAULT_KIND,
                interval_s=self.default_interval_s,
                owner=caller.owner,
            )
        except DuplicateError:
            return Reply.error("That URL is already a source", say(cmd("sources", "list"), "."))
        if self.on_sources_changed is not None:
            await self.on_sources_changed()
        return Reply(
            title=f"Source #{source.id} added: {source.name}",
            lines=[
                f"{source.url} — polled every {format_duration(source.interval_s)}. "
                "The first poll only records what is there; new items alert after it."
            ],
            sources=[source],
            ephemeral=False,
        )

    async def sources_import(self, caller: Caller, opml: bytes) -> Reply:
        """Add every feed an OPML file lists; each goes through the same check as `sources add`."""
        if (denied := self.refusal(caller, Permission.SOURCES, "import sources")) is not None:
            return denied
        from bot.sources.opml import parse_opml

        try:
            entries = parse_opml(opml)
        except ValueError as err:
            return Reply.error("That OPML file cannot be imported", str(err))
        added: list[SourceRecord] = []
        present = 0
        refused: list[str] = []
        for entry in entries:
            try:
                url = check_source(entry.url, DEFAULT_KIND)
            except SourceSpecError as err:
                refused.append(f"{entry.title or entry.url}: {err}")
                continue
            try:
                added.append(
                    await self.store.add_source(
                        (entry.title or url)[:200],
                        url,
                        kind=DEFAULT_KIND,
                        interval_s=self.default_interval_s,
                        owner=caller.owner,
                    )
                )
            except DuplicateError:
                present += 1
        if added and self.on_sources_changed is not None:
            await self.on_sources_changed()
        reply = Reply(
            title=f"Imported {len(added)} source{'s' if len(added) != 1 else ''}",
            lines=[f"{present} already present, {len(refused)} refused."],
            sources=added,
            ephemeral=False,
        )
        reply.warnings = refused
        return reply

    async def sources_list(self, caller: Caller) -> Reply:
        """Every source with its health."""
        sources = await self.store.list_sources()
        reply = Reply(
            title=f"{len(sources)} source{'s' if len(sources) != 1 else ''}", sources=sources
        )
        now = self.clock()
        reply.next_polls = {s.id: source_next_poll(s, now) for s in sources}
        if not sources:
            reply.lines.append(say("No sources yet. ", usage_of("sources", "add")))
        return reply

    async def sources_remove(self, caller: Caller, source_id: str) -> Reply:
        """Stop polling a source."""
        if (denied := self.refusal(caller, Permission.SOURCES, "remove sources")) is not None:
            return denied
        sid = self._parse_id(source_id, "source")
        if isinstance(sid, Reply):
            return sid
        source = await self.store.get_source(sid)
        owned = self.config_entries.locate(source) if source is not None else None
        if source is not None and owned is not None:
            return Reply.error(
                f"Source #{sid} is defined in the config file",
                f"Remove its [[sources]] entry in {owned} and restart the bot: the file owns "
                "it, so removing it here would not last.",
            )
        if source is None or not await self.store.remove_source(sid):
            return Reply.error(
                f"There is no source #{sid}", say(cmd("sources", "list"), " shows the ids.")
            )
        if self.on_sources_changed is not None:
            await self.on_sources_changed()
        return Reply(
            title=f"Source #{sid} removed", lines=[f"{source.name}: {source.url}"], ephemeral=False
        )

    async def sources_pause(self, caller: Caller, source_id: str) -> Reply:
        """Stop polling a source until resumed (it keeps its state and items)."""
        return await self._switch_source(caller, source_id, enabled=False)

    async def sources_resume(self, caller: Caller, source_id: str) -> Reply:
        """Poll a paused source again, at once."""
        return await self._switch_source(caller, source_id, enabled=True)

    async def _switch_source(self, caller: Caller, source_id: str, *, enabled: bool) -> Reply:
        verb = "resume" if enabled else "pause"
        if (denied := self.refusal(caller, Permission.SOURCES, f"{verb} sources")) is not None:
            return denied
        sid = self._parse_id(source_id, "source")
        if isinstance(sid, Reply):
            return sid
        fields: dict[str, object] = {
            "enabled": enabled,
            "disabled_reason": "" if enabled else f"paused by {caller.owner}",
        }
        if enabled:
            fields.update(next_poll_at=self.clock(), next_poll_reason="resumed")
        source = await self.store.update_source(sid, **fields)
        if source is None:
            return Reply.error(
                f"There is no source #{sid}", say(cmd("sources", "list"), " shows the ids.")
            )
        if self.on_sources_changed is not None:
            await self.on_sources_changed()
        return Reply(
            title=f"Source #{sid} {verb}d: {source.name}",
            lines=["It is polled now." if enabled else "It is not polled until resumed."],
            sources=[source],
            ephemeral=False,
        )

    # ---- text dispatch, choices, home --------------------------------------------------------
    async def run_text(self, caller: Caller, command: str, text: str) -> Reply:
        """Run a command typed as text: "/watch" + "add Algeria AND readmission <#C1|desk>"."""
        return await run_text(self, caller, command, text)

    async def watch_choices(self, caller: Caller, typed: str) -> list[tuple[str, str]]:
        """Watch ids the caller may act on, filtered by what they typed (autocomplete)."""
        typed = typed.strip().lstrip("#").lower()
        out = []
        for w in await self._listed_watches(caller):
            label = f"#{w.id} · {w.query}" + (" (paused)" if w.paused else "")
            if not typed or typed in label.lower():
                out.append((str(w.id), label[:100]))
        return out[:CHOICES_LIMIT]

    async def source_choices(self, caller: Caller, typed: str) -> list[tuple[str, str]]:
        """Source ids filtered by what was typed (autocomplete)."""
        typed = typed.strip().lstrip("#").lower()
        out = []
        for s in await self.store.list_sources():
            label = f"#{s.id} · {s.name}"
            if not typed or typed in label.lower() or typed in s.url.lower():
                out.append((str(s.id), label[:100]))
        return out[:CHOICES_LIMIT]

    async def home(self, caller: Caller) -> Reply:
        """The caller's watches and those delivered to channels they created watches in."""
        own = await self.store.list_watches(owner=caller.owner)
        channels = {w.destination for w in own if w.destination != caller.personal_destination}
        shared: dict[int, WatchRecord] = {w.id: w for w in own}
        for dest in sorted(channels):
            for w in await self.store.list_watches(destination=dest):
                shared.setdefault(w.id, w)
        watches = sorted(shared.values(), key=lambda w: w.id)
        return Reply(
            title="Your Wirewatch",
            watches=watches,
            lines=[] if watches else [say("No watches yet. ", usage_of("watch", "add"))],
        )
