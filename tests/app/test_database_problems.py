"""Issue #18 point 5: database problems are one clear line with the password masked.

Unsupported drivers, unreachable servers and refused logins, at start and in `doctor`; an
unreachable server at start is retried with back-off for a bounded time, then the bot exits
non-zero; during an outage the running bot logs one line when it starts and one when it ends,
and recovers on its own.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app.store_start import open_store
from bot.store import DatabaseProblem
from bot.store.db_errors import describe, is_outage, masked_url
from bot.store.outage import OutageLog
from tests.app.bot_process import wirewatch
from tests.postgres_url import postgres_url

SECRET = "S3CRETPW"


def free_port() -> int:
    """A loopback port nothing listens on (the connection is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- the one line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://u:{SECRET}@h/db",
        f"postgresql+asyncpg://u:{SECRET}@db.example:5432/ww",
        f"postgresql://u:{SECRET}@h:notaport/db",
        f"weird://u:{SECRET}@[::1/db",
    ],
)
def test_masked_url_never_shows_the_password(url: str) -> None:
    shown = masked_url(url)
    assert SECRET not in shown and "***" in shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"mysql://u:{SECRET}@h/db", "unsupported database driver 'mysql'"),
        (f"postgresql://u:{SECRET}@h:notaport/db", "its port is not a number"),
        (f"not a url {SECRET}", "it cannot be parsed"),
    ],
)
async def test_an_unusable_url_is_one_line_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(DatabaseProblem) as caught:
        await open_store(url)
    assert caught.value.kind == "unsupported"
    assert expected in caught.value.message
    assert SECRET not in caught.value.message and "\n" not in caught.value.message


async def test_an_unreachable_server_is_retried_with_back_off_then_given_up() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    url = f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:{free_port()}/ww"
    with pytest.raises(DatabaseProblem) as caught:
        await open_store(url, retry_for=40, sleep=sleep, clock=lambda: now[0])
    assert slept == [1, 2, 4, 8, 15, 10]  # doubling, at most 15 s apart, within 40 s
    problem = caught.value
    assert problem.kind == "unreachable" and "gave up after 7 tries in 40s" in problem.message
    assert "cannot reach the database at postgresql+asyncpg://u:***@127.0.0.1" in problem.message
    assert SECRET not in problem.message


async def test_without_retry_an_unreachable_server_fails_at_once() -> None:
    url = f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:{free_port()}/ww"
    with pytest.raises(DatabaseProblem) as caught:
        await open_store(url)
    assert caught.value.kind == "unreachable" and SECRET not in str(caught.value)


@pytest.mark.postgres
async def test_a_refused_login_or_unknown_database_fails_at_once_without_retrying() -> None:
    base = make_url(postgres_url())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    for url, says in [
        (base.set(database=f"no_such_db_{uuid.uuid4().hex[:8]}", password=SECRET), "not exist"),
        (base.set(username=f"nobody_{uuid.uuid4().hex[:8]}", password=SECRET), "refused"),
    ]:
        text = url.render_as_string(hide_password=False)
        with pytest.raises(DatabaseProblem) as caught:
            await open_store(text, retry_for=60, sleep=sleep)
        assert caught.value.kind == "refused", caught.value.message
        assert says in caught.value.message and SECRET not in caught.value.message
    assert slept == []


# ---- the outage log ---------------------------------------------------------------------------


def test_an_outage_is_two_log_lines_however_long_it_lasts(caplog) -> None:
    caplog.set_level(logging.INFO)
    now = [100.0]
    outage = OutageLog(f"postgresql+asyncpg://u:{SECRET}@db:5432/ww", clock=lambda: now[0])
    outage.observe(ConnectionRefusedError(111, "Connect call failed"))  # before any success
    outage.succeeded()  # the start
    for _ in range(390):
        outage.observe(ConnectionRefusedError(111, "Connect call failed"))
        outage.observe(ValueError("not an outage"))
        now[0] += 0.1
    outage.succeeded()
    outage.succeeded()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("database outage: cannot reach the database at ")
    assert lines[1] == (
        "database outage over: reachable again after 39s (390 operations failed meanwhile)"
    )
    assert all(SECRET not in line for line in lines)
    assert not any(r.exc_info for r in caplog.records)


def test_lost_connections_are_outages_and_statement_errors_are_not() -> None:
    assert is_outage(ConnectionResetError())
    assert is_outage(socket.gaierror(-2, "Name or service not known"))
    assert is_outage(TimeoutError())
    assert not is_outage(ValueError("bad value"))
    assert not is_outage(LookupError("gone"))
    refused = describe(ConnectionRefusedError(111, "refused"), f"postgresql://u:{SECRET}@h/db")
    assert refused.kind == "unreachable" and SECRET not in refused.message


# ---- the command line -------------------------------------------------------------------------


async def run_with(tmp_path: Path, url: str, *args: str, extra: str = "") -> tuple[int, str]:
    """Run `wirewatch ARGS` with this database URL; return the exit code and all it printed."""
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{url}"\n{extra}\n')
    code, out, err = await wirewatch(config, *args)
    return code, out + err


@pytest.mark.slow
async def test_run_and_doctor_say_it_in_one_line_without_the_password(tmp_path) -> None:
    unreachable = f"postgresql+asyncpg://u:{SECRET}@127.0.0.1:{free_port()}/ww"
    code, out = await run_with(tmp_path, unreachable, "run", extra='connect_retry = "2s"')
    assert code == 1, out
    assert SECRET not in out and "Traceback" not in out
    assert "retrying for up to 2s" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("database: cannot reach the database at postgresql+asyncpg://u:***@")
    assert "gave up after" in last

    code, out = await run_with(tmp_path, unreachable, "doctor", "--quick")
    assert code == 1 and SECRET not in out and "Traceback" not in out
    assert "FAIL  database  cannot reach the database at" in out

    code, out = await run_with(tmp_path, f"mysql://u:{SECRET}@h/db", "run")
    assert code == 2 and SECRET not in out and "Traceback" not in out
    assert "unsupported database driver 'mysql'" in out and "mysql://u:***@h/db" in out


# ---- a running bot through an outage ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_running_bot_logs_an_outage_twice_and_recovers_on_its_own(tmp_path, caplog):
    import asyncpg

    from bot.app.runtime import BotRuntime
    from tests.app.harness import open_harness, story
    from tests.app.test_refusals import HEADLINES
    from tests.app.test_runtime import RealClock
    from tests.fakes.feed_server import FeedServer, rss_feed
    from tests.fakes.tcp_proxy import TcpProxy

    base = make_url(postgres_url())
    name = f"ww_outage_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with (
            TcpProxy(base.host or "127.0.0.1", base.port or 5432) as proxy,
            FeedServer() as feeds,
        ):
            url = base.set(host="127.0.0.1", port=proxy.port, database=name)
            feeds.set_feed("/f.xml", rss_feed([story(1, "Markets steady")]))
            h = await open_harness(
                tmp_path,
                feeds,
                [("F", feeds.url("/f.xml"))],
                ["readmission"],
                clock=RealClock(),
                poll={"interval": "1s", "min_interval": "1s"},
                database={"url": url.render_as_string(hide_password=False)},
            )
            runtime = BotRuntime(h.app)
            task = asyncio.create_task(runtime.run())
            try:
                await wait_for(lambda: runtime.polls >= 2)
                caplog.clear()
                caplog.set_level(logging.INFO)
                await proxy.cut()
                feeds.set_feed(
                    "/f.xml", rss_feed([story(1, "Markets steady"), story(2, HEADLINES[0])])
                )
                await asyncio.sleep(4)  # polls, the relay and chores all fail meanwhile
                await proxy.restore()
                await wait_for(lambda: bool(h.records()), timeout=30)
            finally:
                runtime.stop.set()
                await task
                await h.app.aclose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    (record,) = h.records()
    assert record["item"]["title"] == HEADLINES[0]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    outage = [line for line in lines if line.startswith("database outage")]
    assert len(outage) == 2, lines
    assert outage[0].startswith("database outage: cannot reach the database")
    assert outage[1].startswith("database outage over: reachable again after")
    assert not [r for r in caplog.records if r.exc_info], lines


async def wait_for(condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)
