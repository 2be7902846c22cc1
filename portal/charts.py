"""Inline SVG bar charts drawn by hand (no library, no script, no external reference).

Colours come from the stylesheet (classes ``s0``…``s3``); every label is escaped. A missing value (``None``)
draws no bar and prints “未知” (unknown is never drawn or written as 0 or 无).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from portal.markup import esc, num

Series = tuple[str, Sequence[float | None]]
WIDTH = 640


def _nice_max(value: float) -> float:
    """A round upper bound for a four-step axis; the step is a whole number (counts are whole)."""
    if value <= 0:
        return 4.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if raw <= m * power)
    return 4 * max(math.ceil(step), 1)


def _svg(title: str, height: int, content: str, ident: str) -> str:
    return (f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-labelledby="{ident}" preserveAspectRatio="xMidYMid meet">'
            f'<title id="{ident}">{esc(title)}</title>{content}</svg>'
            f"<figcaption>{esc(title)}</figcaption></figure>")


def _legend(names: Sequence[str], palette: Sequence[int], y: int = 14) -> str:
    parts, x = [], 48
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" class="s{palette[i % len(palette)] % 4}"/>'
                     f'<text x="{x + 14}" y="{y}" class="legend">{esc(name)}</text>')
        x += 24 + 13 * len(str(name))
    return "".join(parts)


def _axis(top: int, bottom: int, left: int, right: int, vmax: float) -> str:
    lines = []
    for i in range(5):
        value = vmax * i / 4
        y = bottom - (bottom - top) * i / 4
        lines.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" class="tick" text-anchor="end">{num(value)}</text>')
    return "".join(lines)


def grouped_bars(title: str, categories: Sequence[object], series: Sequence[Series], ident: str,
                 palette: Sequence[int] = (0, 1, 2, 3)) -> str:
    """Vertical bars: one group per category (e.g. a year), one bar per series (coloured by the
    stylesheet's class ``s{palette[i]}``), value on top."""
    height, top, bottom, left, right = 260, 30, 226, 44, WIDTH - 8
    values = [v for _, vs in series for v in vs if v is not None]
    vmax = _nice_max(max(values, default=0))
    group = (right - left) / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [_legend([name for name, _ in series], palette), _axis(top, bottom, left, right, vmax)]
    names = [esc(name) for name, _ in series]
    for c, category in enumerate(categories):
        x0 = left + group * c + group * 0.1
        parts.append(f'<text x="{left + group * (c + 0.5):.1f}" y="{bottom + 18}" class="tick" '
                     f'text-anchor="middle">{esc(category)}</text>')
        for s, (_, vs) in enumerate(series):
            parts.append(_vbar(x0 + bar * s, bar, vs[c] if c < len(vs) else None, vmax, top, bottom,
                               palette[s % len(palette)], names[s]))
    return _svg(title, height, "".join(parts), ident)


def _vbar(x: float, width: float, value: float | None, vmax: float, top: int, bottom: int, s: int,
          name: str) -> str:
    """One bar; ``name`` is already escaped."""
    middle = x + width / 2
    if value is None:
        return f'<text x="{middle:.1f}" y="{bottom - 4}" class="tick" text-anchor="middle">未知</text>'
    h = max((bottom - top) * max(value, 0) / vmax, 0.0)
    shown = num(value)
    return (f'<rect x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{max(width - 2, 1):.1f}" height="{h:.1f}" '
            f'class="s{s % 4}"><title>{name}：{shown}</title></rect>'
            f'<text x="{middle:.1f}" y="{bottom - h - 3:.1f}" class="val" text-anchor="middle">{shown}</text>')


def horizontal_bars(title: str, items: Sequence[tuple[str, float]], ident: str) -> str:
    """One horizontal bar per (label, value), largest first as given; labels on the left."""
    left, right, row = 150, WIDTH - 40, 24
    height = 20 + row * max(len(items), 1)
    vmax = _nice_max(max((v for _, v in items), default=0))
    parts = []
    for i, (label, value) in enumerate(items):
        y = 10 + row * i
        w = (right - left) * max(value, 0) / vmax
        parts.append(f'<text x="{left - 6}" y="{y + 15}" class="tick" text-anchor="end">{esc(label)}</text>'
                     f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" class="s1">'
                     f'<title>{esc(label)}：{num(value)}</title></rect>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 15}" class="val">{num(value)}</text>')
    return _svg(title, height, "".join(parts), ident)


def meter(value: float, vmax: float, title: str, text: str | None = None, cls: str = "s1") -> str:
    """A small inline bar for a table cell: ``value`` of ``vmax`` (the longest bar of the column), ``text``
    (default: the number) printed beside it."""
    share = max(min(value / vmax, 1.0), 0.0) if vmax > 0 else 0.0
    return (f'<span class="meter"><svg viewBox="0 0 100 12" preserveAspectRatio="none" role="img" '
            f'aria-label="{esc(title)}"><rect x="0" y="1" width="100" height="10" class="track"/>'
            f'<rect x="0" y="1" width="{100 * share:.1f}" height="10" class="{esc(cls)}"/></svg>'
            f'<span class="val">{esc(text) if text is not None else num(value)}</span></span>')
