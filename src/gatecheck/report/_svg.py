"""Inline SVG charts for the HTML reports: line charts and histograms with axes and labels.

Written by hand rather than with matplotlib (or a JS charting library): the report must
open offline with nothing fetched, matplotlib is a heavy dependency for three chart types,
and its SVG output embeds dates, ids and float noise that change from run to run, while a
snapshot test pins this output byte for byte. Coordinates are rounded to 0.1 px and every
id is derived from the caller's ``key``, so the same data always gives the same markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from gatecheck.report.page import esc

__all__ = ["PALETTE", "Series", "fmt", "histogram", "line_chart", "nice_ticks", "strip"]

# Colour-blind-safe (Okabe-Ito-like) and distinct in greyscale print by dash pattern.
PALETTE = ("#0969da", "#d97706", "#cf222e", "#8250df", "#1a7f37", "#57606a")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "", "4 4")

_W, _H = 560, 290
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 16, 40, 46


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a name for the legend and (x, y) points; y None leaves a gap."""

    name: str
    points: Sequence[tuple[float, float | None]]
    color: str = ""
    dash: str | None = None
    markers: bool = False


@dataclass(frozen=True, slots=True)
class _Axis:
    lo: float
    hi: float
    ticks: list[float] = field(default_factory=list)

    def scale(self, value: float, start: float, end: float) -> float:
        span = self.hi - self.lo or 1.0
        return start + (value - self.lo) / span * (end - start)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks: list[float] = []
    value = first
    while value < hi + step * 0.999 and len(ticks) < 50:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _axis(values: Sequence[float], *, zero: bool) -> _Axis:
    lo = min([*values, 0.0] if zero else values)
    hi = max(values)
    ticks = nice_ticks(lo, hi)
    return _Axis(ticks[0], ticks[-1], ticks)


def fmt(value: float) -> str:
    """A short human number for tick labels and values (1.5k, 250, 12.5, 0.25)."""
    size = abs(value)
    if size >= 10_000:
        return f"{value / 1000:.0f}k"
    if size >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    if size >= 100 or value == int(value):
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _frame(key: str, title: str, x_label: str, y_label: str, xa: _Axis, ya: _Axis,
           x_fmt: str = "", x_names: dict[float, str] | None = None) -> list[str]:
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
           f'aria-labelledby="{key}-t" class="chart" data-chart="{key}" '
           'font-family="inherit" font-size="12">',
           f'<title id="{key}-t">{esc(title)}</title>',
           f'<text x="{_LEFT}" y="17" font-size="14" font-weight="600" fill="#1f2328">'
           f"{esc(title)}</text>"]
    for tick in ya.ticks:
        y = _n(ya.scale(tick, y0, y1))
        out.append(f'<line x1="{x0}" x2="{x1}" y1="{y}" y2="{y}" stroke="#eaeef2"/>')
        out.append(f'<text x="{x0 - 6}" y="{y}" dy="0.32em" text-anchor="end" '
                   f'fill="#59636e">{fmt(tick)}</text>')
    for tick in xa.ticks:
        x = _n(xa.scale(tick, x0, x1))
        out.append(f'<line x1="{x}" x2="{x}" y1="{y0}" y2="{y0 + 4}" stroke="#8c959f"/>')
        out.append(f'<text x="{x}" y="{y0 + 16}" text-anchor="middle" fill="#59636e">'
                   f"{esc(x_names[tick]) if x_names else fmt(tick) + x_fmt}</text>")
    out.append(f'<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="#8c959f"/>')
    out.append(f'<line x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="#8c959f"/>')
    out.append(f'<text x="{(x0 + x1) / 2:.0f}" y="{_H - 8}" text-anchor="middle" '
               f'fill="#424a53">{esc(x_label)}</text>')
    out.append(f'<text transform="translate(14 {(y0 + y1) / 2:.0f}) rotate(-90)" '
               f'text-anchor="middle" fill="#424a53">{esc(y_label)}</text>')
    return out


def _legend(items: Sequence[tuple[str, str, str]]) -> list[str]:
    """Legend entries (name, colour, dash) right-aligned in the title row."""
    out: list[str] = []
    x = float(_W - _RIGHT)
    for name, color, dash in reversed(items):
        width = 30 + 6.6 * len(name)
        x -= width
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{_n(x)}" x2="{_n(x + 18)}" y1="32" y2="32" stroke="{color}" '
                   f'stroke-width="2.5"{dash_attr}/>')
        out.append(f'<text x="{_n(x + 22)}" y="32" dy="0.32em" fill="#424a53">'
                   f"{esc(name)}</text>")
    return out


def line_chart(key: str, series: Sequence[Series], *, title: str, x_label: str,
               y_label: str, vlines: Sequence[tuple[float, str]] = (), x_zero: bool = True,
               x_suffix: str = "", x_names: Sequence[tuple[float, str]] = ()) -> str:
    """A line chart.

    Args:
        vlines: labelled vertical guides (e.g. ramp stage starts).
        x_names: categorical x axis: (position, label) ticks instead of numeric ones.
    """
    xs = [x for s in series for x, _ in s.points] + [x for x, _ in vlines]
    ys = [y for s in series for _, y in s.points if y is not None]
    if not xs or not ys:
        return ""
    ya = _axis(ys, zero=True)
    if x_names:
        positions = [x for x, _ in x_names]
        xa = _Axis(min(positions) - 0.35, max(positions) + 0.35, positions)
    else:
        xa = _axis(xs, zero=x_zero)
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = _frame(key, title, x_label, y_label, xa, ya, x_suffix, dict(x_names) or None)
    for x_value, label in vlines:
        x = _n(xa.scale(x_value, x0, x1))
        out.append(f'<line x1="{x}" x2="{x}" y1="{y0}" y2="{y1}" stroke="#afb8c1" '
                   'stroke-dasharray="3 3"/>')
        # Labels near the right edge hang to the left of their guide so they stay visible.
        anchor = ' text-anchor="end" dx="-3"' if float(x) > x1 - 60 else ' dx="3"'
        out.append(f'<text x="{x}" y="{y1 + 12}"{anchor} fill="#59636e" font-size="11">'
                   f"{esc(label)}</text>")
    legend = []
    for index, s in enumerate(series):
        color = s.color or PALETTE[index % len(PALETTE)]
        dash = _DASHES[index % len(_DASHES)] if s.dash is None else s.dash
        legend.append((s.name, color, dash))
        runs: list[list[str]] = [[]]
        for x_value, y_value in s.points:
            if y_value is None:
                runs.append([])
                continue
            runs[-1].append(f"{_n(xa.scale(x_value, x0, x1))},{_n(ya.scale(y_value, y0, y1))}")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for run in runs:
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                           f'stroke-width="2" stroke-linejoin="round"{dash_attr}/>')
            if s.markers or len(run) == 1:
                out += [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" '
                        f'fill="{color}"/>' for p in run]
    out += _legend(legend)
    out.append("</svg>")
    return "\n".join(out)


def histogram(key: str, bins: Sequence[tuple[float, float, int]], *, title: str,
              x_label: str, y_label: str = "requests",
              marks: Sequence[tuple[float, str]] = ()) -> str:
    """Bars for (lo, hi, count) bins; ``marks`` are labelled guides such as p50 and p99."""
    if not bins:
        return ""
    xa = _axis([bins[0][0], bins[-1][1]], zero=False)
    ya = _axis([float(c) for _, _, c in bins], zero=True)
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP
    out = _frame(key, title, x_label, y_label, xa, ya)
    for lo, hi, count in bins:
        if not count:
            continue
        left, right = xa.scale(lo, x0, x1), xa.scale(hi, x0, x1)
        top = ya.scale(count, y0, y1)
        out.append(f'<rect x="{_n(left + 0.5)}" y="{_n(top)}" '
                   f'width="{_n(max(right - left - 1, 1))}" height="{_n(y0 - top)}" '
                   'fill="#54aeff" fill-opacity="0.85">'
                   f"<title>{fmt(lo)}-{fmt(hi)}: {count}</title></rect>")
    for index, (value, label) in enumerate(marks):
        x = _n(xa.scale(value, x0, x1))
        color = PALETTE[(index + 1) % len(PALETTE)]
        out.append(f'<line x1="{x}" x2="{x}" y1="{y0}" y2="{y1}" stroke="{color}" '
                   'stroke-width="1.5" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x}" y="{y1 + 12 + 13 * index}" dx="4" fill="{color}" '
                   f'font-weight="600">{esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


# Fill colours of strip cells by tone (the pill tones of page).
_STRIP = {"ok": "#2da44e", "bad": "#cf222e", "warn": "#d4a72c", "muted": "#d0d7de",
          "info": "#54aeff", "dev": "#8250df"}


def strip(cells: Sequence[tuple[str, str]], *, cell: int = 10, gap: int = 2) -> str:
    """A trend strip: one small square per run, oldest first, from (tone, tooltip) pairs.

    For history at a glance (the availability matrix: one cell per night, green when the
    probe passed). Tones are those of ``page.tone``; unknown tones are grey.
    """
    if not cells:
        return ""
    width = len(cells) * (cell + gap) - gap
    rects = "".join(
        f'<rect x="{i * (cell + gap)}" width="{cell}" height="{cell}" rx="2" '
        f'fill="{_STRIP.get(t, _STRIP["muted"])}"><title>{esc(tip)}</title></rect>'
        for i, (t, tip) in enumerate(cells))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" width="{width}" '
            f'height="{cell}" viewBox="0 0 {width} {cell}" role="img" '
            f'aria-label="{len(cells)} runs">{rects}</svg>')
