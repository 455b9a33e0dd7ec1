"""The availability matrix page (HTML, on the report's page shell) and its Markdown twin.

Report 004's table kept over time: provider | model | status now | latency | sample |
availability over the last 7 and 30 runs | a trend strip. The trend is an inline SVG of one
cell per run (oldest left), coloured up / degraded / down / not probed, each with a tooltip;
the page stays self-contained. Rendering is pure: the same rows give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatecheck.matrix.history import TREND_RUNS, Availability, MatrixRow, Status
from gatecheck.report._html_base import Raw, banner, cards, esc, page, pill, section, table

__all__ = ["render_matrix_html", "render_matrix_md", "summary_line"]

_COLOURS: dict[Status | None, str] = {"up": "#1a7f37", "degraded": "#bf8700", "down": "#cf222e",
                                      None: "#d1d9e0"}
_WORDS: dict[Status, str] = {"up": "available", "degraded": "degraded", "down": "down"}
NONE = "\u2013"  # an en dash for "no value" (the report uses it too)
_GLYPHS: dict[Status | None, str] = {"up": "●", "degraded": "◐", "down": "○", None: "·"}


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


def _avail_cell(avail: Availability) -> Raw:
    percent = avail.percent
    if percent is None:
        return Raw(esc("n/a"))
    return Raw(f'<span style="white-space:nowrap">{esc(f"{percent:.0f}%")} '
               f'<span class="note">{avail.up}/{avail.probed}</span></span>'
               f'<br><span class="bar" style="width:64px" aria-hidden="true">'
               f'<i style="width:{percent:.0f}%"></i></span>')


def trend_svg(trend: Sequence[tuple[str, Status | None]], cells: int = TREND_RUNS) -> str:
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
    return "".join(parts)


def _status_cell(row: MatrixRow) -> Raw:
    label = _WORDS[row.status]
    problem = f'<div class="note">{esc(row.problem)}</div>' if row.problem else ""
    return Raw(pill("available" if row.status == "up" else row.status, label) + problem)


def _latency_cell(row: MatrixRow) -> Raw:
    ttft = (f'<div class="note">TTFT {esc(_ms(row.ttft_ms))}</div>'
            if row.ttft_ms is not None else "")
    return Raw(esc(_ms(row.latency_ms)) + ttft)


def _model_cell(model: str) -> Raw:
    # Long "@provider/org/model" ids may break after a slash, never inside a name.
    return Raw("<code>" + "/<wbr>".join(esc(part) for part in model.split("/")) + "</code>")


def _sample_cell(sample: str, limit: int = 48) -> Raw:
    if not sample:
        return Raw(NONE)
    shown = sample if len(sample) <= limit else sample[: limit - 1].rstrip() + "\u2026"
    return Raw(f'<q title="{esc(sample)}">{esc(shown)}</q>')


def _table(rows: Sequence[MatrixRow], show_target: bool) -> str:
    head = (["Target"] if show_target else []) + [
        "Provider", "Model", "Status now", "Latency", "Sample", "Last 7", "Last 30",
        "Trend (oldest \u2192 now)"]
    body = []
    for row in rows:
        cells: list[object] = [row.target] if show_target else []
        cells += [row.provider, _model_cell(row.model), _status_cell(row), _latency_cell(row),
                  _sample_cell(row.sample),
                  _avail_cell(row.last7), _avail_cell(row.last30), Raw(trend_svg(row.trend))]
        body.append(cells)
    shift = 1 if show_target else 0
    return table(head, body, numeric=(3 + shift,), attrs='id="matrix"')


def _probe_table(rows: Sequence[MatrixRow]) -> str:
    body = [[r.target, r.provider, Raw(f'<code class="id">{esc(r.model)}</code>'), p.mode,
             Raw(pill("passed" if p.ok else "failed", p.error_class)),
             NONE if p.http_status is None else str(p.http_status), _ms(p.latency_ms),
             p.detail or NONE]
            for r in rows for p in r.probes]
    return table(["Target", "Provider", "Model", "Probe", "Class", "HTTP", "e2e", "Detail"],
                 body, numeric=(5, 6))


def render_matrix_html(rows: Sequence[MatrixRow], *, generated_at: str,
                       links_html: str = "") -> str:
    """The whole page. ``links_html`` (safe HTML) goes above the table, e.g. site navigation."""
    up = sum(1 for r in rows if r.status == "up")
    degraded = sum(1 for r in rows if r.status == "degraded")
    down = len(rows) - up - degraded
    tone = "passed" if up == len(rows) and rows else ("failed" if up == 0 else "warned")
    verdict = banner(tone, esc(summary_line(rows)),
                     label=f"{100.0 * up / len(rows):.0f}% AVAILABLE" if rows else "NO DATA")
    targets = sorted({r.target for r in rows})
    body = [links_html,
            cards([(str(up), "available", "ok"), (str(degraded), "degraded", "warn"),
                   (str(down), "down", "bad"), (str(len(targets)), "targets", "")]),
            section("matrix", "Provider availability", _table(rows, len(targets) > 1)),
            section("probes", "This run's probes", _probe_table(rows)),
            section("method", "How this is measured", _METHOD)]
    return page("Provider availability matrix", "\n".join(body),
                subtitle=f"{', '.join(targets) or 'no targets'} · latest run {generated_at}",
                banner_html=verdict,
                nav=[("matrix", "Matrix"), ("probes", "Probes"), ("method", "Method")],
                footer="Generated by gatecheck matrix from its SQLite history.")


_METHOD = (
    '<ul class="plain">'
    "<li>Each model gets two small requests per run: a plain one and a streamed one, "
    "<code>max_tokens</code> 16, each bounded by connect/read/total deadlines.</li>"
    "<li><b>Available</b>: both answered in the right shape; <b>degraded</b>: one did; "
    "<b>down</b>: neither. Error classes: auth (401/403), not_found (404), rate_limited "
    "(429), upstream_error (other statuses, error events), unreachable, timeout, malformed "
    "(a 2xx in the wrong shape or a stream without its terminator).</li>"
    "<li><b>Latency</b> is the plain probe's end-to-end time and <b>TTFT</b> the streamed "
    "probe's time to first content, both from gatecheck's one timing model.</li>"
    "<li><b>Last 7 / Last 30</b>: runs in which the model was available, out of the target's "
    "last 7 or 30 runs that probed it. Samples and details are redacted.</li></ul>"
)


def render_matrix_md(rows: Sequence[MatrixRow], *, generated_at: str) -> str:
    """The same table in Markdown (for CI job summaries and chat)."""
    lines = ["# Provider availability matrix", "",
             f"Latest run: {generated_at}. {summary_line(rows)}.", "",
             "| Target | Provider | Model | Status now | Latency | Sample | Last 7 | Last 30 "
             "| Trend |",
             "| --- | --- | --- | --- | ---: | --- | ---: | ---: | --- |"]
    for r in rows:
        status = _WORDS[r.status] + (f" ({r.problem})" if r.problem else "")
        sample = r.sample.replace("|", "\\|")
        trend = "".join(_GLYPHS[s] for _, s in r.trend)
        lines.append(f"| {r.target} | {r.provider} | `{r.model}` | {status} | "
                     f"{_ms(r.latency_ms)} | {sample or NONE} | {r.last7} | {r.last30} | "
                     f"{trend} |")
    lines += ["", "Trend: ● available, ◐ degraded, ○ down, · not probed (oldest first).", ""]
    return "\n".join(lines)
