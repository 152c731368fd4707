"""A loopback news farm for bench/bot.py: N RSS feeds in four languages that publish over time.

Text. Each language (English, French, German, Spanish) has a vocabulary of real function and news
words followed by a long tail of made-up words spelt with the language's letters (accents, ß, ñ),
and made-up names; words are drawn with Zipf frequencies (probability ~ 1 / rank). Titles and
summaries carry each language's punctuation: “curly quotes” and ’ in English, « guillemets » with
no-break spaces in French, „Anführungszeichen“ in German, ¿inverted? ¡marks! in Spanish, dashes —
and ellipses … everywhere.

Feeds. Feed n is in language n % 4, starts with 20 items published over the past 36 hours, and
keeps its newest 30. Publishing is a Poisson process: on average `publish_fraction` of the feeds
publish one or two items per `interval` seconds, at random moments. One new item in six is
another outlet's copy of a story published in the last hours (same facts, a reworded title), so
story clustering and alert updates are exercised. A feed answers 304 to a matching
`If-None-Match` or `If-Modified-Since`.

The farm remembers when each item appeared (`/_published`: link -> Unix time) and logs every
feed request (`/_log`: times and statuses), so the benchmark can compute poll counts per cycle
and item-to-alert latency. Run it as a child process: `python bench/news_farm.py --feeds N
--port-file F`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from match import Zipf  # bench/match.py (this folder is first on sys.path)

LANGUAGES = ("en", "fr", "de", "es")
NBSP = "\u00a0"

FUNCTION_WORDS = {
    "en": "the of and to in a is that for on with as was by at from it are be this has have an "
    "not but its after over were will which their who been also than into about would could "
    "other out some when all there",
    "fr": "de la le les des du un une et en au aux pour par sur dans est sont ont avec qui que "
    "se sa son ses leur ce cette il elle ils ne pas plus mais comme après selon entre sans",
    "de": "der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als auch "
    "es an er hat aus bei nach wie über vor zum zur wird sind noch gegen seit müssen",
    "es": "de la que el en y a los se del las un por con no una su para es al lo como más pero "
    "sus le ya o este sí porque esta entre cuando muy sin sobre también",
}
NEWS_WORDS = {
    "en": "government minister talks security cooperation border agreement economy election "
    "parliament court ruling storm flood energy prices market trade summit health vaccine "
    "school strike protest police investigation report climate drought harvest port shipping "
    "president ministry budget inflation central bank rates unemployment refugees migration "
    "ceasefire troops army attack killed injured rescue earthquake wildfire opposition coalition",
    "fr": "gouvernement ministre négociations sécurité coopération frontière accord économie "
    "élection parlement tribunal décision tempête inondation énergie prix marché commerce sommet "
    "santé vaccin école grève manifestation police enquête rapport climat sécheresse récolte "
    "président ministère budget inflation banque taux chômage réfugiés migration trêve armée "
    "attaque blessés secours séisme incendie opposition coalition ressortissants réadmission",
    "de": "Regierung Minister Gespräche Sicherheit Zusammenarbeit Grenze Abkommen Wirtschaft Wahl "
    "Parlament Gericht Urteil Sturm Hochwasser Energie Preise Markt Handel Gipfel Gesundheit "
    "Impfstoff Schule Streik Protest Polizei Ermittlungen Bericht Klima Dürre Ernte Hafen "
    "Präsident Ministerium Haushalt Inflation Zentralbank Zinsen Arbeitslosigkeit Flüchtlinge "
    "Migration Waffenruhe Truppen Angriff Verletzte Rettung Erdbeben Waldbrand Opposition",
    "es": "gobierno ministro negociaciones seguridad cooperación frontera acuerdo economía "
    "elecciones parlamento tribunal sentencia tormenta inundación energía precios mercado "
    "comercio cumbre salud vacuna escuela huelga protesta policía investigación informe clima "
    "sequía cosecha puerto presidente ministerio presupuesto inflación banco tipos desempleo "
    "refugiados migración tregua ejército ataque heridos rescate terremoto incendio oposición",
}
SYLLABLES = {
    "en": "ka ri to ma ne lo sa vi de ru po li an el or us ta mi go be ha ke fo tra gel mon dar "
    "vek sil bor qua ist ven lud wor thal",
    "fr": "ka ri to ma ne lo sa vi dé ru po li an el or us ta mi go be ré ke fo tra gel mon dar "
    "vè sil bor qua ist ven çon lué oix eau",
    "de": "ka ri to ma ne lo sa vi de ru po li an el or us ta mi go be ha ke fo tra gel mon dar "
    "vek sil bor ist ven lüd mög schä ßen",
    "es": "ka ri to ma ne lo sa vi de ru po li an el or us ta mi go be ha ke fo tra gel mon dar "
    "vek sil bor ñar ven lud cío jú",
}
QUOTES = {"en": ("“", "”"), "fr": ("«" + NBSP, NBSP + "»"), "de": ("„", "“"), "es": ("«", "»")}
TAIL_WORDS = 20_000
NAMES = 5_000


def _made_up(rng: random.Random, syllables: list[str], count: int, taken: set[str]) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            out[word] = None
    return list(out)


@dataclass
class Language:
    """One language's words: Zipf over function + news words + a made-up long tail; names."""

    code: str
    words: Zipf
    names: Zipf
    news: list[str]
    tail: list[str]
    name_list: list[str]


def make_languages(seed: int = 16) -> dict[str, Language]:
    """The four languages' vocabularies (the same for the same seed)."""
    rng = random.Random(seed)
    out = {}
    for code in LANGUAGES:
        function = FUNCTION_WORDS[code].split()
        news = NEWS_WORDS[code].split()
        syllables = SYLLABLES[code].split()
        taken = set(function) | {w.lower() for w in news}
        tail = _made_up(rng, syllables, TAIL_WORDS, taken)
        names = [w.capitalize() for w in _made_up(rng, syllables, NAMES, taken | set(tail))]
        # function words first, news words next, then the long tail: a Zipf curve over them all
        ranked = function[:12] + news[:20] + function[12:] + news[20:] + tail
        out[code] = Language(code, Zipf(ranked, 1.05), Zipf(names, 1.0), news, tail, names)
    return out


def _sentence(rng: random.Random, lang: Language, low: int, high: int) -> str:
    words = lang.words.draw(rng, rng.randint(low, high))
    for at in rng.sample(range(len(words)), k=min(len(words), rng.randint(1, 3))):
        words[at] = lang.names.draw(rng)[0]
    open_quote, close_quote = QUOTES[lang.code]
    if rng.random() < 0.3:  # a quoted phrase
        start = rng.randrange(max(1, len(words) - 3))
        words[start] = open_quote + words[start]
        words[start + 2 if start + 2 < len(words) else -1] += close_quote
    if rng.random() < 0.3:
        words.insert(rng.randrange(1, len(words)), "—")
    text = " ".join(words)
    text = text[0].upper() + text[1:]
    if lang.code == "en" and rng.random() < 0.2:
        text = text.replace(" s ", "’s ", 1)
    if lang.code == "es" and rng.random() < 0.2:
        return "¿" + text + "?"
    if lang.code == "fr" and rng.random() < 0.2:
        return text + NBSP + "!"
    return text + rng.choice([".", ".", ".", "…", "!" if lang.code != "es" else "."])


def make_story(rng: random.Random, lang: Language) -> tuple[str, str]:
    """Return a (title, summary) in the language."""
    title = _sentence(rng, lang, 5, 10).rstrip(".…!?" + NBSP)
    summary = " ".join(_sentence(rng, lang, 10, 20) for _ in range(rng.randint(2, 3)))
    return title, summary


def reword(rng: random.Random, title: str) -> str:
    """Another outlet's headline for the same story: a word dropped or two swapped."""
    words = title.split()
    if len(words) > 5 and rng.random() < 0.5:
        del words[rng.randrange(1, len(words))]
    elif len(words) > 3:
        i = rng.randrange(1, len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


@dataclass
class FeedItem:
    """One item of a feed."""

    guid: str
    link: str
    title: str
    summary: str
    published: float


@dataclass
class Feed:
    """One feed: its language, items (newest first) and rendered body."""

    number: int
    lang: str
    items: list[FeedItem] = field(default_factory=list)
    version: int = 0
    body: bytes = b""
    etag: str = ""
    modified: str = ""


class Farm:
    """All feeds, their publishing, and what the benchmark needs to know afterwards."""

    def __init__(
        self, feeds: int, *, interval: float, publish_fraction: float, seed: int, port: int
    ) -> None:
        self.rng = random.Random(seed)
        self.languages = make_languages()
        self.port = port
        self.interval = interval
        self.publish_fraction = publish_fraction
        self.feeds = [Feed(n, LANGUAGES[n % len(LANGUAGES)]) for n in range(feeds)]
        self.published: dict[str, float] = {}  # link -> when it appeared (items published live)
        self.requests: list[tuple[float, int]] = []
        self.recent: list[tuple[str, str, str]] = []  # (lang, title, summary) of live stories
        start = time.time()
        for feed in self.feeds:
            for k in range(20):
                self._add(feed, start - 36 * 3600 * (20 - k) / 20, live=False)
            self._render(feed)

    def _add(self, feed: Feed, when: float, *, live: bool) -> None:
        lang = self.languages[feed.lang]
        same_lang = [r for r in self.recent[-200:] if r[0] == feed.lang]
        if live and same_lang and self.rng.random() < 1 / 6:
            _, title, summary = self.rng.choice(same_lang)
            title = reword(self.rng, title)
        else:
            title, summary = make_story(self.rng, lang)
        seq = len(feed.items) + feed.version * 1000
        host = f"news{feed.number % 97}.example"
        item = FeedItem(
            guid=f"farm-{feed.number}-{seq}-{int(when * 1000)}",
            link=f"https://{host}/{feed.lang}/{feed.number}/{seq}-{int(when * 1000)}",
            title=title,
            summary=summary,
            published=when,
        )
        feed.items.insert(0, item)
        del feed.items[30:]
        if live:
            self.published[item.link] = when
            self.recent.append((feed.lang, title, summary))
            del self.recent[:-1000]

    def _render(self, feed: Feed) -> None:
        feed.version += 1
        parts = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
            f"<title>Farm feed {feed.number}</title>",
            f"<link>https://news{feed.number % 97}.example/{feed.lang}/</link>",
            f"<description>news farm</description><language>{feed.lang}</language>",
        ]
        for item in feed.items:
            when = format_datetime(datetime.fromtimestamp(item.published, UTC), usegmt=True)
            parts.append(
                f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
                f'<guid isPermaLink="false">{item.guid}</guid><pubDate>{when}</pubDate>'
                f"<description>{escape(item.summary)}</description></item>"
            )
        parts.append("</channel></rss>")
        feed.body = "".join(parts).encode()
        feed.etag = '"' + hashlib.blake2b(feed.body, digest_size=8).hexdigest() + '"'
        feed.modified = format_datetime(datetime.now(UTC), usegmt=True)

    async def publish_forever(self) -> None:
        """Publish one or two items at a time, at Poisson-distributed moments."""
        rate = len(self.feeds) * self.publish_fraction / self.interval  # publications per second
        if rate <= 0:
            return
        while True:
            await asyncio.sleep(self.rng.expovariate(rate))
            feed = self.rng.choice(self.feeds)
            for _ in range(self.rng.choice((1, 1, 2))):
                self._add(feed, time.time(), live=True)
            self._render(feed)


def serve(feeds: int, port_file: Path, interval: float, publish_fraction: float, seed: int) -> None:
    """Run the farm until killed; write the port to `port_file` once listening."""
    from aiohttp import web

    farm: Farm | None = None

    async def feed(request: web.Request) -> web.Response:
        assert farm is not None
        name = request.match_info["n"]
        if not name.isdigit() or int(name) >= len(farm.feeds):
            return web.Response(status=404)
        f = farm.feeds[int(name)]
        validators = {"ETag": f.etag, "Last-Modified": f.modified}
        if request.headers.get("If-None-Match") == f.etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == f.modified
        ):
            farm.requests.append((time.time(), 304))
            return web.Response(status=304, headers=validators)
        farm.requests.append((time.time(), 200))
        return web.Response(
            body=f.body, headers={**validators, "Content-Type": "application/rss+xml"}
        )

    async def published(request: web.Request) -> web.Response:
        assert farm is not None
        return web.json_response(farm.published)

    async def log(request: web.Request) -> web.Response:
        assert farm is not None
        return web.json_response(farm.requests)

    async def summary(request: web.Request) -> web.Response:
        assert farm is not None
        first = farm.requests[0][0] if farm.requests else None
        return web.json_response({"requests": len(farm.requests), "first": first})

    async def main() -> None:
        nonlocal farm
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        app.router.add_get("/_published", published)
        app.router.add_get("/_log", log)
        app.router.add_get("/_summary", summary)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        farm = Farm(
            feeds, interval=interval, publish_fraction=publish_fraction, seed=seed, port=port
        )
        publisher = asyncio.create_task(farm.publish_forever())
        port_file.write_text(str(port))
        try:
            await asyncio.Event().wait()
        finally:
            publisher.cancel()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=300.0)
    parser.add_argument("--publish-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    serve(args.feeds, args.port_file, args.interval, args.publish_fraction, args.seed)


if __name__ == "__main__":
    main()
