"""The `wirewatch` command: exit codes, errors a person can act on, the demo."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from rich.console import Console

from bot import cli
from bot.app.demo import run_demo


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    monkeypatch.setattr(cli, "out", Console(file=None, width=200, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=200, force_terminal=False))


def test_check_exit_codes(capsys):
    code, out, _ = run(
        [
            "check",
            "Algeria AND readmission",
            "--text",
            "Algeria agreed to the readmission of nationals.",
        ],
        capsys,
    )
    assert code == 0 and "match" in out and "readmission" in out
    code, out, _ = run(["check", "Algeria AND readmission", "--text", "Nothing here."], capsys)
    assert code == 1 and "no match" in out
    code, _, err = run(["check", "Algeria AND (readmission"], capsys)
    assert code == 2 and "syntax error" in err and "^" in err
    code, _, err = run(["check", "election or vote"], capsys)
    assert code == 2 and 'write OR, or quote "or" to search the word' in err
    assert "election or vote\n         ^" in err


def test_check_reads_a_file_and_french_stems(tmp_path: Path, capsys):
    text = tmp_path / "story.txt"
    text.write_text("Paris veut accélérer le retour des ressortissants algériens.")
    code, out, _ = run(["check", "ressortissant", "--file", str(text), "--lang", "fr"], capsys)
    assert code == 0 and "ressortissants" in out
    code, _, err = run(["check", "x", "--file", str(tmp_path / "missing.txt")], capsys)
    assert code == 2 and "cannot read" in err


FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


def test_check_reads_a_feed_file_item_by_item_in_its_own_encoding(capsys):
    feed = str(FEEDS / "koi8-r-undeclared.xml")
    code, out, _ = run(["check", "школы", "--file", feed], capsys)
    assert code == 0
    assert "feed: Северный вестник (4 items)" in out
    assert "match     #3 Губернатор пообещал новые школы в районах" in out
    assert "no match  #1 Архангельский порт закрыли из-за шторма" in out
    assert "1 of 4 items match" in out
    code, out, _ = run(["check", "Algeria", "--file", feed], capsys)
    assert code == 1 and "0 of 4 items match" in out


def test_check_on_a_feed_leaves_its_boilerplate_to_content(capsys):
    feed = str(FEEDS / "hacker-news.rss")
    code, out, _ = run(["check", "points", "--file", feed], capsys)
    assert code == 1 and "0 of 8 items match" in out
    code, out, _ = run(["check", "content:points AND spreadsheet", "--file", feed], capsys)
    assert code == 0 and "1 of 8 items match" in out
    code, out, _ = run(
        ["check", "council AND parking", "--file", str(FEEDS / "cms-views-zoom.rss")], capsys
    )
    assert code == 0 and "matched: council, parking" in out
    summary = out.split("matched: council, parking")[1]
    assert summary.lstrip().startswith("Riverside council approved") and "Total Views" not in out


def test_check_reads_a_json_feed_and_a_web_page(tmp_path: Path, capsys):
    feed = tmp_path / "feed.json"
    feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Notes", "items": ['
        '{"id": "1", "title": "Port strike ends", "content_text": "Dockers voted to return."},'
        '{"id": "2", "title": "Library hours", "content_text": "Open until eight."}]}'
    )
    code, out, _ = run(["check", "dockers", "--file", str(feed)], capsys)
    assert code == 0 and "feed: Notes (2 items)" in out and "#1 Port strike ends" in out
    page = tmp_path / "article.html"
    page.write_bytes(
        (
            '<!doctype html><html lang="fr"><head><meta charset="windows-1252">'
            "<title>Coopération sécuritaire relancée</title>"
            '<meta name="description" content="Paris et Alger relancent leur coopération.">'
            "</head><body><nav>Accueil Monde Sport</nav><article><h1>Coopération relancée</h1>"
            "<p>Paris et Alger ont décidé lundi de relancer leur coopération sécuritaire, gelée "
            "depuis plus d'un an. L'Algérie s'engage aussi à accélérer la réadmission de ses "
            "ressortissants visés par une obligation de quitter le territoire.</p>"
            "<p>Les ministres de l'intérieur se reverront dans trois mois à Paris.</p>"
            "</article><footer>Mentions légales</footer></body></html>"
        ).encode("cp1252")
    )
    code, out, _ = run(["check", "réadmission AND ressortissant", "--file", str(page)], capsys)
    assert code == 0 and "page: Coopération sécuritaire relancée (1 items)" in out
    assert "matched: réadmission, ressortissant" in out


def test_check_on_a_file_too_big_is_exit_2_and_plain_text_stays_plain(
    tmp_path: Path, capsys, monkeypatch
):
    from bot.commands import check_file

    monkeypatch.setattr(check_file, "MAX_FILE_BYTES", 100)
    big = tmp_path / "feed.xml"
    big.write_text("<rss><channel>" + "<item><title>x</title></item>" * 10 + "</channel></rss>")
    code, _, err = run(["check", "x", "--file", str(big)], capsys)
    assert code == 2 and "over the 100-byte limit" in err
    plain = tmp_path / "notes.txt"
    plain.write_bytes("Le retour des ressortissants, sans <rss>.".encode("cp1252"))
    code, out, _ = run(["check", "ressortissant", "--file", str(plain), "--lang", "fr"], capsys)
    assert code == 0 and "ressortissants" in out and "items match" not in out


def test_a_bad_config_is_exit_2_with_each_problem(tmp_path: Path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[poll]\ninterval = "soon"\n[[watches]]\nquery = "a AND"\n')
    code, _, err = run(["--config", str(config), "watch", "list"], capsys)
    assert code == 2
    assert "poll.interval" in err and "watches[0].query" in err


def test_watch_and_sources_commands_on_a_database(tmp_path: Path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n')
    code, out, _ = run(
        [
            "-c",
            str(config),
            "watch",
            "add",
            "Algeria AND readmission",
            "--to",
            f"jsonl:{tmp_path}/a.jsonl",
            "--digest",
            "hourly",
        ],
        capsys,
    )
    assert code == 0 and "Watch #1 added" in out
    code, out, _ = run(["-c", str(config), "watch", "list"], capsys)
    assert code == 0 and "Algeria AND readmission" in out and "hourly" in out
    code, out, _ = run(["-c", str(config), "watch", "pause", "1"], capsys)
    assert code == 0 and "paused" in out
    code, out, _ = run(["-c", str(config), "watch", "pause", "1", "for", "2h"], capsys)
    assert code == 0 and "Watch #1 paused until " in out and "resumes by itself" in out
    code, out, _ = run(["-c", str(config), "watch", "add", "x", "--to", "slak:C1"], capsys)
    assert code == 1 and "unknown destination 'slak:C1'" in out
    code, out, _ = run(["-c", str(config), "watch", "remove", "7"], capsys)
    assert code == 1 and "no watch #7" in out
    code, out, _ = run(
        [
            "-c",
            str(config),
            "sources",
            "add",
            "https://example.org/rss",
            "--name",
            "Example",
            "--kind",
            "rss",
        ],
        capsys,
    )
    assert code == 0 and "Source #1 added: Example" in out
    code, out, _ = run(["-c", str(config), "sources", "list"], capsys)
    assert code == 0 and "Example" in out and "not polled yet" in out
    assert "next poll" in out and "due now" in out
    code, out, _ = run(["-c", str(config), "db", "upgrade"], capsys)
    assert code == 0 and "latest schema" in out
    code, out, _ = run(["-c", str(config), "doctor", "--quick"], capsys)
    assert code == 0 and "ok" in out


def test_doctor_reports_missing_tokens(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n'
        '[slack]\nenabled = true\n[[watches]]\nquery = "x"\nto = "slack:C0123"\n'
    )
    assert run(["-c", str(config), "db", "upgrade"], capsys)[0] == 0
    code, out, _ = run(["-c", str(config), "doctor"], capsys)
    assert code == 1 and "SLACK_BOT_TOKEN is not set" in out


@pytest.mark.slow
async def test_the_demo_shows_the_algeria_alert_once_and_updates_it(tmp_path: Path):
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=False)
    code = await run_demo(console, database=str(tmp_path / "demo.db"), interval_s=1.0)
    shown = buffer.getvalue()
    assert code == 0, shown
    assert shown.count("#1 · Algeria AND readmission") == 1
    # The summary holds the readmission sentence of whichever outlet was polled first: the
    # four outlets' feeds are polled concurrently, so which one alerts is not fixed.
    assert re.search(r"r[eé]admission (of (its )?nationals|de ses ressortissants)", shown), shown
    assert "update to alert" in shown and "also reported by" in shown
    assert "Total Views" not in shown and "Zoom In" not in shown  # the Wire Service's CMS
    assert "appeared first on" not in shown  # the Daily Ledger's WordPress
    for near_miss in (
        "Algeria signs long-term gas supply deal with Italy",
        "University offers readmission to students expelled",
        "Nigeria and Britain sign agreement on returns",
        "Opinion polls tighten ahead of Portugal's snap election",
    ):
        assert near_miss not in shown


def test_doctor_on_an_unmigrated_database_says_to_upgrade(tmp_path: Path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/new.db"\n')
    code, out, _ = run(["-c", str(config), "doctor", "--quick"], capsys)
    assert code == 1 and "wirewatch db upgrade" in out
    code, _, _ = run(["-c", str(config), "db", "upgrade"], capsys)
    assert code == 0
    code, out, _ = run(["-c", str(config), "doctor", "--quick"], capsys)
    assert code == 0


def test_demo_refuses_an_existing_database(tmp_path: Path, capsys):
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    code, out, _ = run(["demo", "--db", str(existing)], capsys)
    assert code == 2 and "already exists" in out


def test_sources_import_reads_opml_and_skips_duplicates(tmp_path: Path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n')
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="World"><outline text="A" type="rss" xmlUrl="https://a.example/rss"/>'
        '<outline text="B" type="rss" xmlUrl="https://b.example/atom.xml"/></outline>'
        "</body></opml>"
    )
    code, out, _ = run(["-c", str(config), "sources", "import", str(opml)], capsys)
    assert code == 0 and "Imported 2 sources" in out
    code, out, _ = run(["-c", str(config), "sources", "import", str(opml)], capsys)
    assert code == 0 and "Imported 0 sources" in out and "2 already present" in out
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body>'
        '<outline xmlUrl="&a;"/></body></opml>'
    )
    code, _, err = run(["-c", str(config), "sources", "import", str(bomb)], capsys)
    assert code == 2 and "bomb.opml" in err


def test_a_relative_sqlite_path_follows_the_config_file_not_the_directory(
    tmp_path: Path, capsys, monkeypatch
):
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    config = deploy / "c.toml"
    config.write_text('[database]\nurl = "sqlite+aiosqlite:///data/ww.db"\n')
    monkeypatch.chdir(deploy)
    code, out, _ = run(["-c", "c.toml", "watch", "add", "Algeria AND readmission"], capsys)
    assert code == 0 and "Watch #1 added" in out
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run(["-c", str(config), "watch", "list"], capsys)
    assert code == 0 and "1 watch\n" in out and "Algeria AND readmission" in out
    assert (deploy / "data" / "ww.db").exists()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "kind", "message"),
    [
        ("notaurl", "rss", "'notaurl' is not a URL"),
        ("notaurl", None, "'notaurl' is not a URL"),
        ("https://example.org/feed", "atom", "unknown source kind 'atom'; known kinds: gdelt"),
        ("file:///etc/passwd", "rss", "only http:// and https:// URLs can be polled, not file:"),
        ("javascript:alert(1)", "html", "only http:// and https:// URLs can be polled"),
    ],
)
def test_sources_add_refuses_what_cannot_be_polled(tmp_path, capsys, url, kind, message):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n')
    argv = ["-c", str(config), "sources", "add", url] + (["--kind", kind] if kind else [])
    code, out, _ = run(argv, capsys)
    assert code == 1 and "That source cannot be added" in out and message in out
    code, out, _ = run(["-c", str(config), "sources", "list"], capsys)
    assert "0 sources" in out


def test_opml_import_refuses_what_cannot_be_polled_and_keeps_the_rest(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n')
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Good" xmlUrl="https://a.example/rss"/>'
        '<outline text="Local" xmlUrl="http://intranet/rss"/>'
        '<outline text="Bad port" xmlUrl="https://b.example:99999/rss"/>'
        "</body></opml>"
    )
    code, out, _ = run(["-c", str(config), "sources", "import", str(opml)], capsys)
    assert code == 0 and "Imported 2 sources" in out and "1 refused" in out
    assert "Bad port: 'https://b.example:99999/rss' is not a usable URL" in out


def test_doctor_warns_about_an_interval_under_min_interval(tmp_path: Path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/x.db"\n'
        '[[sources]]\nname = "Fast"\nurl = "https://fast.example/rss"\ninterval = "20s"\n'
    )
    assert run(["-c", str(config), "db", "upgrade"], capsys)[0] == 0
    code, out, _ = run(["-c", str(config), "doctor", "--quick"], capsys)
    assert code == 0
    assert "sources[0] (Fast) interval = 20s is under [poll] min_interval (1m): honoured" in out


def test_the_demo_leaves_the_callers_log_levels_as_it_found_them(tmp_path: Path, capsys):
    # The demo quiets the bot's own log lines while it runs; a caller (a test, an embedding
    # program) must not find the "bot" loggers silenced afterwards.
    bot_log = logging.getLogger("bot")
    before = bot_log.level
    existing = tmp_path / "old.db"
    existing.write_bytes(b"")
    run(["demo", "--db", str(existing)], capsys)
    assert bot_log.level == before


async def test_a_relative_jsonl_path_follows_the_config_file_like_the_database(
    tmp_path: Path, monkeypatch
):
    from bot.app.build import build_app
    from bot.settings import load_settings
    from tests.chat.test_jsonl import alert

    deploy = tmp_path / "deploy"
    deploy.mkdir()
    config = deploy / "c.toml"
    config.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///data/ww.db"\n'
        '[[watches]]\nquery = "Algeria"\nto = "jsonl:out/alerts.jsonl"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = await build_app(load_settings(config), with_chat=False)
    try:
        await app.notifiers["jsonl"].send("out/alerts.jsonl", alert(1))
    finally:
        await app.aclose()
    assert (deploy / "out" / "alerts.jsonl").read_text().count("\n") == 1
    assert list(elsewhere.iterdir()) == []
