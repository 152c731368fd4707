"""Benchmark the watch-rule matcher against evaluating every rule and tantivy percolation.

Run: uv run --group bench python bench/match.py [--rules 100000] [--items 2000] [--long-items 300]
     [--history 20000] [--languages de,es,it]

Generates N rules with a realistic mix (1 to 6 terms drawn from a Zipf vocabulary of named
entities and topic words, some with common words, with AND, OR, NOT, phrases, prefixes, NEAR
and fields) and items of two sizes (title + summary, about 100 words; full text, about 800
words; names with accents, in Cyrillic and in Chinese characters, typographic quotes, dashes
and apostrophes), then measures on one core: rule parse and add time, items/s, candidates per
item, match rate, peak RSS; and, side by side on the same items, (a) evaluating every rule per
item and (b) tantivy percolating a batch of items through an in-memory index for the rules
tantivy can express. It checks that every method returns the same matches and prints a
Markdown table.

Fairness. Each side of a comparison gets one untimed pass over the very items it is then
timed on (caches, stem tables, CPU caches warm on both sides). Tantivy gets its best use from
Python: its queries are built once, before any timing; hit ids are the document addresses
(one segment, documents numbered in the order added: checked after timing), not a stored
field; the whole batch is indexed at once (`--tantivy-batch 0`, the default: every English
title+summary item), with a writer heap large enough for one segment.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import platform
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.analysis import analyse
from bot.core.item import Item
from bot.core.matcher import Matcher
from bot.core.query import Query, parse
from bot.core.rule_nodes import And, Node, Not, Or, Phrase, Word
from bot.core.text import stem, words

SYLLABLES = (
    "ka", "ri", "to", "ma", "ne", "lo", "sa", "vi", "de", "ru", "po", "li", "an", "el", "or",
    "us", "ta", "mi", "go", "be", "zu", "ha", "ke", "fo", "ni", "tra", "gel", "mon", "dar",
    "vek", "sil", "bor", "qua", "ist", "ven", "lud",
)  # fmt: skip
COMMON = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "with", "as", "was", "by",
    "at", "from", "it", "are", "be", "this", "said", "has", "have", "an", "not", "but", "its",
    "after", "over", "were", "new", "more", "will", "which", "their", "who", "been", "two",
    "also", "than", "into", "government", "people", "year", "first", "last", "up", "about",
    "would", "could", "other", "out", "some", "when", "all", "there",
)  # fmt: skip
INFLECTIONS = ("", "", "", "s", "ing", "ed", "ion", "ions", "er", "ers")
SITES = [f"news{i}.example.org" for i in range(40)] + ["www.bbc.co.uk", "www.lemonde.fr"]


class Zipf:
    """Draw from a list with probability proportional to 1 / rank ** s."""

    def __init__(self, values: Sequence[str], s: float = 1.0) -> None:
        self.values = list(values)
        weights = [1.0 / (rank**s) for rank in range(1, len(values) + 1)]
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.values, cum_weights=self.cumulative, k=k)

    def probability(self) -> dict[str, float]:
        total = self.cumulative[-1]
        return {v: (1.0 / (r + 1)) / total for r, v in enumerate(self.values)}


def _pseudo_words(rng: random.Random, count: int, syllables: tuple[int, int]) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < count:
        size = rng.randint(*syllables)
        out["".join(rng.choice(SYLLABLES) for _ in range(size))] = None
    return list(out)


@dataclass
class World:
    """The synthetic vocabulary: function words, content words and named entities.

    Items draw content words and entities from Zipf distributions over large vocabularies;
    rules draw from flatter Zipf distributions (people watch the long tail of names and
    topics, not only the headlines), and never watch the 200 most common content words.
    """

    entities: Zipf
    content: Zipf
    topics: Zipf
    function: Zipf
    watched_entities: Zipf
    watched_topics: Zipf
    common: Zipf  # the 200 most common content words, which some rules use


ACCENTED = str.maketrans({"e": "é", "o": "ö", "n": "ñ", "c": "ç", "u": "ü", "a": "à"})
CYRILLIC = str.maketrans(
    {"a": "а", "b": "б", "d": "д", "e": "е", "g": "г", "h": "х", "i": "и", "k": "к", "l": "л",
     "m": "м", "n": "н", "o": "о", "p": "п", "q": "ку", "r": "р", "s": "с", "t": "т", "u": "у",
     "v": "в", "z": "з", "f": "ф"}
)  # fmt: skip
HAN = "东京北上海广州深圳成都重庆天津武汉南西安杭苏长沙青岛郑大连"


def _non_ascii(rng: random.Random, word: str) -> str:
    """One entity in five accented, one in twenty in Cyrillic, one in fifty in Han characters."""
    roll = rng.random()
    if roll < 0.02:
        return "".join(rng.choice(HAN) for _ in range(rng.randint(2, 3)))
    if roll < 0.07:
        return word.lower().translate(CYRILLIC).capitalize()
    if roll < 0.27:
        at = rng.randrange(len(word))
        return word[:at] + word[at:].translate(ACCENTED)
    return word


def make_world(rng: random.Random, rule_skew: float, ascii_only: bool = False) -> World:
    entities = [w.capitalize() for w in _pseudo_words(rng, 100_000, (2, 4))]
    if not ascii_only:
        entities = [_non_ascii(rng, w) for w in entities]
    entities = list(dict.fromkeys(entities))
    taken = {w.lower() for w in entities}
    content = [w for w in _pseudo_words(rng, 32_000, (2, 4)) if w not in taken][:30_000]
    return World(
        entities=Zipf(entities, 1.0),
        content=Zipf(content, 1.0),
        topics=Zipf(content[200:], 1.0),
        function=Zipf(COMMON, 1.0),
        watched_entities=Zipf(entities, rule_skew),
        watched_topics=Zipf(content[200:], rule_skew),
        common=Zipf(content[:200], 1.0),
    )


def make_rule(rng: random.Random, world: World) -> str:
    """One rule in the realistic mix; 1 to 6 terms."""
    ent = lambda: world.watched_entities.draw(rng)[0]  # noqa: E731
    top = lambda: world.watched_topics.draw(rng)[0]  # noqa: E731
    kind = rng.random()
    if kind < 0.001:  # a common word alone (not among the 20 commonest): 1-15 % of items
        return rng.choice(world.common.values[20:])
    if kind < 0.04:
        return f"{world.common.draw(rng)[0]} AND {ent()}"
    if kind < 0.06:
        return f'"{world.function.draw(rng)[0]} {ent()}" {top()}'
    if kind < 0.30:
        return " AND ".join([ent()] + [top() for _ in range(rng.randint(1, 3))])
    if kind < 0.45:
        group = " OR ".join(ent() for _ in range(rng.randint(2, 4)))
        return f"({group}) AND {top()}"
    if kind < 0.55:
        return f'"{ent()} {ent()}" {top()}'
    if kind < 0.63:
        word = top()
        return f"{word[: max(4, len(word) - 2)]}* AND {ent()}"
    if kind < 0.73:
        return f"{ent()} {top()} -{top()}"
    if kind < 0.81:
        return f"{ent()} NEAR/{rng.randint(2, 10)} {top()}"
    if kind < 0.86:
        return f"title:{ent()} {top()}"
    if kind < 0.90:
        return f"site:{rng.choice(SITES).removeprefix('www.')} {ent()}"
    if kind < 0.94:
        return f"lang:fr {ent()} {top()}"
    if kind < 0.96:
        return ent()
    return f"{ent()} OR {ent()} OR ({top()} AND {top()})"


def make_text(
    rng: random.Random,
    world: World,
    size: int,
    focus: tuple[list[str], list[str]],
    ascii_only: bool = False,
) -> str:
    """Words of one article: function words, general vocabulary, and its own topics and names."""
    entities, topics = focus
    out: list[str] = []
    for roll in (rng.random() for _ in range(size)):
        if roll < 0.45:
            out.append(world.function.draw(rng)[0])
        elif roll < 0.75:
            out.append(world.content.draw(rng)[0] + rng.choice(INFLECTIONS))
        elif roll < 0.90:
            out.append(rng.choice(topics) + rng.choice(INFLECTIONS))
        else:
            out.append(rng.choice(entities))
    # Typographic punctuation: quotes around a few words, dashes, apostrophes, ellipses.
    for _ in range(0 if ascii_only else size // 25):
        at = rng.randrange(len(out))
        mark = rng.random()
        if mark < 0.3:
            out[at] = f"“{out[at]}”"
        elif mark < 0.45:
            out[at] = f"«\u00a0{out[at]}\u00a0»"
        elif mark < 0.7:
            out.insert(at, rng.choice(("—", "–")))
        elif mark < 0.85:
            out[at] += "’s"
        else:
            out[at] += "…"
    return " ".join(out)


def make_item(rng: random.Random, world: World, full_text: bool, ascii_only: bool = False) -> Item:
    """An article about a few named entities and a dozen topic words."""
    focus = (world.entities.draw(rng, 4), world.topics.draw(rng, 12))
    lang = "fr" if rng.random() < 0.15 else "en"
    return Item(
        title=make_text(rng, world, 12, focus, ascii_only),
        summary=make_text(rng, world, 88, focus, ascii_only),
        content=make_text(rng, world, 700, focus, ascii_only) if full_text else "",
        url=f"https://{rng.choice(SITES)}/story/{rng.randint(1, 10**9)}",
        source="Synthetic wire",
        lang=lang,
    )


class CollectorTime:
    """Wall time spent in the garbage collector's passes while the block runs, and how many
    of them were full passes (the ones that walk every object not frozen)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full_passes = 0
        self._started = 0.0

    def __enter__(self) -> CollectorTime:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full_passes += info["generation"] == 2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Run `fn`; return the CPU seconds it used (fair on a shared machine) and its result."""
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def match_all(matcher: Matcher, batch: list[Item], explain: bool = False) -> list[list[str]]:
    """Match every item; with `explain`, also read every hit's explanation (spans)."""
    out = []
    for item in batch:
        hits = matcher.match(item)
        if explain:
            for hit in hits:
                assert hit.match.terms
        out.append([h.rule_id for h in hits])
    return out


def brute_force(rules: dict[str, Query], batch: list[Item]) -> tuple[float, list[list[str]]]:
    """Evaluate every rule on every item (analysed once), then explain the hits.

    Return the CPU seconds spent explaining (the rest of the call's time is matching)."""
    out = []
    explaining = 0.0
    for item in batch:
        doc = analyse(item)
        matched = sorted(r for r, q in rules.items() if q.matches(doc))
        started = time.process_time()
        for rule_id in matched:
            assert rules[rule_id].explain(doc) is not None
        explaining += time.process_time() - started
        out.append(matched)
    return explaining, out


# tantivy ------------------------------------------------------------------------------------

TEXT_FIELDS = ("title", "summary", "content")


def expressible(node: Node) -> bool:
    """Rules tantivy can run with the same meaning: words, exact phrases, AND, OR, NOT, text."""
    if isinstance(node, Word | Phrase):
        return node.scope == "text" and (not isinstance(node, Phrase) or node.slop is None)
    if isinstance(node, And | Or):
        return all(expressible(p) for p in node.parts)
    if isinstance(node, Not):
        return expressible(node.child)
    return False


def to_tantivy(node: Node, schema: object, lang_stem: Callable[[str], str]) -> object:
    import tantivy

    should = tantivy.Occur.Should
    if isinstance(node, Word):
        term = lang_stem(node.word)
        return tantivy.Query.boolean_query(
            [(should, tantivy.Query.term_query(schema, f"{f}_stem", term)) for f in TEXT_FIELDS]
        )
    if isinstance(node, Phrase):
        if len(node.words) == 1:
            parts = [
                tantivy.Query.term_query(schema, f"{f}_raw", node.words[0]) for f in TEXT_FIELDS
            ]
        else:
            parts = [
                tantivy.Query.phrase_query(schema, f"{f}_raw", list(node.words))
                for f in TEXT_FIELDS
            ]
        return tantivy.Query.boolean_query([(should, p) for p in parts])
    if isinstance(node, Or):
        return tantivy.Query.boolean_query(
            [(should, to_tantivy(p, schema, lang_stem)) for p in node.parts]
        )
    assert isinstance(node, And)
    clauses = []
    for part in node.parts:
        if isinstance(part, Not):
            clauses.append((tantivy.Occur.MustNot, to_tantivy(part.child, schema, lang_stem)))
        else:
            clauses.append((tantivy.Occur.Must, to_tantivy(part, schema, lang_stem)))
    return tantivy.Query.boolean_query(clauses)


def tantivy_schema() -> object:
    import tantivy

    builder = tantivy.SchemaBuilder()
    for f in TEXT_FIELDS:
        builder.add_text_field(f"{f}_stem", tokenizer_name="en_stem")
        builder.add_text_field(f"{f}_raw", tokenizer_name="default")
    builder.add_integer_field("id", stored=True)  # read only by the check after timing
    return builder.build()


def tantivy_queries(rules: dict[str, Query], schema: object) -> list[tuple[str, object]]:
    """Every rule as a tantivy query, built once (outside any timing)."""
    english = lambda w: stem(w, "en")  # noqa: E731
    return [(rule_id, to_tantivy(q.root, schema, english)) for rule_id, q in rules.items()]


def tantivy_percolate(
    schema: object, queries: list[tuple[str, object]], batch: list[Item]
) -> tuple[float, list[list[str]]]:
    """Index `batch` in memory in one segment, run every query; return CPU seconds and hits
    per item. A hit's item is its document address (documents are numbered in the order added
    in a single segment: checked after the timing, which it does not count)."""
    import tantivy

    # The items' folded words, as our analyser gives them, so both sides see the same tokens.
    texts = [[" ".join(words(getattr(item, f))) for f in TEXT_FIELDS] for item in batch]
    start = time.process_time()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=1_000_000_000, num_threads=1)  # one segment for the batch
    for number, values in enumerate(texts):
        doc = tantivy.Document()
        doc.add_integer("id", number)
        for f, value in zip(TEXT_FIELDS, values, strict=True):
            doc.add_text(f"{f}_stem", value)
            doc.add_text(f"{f}_raw", value)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    hits: list[list[str]] = [[] for _ in batch]
    limit = len(batch)
    for rule_id, query in queries:
        for _score, address in searcher.search(query, limit=limit, count=False).hits:
            hits[address.doc].append(rule_id)
    elapsed = time.process_time() - start
    assert searcher.num_segments == 1, "the batch must be one segment for address.doc ids"
    for _rule_id, query in queries[:200]:
        for _score, address in searcher.search(query, limit=limit, count=False).hits:
            assert searcher.doc(address)["id"][0] == address.doc, "documents not numbered as added"
    return elapsed, [sorted(h) for h in hits]


# main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=2000, help="title+summary items")
    parser.add_argument("--long-items", type=int, default=300, help="full-text items")
    parser.add_argument("--brute-items", type=int, default=10, help="items for (a)")
    parser.add_argument(
        "--tantivy-batch",
        type=int,
        default=0,
        help="English title+summary items for (b), indexed at once (0: all of them)",
    )
    parser.add_argument(
        "--frequency", action="store_true", help="give the matcher word frequencies"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="then match this many other items and measure new ones (a running bot)",
    )
    parser.add_argument(
        "--languages",
        default="",
        help="then match one item in each of these languages (comma-separated codes, e.g."
        " de,es,it): the time and memory of building a language's stem index",
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="ASCII names and punctuation only (the workload before issue 16)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rule-skew", type=float, default=0.6, help="Zipf exponent of the words rules watch"
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    world = make_world(rng, args.rule_skew, args.ascii)
    rule_texts = [make_rule(rng, world) for _ in range(args.rules)]
    short = [make_item(rng, world, False, args.ascii) for _ in range(args.items)]
    long = [make_item(rng, world, True, args.ascii) for _ in range(args.long_items)]
    print(f"generated {len(rule_texts)} rules, {len(short)} short and {len(long)} long items")

    parse_s, parsed = timed(lambda: [parse(t) for t in rule_texts])
    rules = {f"r{i}": q for i, q in enumerate(parsed)}  # type: ignore[arg-type]
    frequency = None
    if args.frequency:
        frequency = _estimate_frequency(rng, world)
    matcher = Matcher(frequency)
    gc.collect()
    add_s, _ = timed(lambda: [matcher.add(r, q) for r, q in rules.items()])
    # As the bot does after loading its watches (bot.app.build.App.refresh_watches): keep the
    # rules and the index out of the collector's full passes.
    gc.freeze()
    rows: list[tuple[str, str]] = [
        ("rules", f"{len(rules):,}"),
        ("parse all rules", f"{parse_s:.2f} s ({parse_s / len(rules) * 1e6:.1f} µs/rule)"),
        ("add all rules (index build)", f"{add_s:.2f} s ({add_s / len(rules) * 1e6:.1f} µs/rule)"),
    ]
    for label, batch in (("title+summary", short), ("full text", long)):
        warm = batch[: max(1, len(batch) // 20)]
        match_all(matcher, warm)  # builds the per-language stem indexes
        # As the bot does after the first item in a language (bot.app.watch_index): take the
        # new stem indexes out of the collector's full passes.
        gc.collect()
        gc.freeze()
        before = matcher.stats()
        with CollectorTime() as collector:
            seconds, hits = timed(lambda b=batch: match_all(matcher, b))
        after = matcher.stats()
        cands = _per_new_item(before, after, "candidates_per_item")
        verified = _per_new_item(before, after, "verified_per_item")
        hit_lists: list[list[str]] = hits  # type: ignore[assignment]
        rate = sum(1 for h in hit_lists if h) / len(hit_lists)
        per_item = sum(len(h) for h in hit_lists) / len(hit_lists)
        explained_s, _ = timed(lambda b=batch: match_all(matcher, b, explain=True))
        again_s, _ = timed(lambda b=batch: match_all(matcher, b))
        rows.append((f"{label}: items/s (matcher, hit ids)", f"{len(batch) / seconds:,.0f}"))
        rows.append(
            (
                f"{label}: items/s (matcher, hit ids, same items again: warm caches)",
                f"{len(batch) / again_s:,.0f}",
            )
        )
        rows.append(
            (
                f"{label}: items/s (matcher, every Hit.match read)",
                f"{len(batch) / explained_s:,.0f}",
            )
        )
        rows.append(
            (f"{label}: candidates per item / of them verified", f"{cands:,.1f} / {verified:,.1f}")
        )
        rows.append((f"{label}: items with a hit / hits per item", f"{rate:.1%} / {per_item:.2f}"))
        rows.append(
            (
                f"{label}: garbage collector while matching (hit ids): time / full passes",
                f"{collector.seconds * 1000:,.0f} ms / {collector.full_passes}",
            )
        )
    if args.history:
        # A running bot's word tables have seen many items: match `history` other items (a
        # tenth of them full text), then measure new items of each size.
        seen = [make_item(rng, world, n % 10 == 0, args.ascii) for n in range(args.history)]
        match_all(matcher, seen)
        for label, full_text, count in (
            ("title+summary", False, len(short)),
            ("full text", True, len(long)),
        ):
            fresh = [make_item(rng, world, full_text, args.ascii) for _ in range(count)]
            seconds, _ = timed(lambda b=fresh: match_all(matcher, b))
            rows.append(
                (
                    f"{label}: items/s (matcher, hit ids, new items after {args.history:,}"
                    " other items)",
                    f"{len(fresh) / seconds:,.0f}",
                )
            )
    rss_matcher = peak_rss_mb()
    rows.append(("peak RSS after matcher runs", f"{rss_matcher:,.0f} MB"))
    if args.languages:
        # The first item in a language builds that language's stem index from every rule.
        firsts = []
        for code in args.languages.split(","):
            item = dataclasses.replace(short[0], lang=code.strip())
            seconds, _ = timed(lambda i=item: matcher.match(i))
            firsts.append(f"{code.strip()} {seconds * 1000:,.0f} ms / {peak_rss_mb():,.0f} MB")
        rows.append(("first item in a new language: time / peak RSS after it", ", ".join(firsts)))

    # (a) evaluating every rule
    for label, batch in (("title+summary", short), ("full text", long)):
        sample = batch[: args.brute_items]
        # Each side gets one untimed pass over the same items right before its timed pass:
        # the stem caches, the rules' lazily built state and the CPU caches warm alike.
        brute_force(rules, sample)
        brute_s, found = timed(lambda s=sample: brute_force(rules, s))
        explaining_s, brute = found  # type: ignore[misc]
        matching_s = brute_s - explaining_s
        match_all(matcher, sample)
        ids_s, ids = timed(lambda s=sample: match_all(matcher, s))
        fast_s, fast = timed(lambda s=sample: match_all(matcher, s, explain=True))
        assert ids == fast == brute, f"matcher and brute force disagree on {label} items"
        rows.append(
            (
                f"{label}: items/s evaluating every rule (hit ids)",
                f"{len(sample) / matching_s:,.1f} (matcher {matching_s / ids_s:,.0f}x faster,"
                " same hits)",
            )
        )
        rows.append(
            (
                f"{label}: items/s evaluating every rule, every hit explained on both sides",
                f"{len(sample) / brute_s:,.1f} (matcher {brute_s / fast_s:,.0f}x faster)",
            )
        )

    # (b) tantivy
    try:
        import tantivy  # noqa: F401
    except ImportError:
        rows.append(("tantivy", "not installed: run with `uv run --group bench`"))
    else:
        portable = {r: q for r, q in rules.items() if expressible(q.root)}
        english = [i for i in short if i.lang == "en"][: args.tantivy_batch or None]
        schema = tantivy_schema()
        queries = tantivy_queries(portable, schema)
        tantivy_percolate(schema, queries, english)  # untimed, as the matcher's pass below
        tv_s, tv_hits = tantivy_percolate(schema, queries, english)
        match_all(matcher, english)
        fast_s, fast_hits = timed(lambda: match_all(matcher, english))
        restricted = [[r for r in h if r in portable] for h in fast_hits]  # type: ignore[attr-defined]
        agree = restricted == tv_hits
        rows.append(("tantivy: rules it can express", f"{len(portable):,} of {len(rules):,}"))
        rows.append(
            (
                f"tantivy: batch percolation items/s (title+summary, {len(english):,} in one batch)",
                f"{len(english) / tv_s:,.0f} for {len(portable):,} rules; matcher "
                f"{len(english) / fast_s:,.0f} for all {len(rules):,} rules"
                f" ({'same' if agree else 'DIFFERENT'} hits)",
            )
        )
        if not agree:
            diff = sum(1 for a, b in zip(restricted, tv_hits, strict=True) if a != b)
            rows.append(("tantivy: items with different hits", str(diff)))
        rows.append(("peak RSS after tantivy", f"{peak_rss_mb():,.0f} MB"))

    stats = matcher.stats()
    reference_s, _ = timed(lambda: sum(range(10_000_000)))
    rows.append(("CPU reference: sum(range(10**7))", f"{reference_s * 1000:.0f} ms"))
    rows.append(("rules with a guard word", f"{stats['guarded_rules']:,}"))
    rows.append(("largest buckets", ", ".join(f"{k} ({n})" for k, n in stats["largest_buckets"])))
    rows.append(
        (
            "rules per bucket (mean / max)",
            f"{stats['rules_per_bucket_mean']:.2f} / {stats['rules_per_bucket_max']}",
        )
    )
    print()
    print(
        f"Python {platform.python_version()}, {platform.machine()}; seed {args.seed},"
        f" rule skew {args.rule_skew}, frequency estimates {'on' if args.frequency else 'off'}"
        + (", ASCII text only" if args.ascii else "")
    )
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def _per_new_item(before: dict[str, Any], after: dict[str, Any], measure: str) -> float:
    """A per-item figure of `Matcher.stats()` over the items matched between two snapshots."""
    total = after[measure] * after["items_matched"] - before[measure] * before["items_matched"]
    return total / (after["items_matched"] - before["items_matched"])


def _estimate_frequency(rng: random.Random, world: World) -> dict[str, float]:
    """Word document frequencies from a sample of items, as the archive would provide."""
    sample = [make_item(rng, world, False) for _ in range(2000)]
    counts: dict[str, int] = {}
    for item in sample:
        for w in set(words(f"{item.title} {item.summary}")):
            counts[w] = counts.get(w, 0) + 1
    return {w: n / len(sample) for w, n in counts.items()}


if __name__ == "__main__":
    main()
