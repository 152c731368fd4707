"""SVG charts drawn on the server, so they show without scripts: a sparkline and a bar chart.

Each chart carries a text alternative (`role="img"` with an `aria-label` and a `<title>`)
saying what it shows in words, for screen readers and for anyone hovering it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

__all__ = ["bar_chart", "sparkline", "stacked_bars"]


def _describe(counts: Sequence[int], days: Sequence[date]) -> str:
    total = sum(counts)
    if not days:
        return "no data"
    span = f"{days[0]:%d %b} to {days[-1]:%d %b}"
    if not total:
        return f"no matches from {span}"
    peak = max(range(len(counts)), key=lambda i: counts[i])
    return f"{total} matches from {span}; most on {days[peak]:%d %b} ({counts[peak]})"


def _labelled(index: int, count: int) -> bool:
    """Label every 7th day, and the last one unless it would touch the previous label."""
    last = count - 1
    return index % 7 == 0 or (index == last and last % 7 >= 3)


def sparkline(counts: Sequence[int], days: Sequence[date], *, width: int = 112) -> Markup:
    """A small line of matches per day (14 points), scaled to its own peak."""
    height = 24
    label = _describe(counts, days)
    top = max(counts, default=0) or 1
    step = width / max(len(counts) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (c / top) * (height - 4):.1f}" for i, c in enumerate(counts)
    )
    return Markup(
        '<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="{label}"><title>{label}</title>'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/>'
        "</svg>"
    ).format(w=width, h=height, label=label, points=points)


def bar_chart(
    counts: Sequence[int], days: Sequence[date], *, width: int = 640, height: int = 160
) -> Markup:
    """Matches per day as bars, with the peak on the axis and a date under every 7th bar."""
    label = _describe(counts, days)
    top = max(counts, default=0) or 1
    left, bottom = 32, 20
    plot_h = height - bottom - 8
    slot = (width - left) / max(len(counts), 1)
    parts = [
        f'<svg class="chart" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>',
        f'<text x="{left - 4}" y="12" text-anchor="end" class="axis">{top}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" class="axis">0</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'class="baseline"/>',
    ]
    for i, (count, day) in enumerate(zip(counts, days, strict=True)):
        bar_h = (count / top) * plot_h
        x = left + i * slot + 1
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - bar_h:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{bar_h:.1f}" class="bar"><title>{day:%a %d %b}: {count}</title></rect>'
        )
        if _labelled(i, len(counts)):
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                f'class="axis">{day:%d %b}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers, dates and escaped labels only


def stacked_bars(
    counts: Sequence[tuple[int, int]], days: Sequence[date], *, width: int = 640
) -> Markup:
    """Polls per day of a source: successful (lower part) and failed (upper part)."""
    height, bottom, left = 120, 20, 32
    plot_h = height - bottom - 8
    top = max((ok + bad for ok, bad in counts), default=0) or 1
    failed = sum(bad for _, bad in counts)
    total = sum(ok + bad for ok, bad in counts)
    label = f"{total} polls in {len(days)} days, {failed} failed" if days else "no data"
    slot = (width - left) / max(len(counts), 1)
    parts = [
        f'<svg class="chart" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>',
        f'<text x="{left - 4}" y="12" text-anchor="end" class="axis">{top}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'class="baseline"/>',
    ]
    for i, ((ok, bad), day) in enumerate(zip(counts, days, strict=True)):
        x = left + i * slot + 1
        ok_h = ok / top * plot_h
        bad_h = bad / top * plot_h
        tip = f"{day:%a %d %b}: {ok} ok, {bad} failed"
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - ok_h:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{ok_h:.1f}" class="bar"><title>{tip}</title></rect>'
        )
        if bad:
            parts.append(
                f'<rect x="{x:.1f}" y="{height - bottom - ok_h - bad_h:.1f}" '
                f'width="{max(slot - 2, 1):.1f}" height="{bad_h:.1f}" class="bar-failed">'
                f"<title>{tip}</title></rect>"
            )
        if _labelled(i, len(counts)):
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                f'class="axis">{day:%d %b}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers, dates and escaped labels only
