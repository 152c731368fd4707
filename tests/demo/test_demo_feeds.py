"""The demo's feed server and sample news, read by the real feed parser, matcher and clusterer."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.core.cluster import StoryClusters
from bot.core.item import Item
from bot.core.query import parse
from bot.core.summary import summarize
from bot.demo import DemoFeeds
from bot.sources.rss import parse_feed

START = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
TLS = ssl.create_default_context()


@pytest.fixture
async def demo() -> AsyncIterator[DemoFeeds]:
    async with DemoFeeds(clock=lambda: START) as feeds:
        yield feeds


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, trust_env=False, verify=TLS) as client:
        yield client


async def read_all(demo: DemoFeeds, http: httpx.AsyncClient) -> dict[str, list[Item]]:
    """Fetch and parse every feed with the production parser."""
    out = {}
    for name, url in demo.sources():
        answer = await http.get(url)
        assert answer.status_code == 200
        parsed = await parse_feed(
            answer.content,
            base_url=url,
            source_name=name,
            headers=answer.headers,
        )
        out[name] = parsed.items
    return out


async def new_in_phase_2(demo: DemoFeeds, http: httpx.AsyncClient) -> list[Item]:
    before = await read_all(demo, http)
    demo.advance()
    after = await read_all(demo, http)
    seen = {item.identity for items in before.values() for item in items}
    return [item for items in after.values() for item in items if item.identity not in seen]


async def test_five_outlets_in_english_and_french_on_loopback(demo, http):
    sources = demo.sources()
    names = [name for name, _ in sources]
    assert names == ["Wire Service", "Le Quotidien", "Gulf Observer", "Daily Ledger", "Tech Pulse"]
    assert all(url.startswith(f"http://127.0.0.1:{demo.port}/") for _, url in sources)
    feeds = await read_all(demo, http)
    assert {item.lang for items in feeds.values() for item in items} == {"en", "fr"}
    assert all(len(items) == 6 for items in feeds.values())
    assert demo.phase == 1


async def test_one_feed_is_atom_and_the_others_rss(demo, http):
    kinds = []
    for _, url in demo.sources():
        answer = await http.get(url)
        kinds.append(answer.headers["Content-Type"].split(";")[0])
        assert answer.text.lstrip().startswith("<?xml")
    assert kinds.count("application/atom+xml") == 1
    assert kinds.count("application/rss+xml") == 4


async def test_items_carry_dates_authors_tags_and_links_to_article_pages(demo, http):
    items = [item for items in (await read_all(demo, http)).values() for item in items]
    for item in items:
        assert item.published is not None and item.published <= START
        assert item.author and item.tags and item.guid.startswith("urn:wirewatch-demo:")
        page = await http.get(item.url)
        assert page.status_code == 200 and item.title.split(" ")[0] in page.text
    assert (await http.get(f"{demo.base_url}/wire-service/no-such-story")).status_code == 404


async def test_phase_2_keeps_the_old_stories_and_adds_new_ones(demo, http):
    before = await read_all(demo, http)
    assert demo.advance() == 2 and demo.phase == 2
    after = await read_all(demo, http)
    for name, old in before.items():
        assert {i.identity for i in old} < {i.identity for i in after[name]}
    assert demo.advance() == 2  # there is no phase 3


async def test_feeds_answer_304_to_a_matching_etag_until_the_next_phase(demo, http):
    _, url = demo.sources()[0]
    first = await http.get(url)
    etag = first.headers["ETag"]
    again = await http.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    demo.advance()
    changed = await http.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert len(changed.content) > len(first.content)


async def test_the_home_page_advertises_every_feed(demo, http):
    home = await http.get(demo.base_url + "/")
    for _, url in demo.sources():
        assert f'href="{url}"' in home.text
    assert (await http.get(f"{demo.base_url}/nobody/feed.xml")).status_code == 404


async def test_the_france_algeria_story_and_only_it_matches_algeria_and_readmission(demo, http):
    fresh = await new_in_phase_2(demo, http)
    rule = parse("Algeria AND readmission")
    matched = sorted(item.source for item in fresh if rule.matches(item))
    assert matched == ["Daily Ledger", "Gulf Observer", "Wire Service"]
    near_misses = [item for item in fresh if not rule.matches(item)]
    assert any("Algeria" in item.title for item in near_misses)  # the energy story
    assert any("readmission" in item.title for item in near_misses)  # the students story
    assert any("Nigeria" in item.title for item in near_misses)


async def test_the_french_report_matches_a_french_rule(demo, http):
    fresh = await new_in_phase_2(demo, http)
    rule = parse("Algérie AND réadmission AND ressortissant*")
    [french] = [item for item in fresh if rule.matches(item)]
    assert french.source == "Le Quotidien" and french.lang == "fr"
    assert french.title.startswith("La France et l'Algérie relancent leur coopération sécuritaire")


async def test_the_summary_for_the_rule_reaches_the_readmission_sentence(demo, http):
    fresh = await new_in_phase_2(demo, http)
    rule = parse("Algeria AND readmission")
    for item in (i for i in fresh if rule.matches(i)):
        summary = summarize(item, lambda text, lang=item.lang: rule.highlight(text, lang))
        assert "readmission of" in summary.text
        assert not summary.text.startswith(item.title)


async def test_the_english_reports_of_one_event_cluster_and_other_stories_do_not(demo, http):
    fresh = await new_in_phase_2(demo, http)
    clusters = StoryClusters(window=timedelta(hours=48))
    ids = {
        item.title: clusters.assign(n, item, item.published or START)
        for n, item in enumerate(fresh)
    }
    rule = parse("Algeria AND readmission")
    event = {ids[i.title] for i in fresh if rule.matches(i)}
    assert len(event) == 1
    others = [ids[i.title] for i in fresh if i.lang == "en" and not rule.matches(i)]
    assert len(set(others)) == len(others) and not event & set(others)


async def test_an_election_rule_excluding_polls_skips_the_opinion_poll_story(demo, http):
    fresh = await new_in_phase_2(demo, http)
    rule = parse("(election OR vote) AND NOT poll*")
    titles = [item.title for item in fresh if rule.matches(item)]
    assert any("Chile" in title for title in titles)
    assert not any("polls" in title.lower() for title in titles)


def test_dates_are_relative_to_the_start_so_the_demo_always_looks_fresh():
    assert DemoFeeds(clock=lambda: START).catalogue.stories
    with pytest.raises(RuntimeError, match="async with"):
        DemoFeeds().sources()
