"""The availability matrix page (HTML, on the report's page kit) and its Markdown twin.

Report 004's table kept over time: provider | model | status now | latency | sample |
availability over the last 7 and 30 runs | a trend strip. The trend is an inline SVG of one
cell per run (oldest left), coloured up / degraded / down / not probed, each with a tooltip;
the page stays self-contained. Rendering is pure: the same rows give the same bytes.
``templates/matrix.html.j2`` and ``matrix.md.j2`` lay it out, escaping every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatecheck.matrix.history import TREND_RUNS, MatrixRow, Status
from gatecheck.report import Series, line_chart
from gatecheck.report.page import Markup, esc, render

__all__ = ["provider_trends", "render_matrix_html", "render_matrix_md", "summary_line",
           "trend_chart"]

_COLOURS: dict[Status | None, str] = {"up": "#1a7f37", "degraded": "#bf8700", "down": "#cf222e",
                                      None: "#d1d9e0"}
_WORDS: dict[Status, str] = {"up": "available", "degraded": "degraded", "down": "down"}
NONE = "\u2013"  # an en dash for "no value" (the report uses it too)


def summary_line(rows: Sequence[MatrixRow]) -> str:
    """'6 of 8 models available now (1 degraded, 1 down)'."""
    up = sum(1 for r in rows if r.status == "up")
    degraded = sum(1 for r in rows if r.status == "degraded")
    down = len(rows) - up - degraded
    extra = [f"{n} {word}" for n, word in ((degraded, "degraded"), (down, "down")) if n]
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{up} of {len(rows)} models available now{tail}"


def _ms(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def trend_svg(trend: Sequence[tuple[str, Status | None]], cells: int = TREND_RUNS) -> Markup:
    """One 5x18 cell per run, oldest left, right-aligned so 'now' is always the last cell."""
    width, gap, height = 5, 2, 18
    shown = list(trend)[-cells:]
    offset = (cells - len(shown)) * (width + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{cells * (width + gap)}" '
             f'height="{height}" role="img" aria-label="last {len(shown)} runs">']
    for index, (when, status) in enumerate(shown):
        word = _WORDS[status] if status is not None else "not probed"
        parts.append(f'<rect x="{offset + index * (width + gap)}" y="0" width="{width}" '
                     f'height="{height}" rx="2" fill="{_COLOURS[status]}">'
                     f"<title>{esc(when)}: {esc(word)}</title></rect>")
    parts.append("</svg>")
    return Markup("".join(parts))


def provider_trends(rows: Sequence[MatrixRow]) -> dict[str, list[tuple[str, float | None]]]:
    """Per target, oldest run first: (run start, % of its probed models available).

    A target's rows share its runs (History.matrix aligns every row on them); a run that
    probed none of the target's current models is None, a gap rather than a false 0 %.
    """
    out: dict[str, list[tuple[str, float | None]]] = {}
    for target in sorted({r.target for r in rows}):
        mine = [r for r in rows if r.target == target]
        points = []
        for index, (when, _) in enumerate(mine[0].trend):
            probed = [r.trend[index][1] for r in mine if r.trend[index][1] is not None]
            up = sum(1 for s in probed if s == "up")
            points.append((when, 100.0 * up / len(probed) if probed else None))
        out[target] = points
    return out


def trend_chart(rows: Sequence[MatrixRow]) -> Markup:
    """The availability of each provider over its last runs, one line each (inline SVG)."""
    trends = provider_trends(rows)
    runs = max((len(points) for points in trends.values()), default=0)
    series = [Series(target, [(float(runs - len(points) + i + 1), value)
                              for i, (_, value) in enumerate(points)], markers=True)
              for target, points in trends.items()]
    return Markup(line_chart("availability", series, title="Models available per provider",
                             x_label="run (oldest to latest)", y_label="% available"))


def _context(rows: Sequence[MatrixRow], generated_at: str) -> dict[str, Any]:
    up = sum(1 for r in rows if r.status == "up")
    degraded = sum(1 for r in rows if r.status == "degraded")
    return {"rows": rows, "generated_at": generated_at, "summary": summary_line(rows),
            "counts": (up, degraded, len(rows) - up - degraded),
            "targets": sorted({r.target for r in rows}), "duration": _ms, "trend": trend_svg,
            "words": _WORDS, "chart": trend_chart(rows) if rows else Markup("")}


def render_matrix_html(rows: Sequence[MatrixRow], *, generated_at: str,
                       index: str | None = None) -> str:
    """The whole page; ``index``: a relative link back to the site's index, shown on top."""
    return render("matrix.html.j2", "gatecheck.matrix", index=index,
                  **_context(rows, generated_at))


def render_matrix_md(rows: Sequence[MatrixRow], *, generated_at: str) -> str:
    """The same table in Markdown (for CI job summaries and chat)."""
    return render("matrix.md.j2", "gatecheck.matrix", **_context(rows, generated_at))
