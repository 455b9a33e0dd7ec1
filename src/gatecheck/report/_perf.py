"""The performance section of the HTML report: a load run's figures, verdicts and plots."""

from __future__ import annotations

from typing import Any

from gatecheck.report._html_base import Raw, cards, esc, pill, table
from gatecheck.report._load import (
    ERROR_RATE_FAIL,
    LoadRun,
    histogram_bins,
    load_verdict,
    over_time,
)
from gatecheck.report._svg import Series, fmt, histogram, line_chart
from gatecheck.report.markdown import _when

__all__ = ["METRICS", "ms", "render_performance"]

# Rows of the latency table, in reading order (summary.json's latency_ms keys).
METRICS: tuple[tuple[str, str], ...] = (
    ("ttfb", "time to first byte"),
    ("ttft", "time to first token"),
    ("itl", "inter-token latency"),
    ("e2e", "end to end"),
    ("tpot_e2e", "e2e per output token"),
    ("ttft_from_intended", "ttft from intended send"),
    ("e2e_from_intended", "e2e from intended send"),
    ("schedule_lag", "schedule lag"),
)
PCTS = ("p50", "p90", "p99", "p99.9")


def ms(value: object, unit: str = " ms") -> str:
    """A figure in milliseconds for tables ("-" when unknown)."""
    if not isinstance(value, int | float):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.1f}{unit}" if abs(value) >= 10 else f"{value:.2f}{unit}"


def _num(value: object, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "-"


def _facts(load: LoadRun) -> str:
    run = load.run
    throughput = load.summary.get("throughput") or {}
    items = [
        ("Scenario", f"{run.get('scenario', '?')} ({run.get('workload', '?')} loop)"),
        ("Host", run.get("host") or "?"),
        ("Surface / model", f"{run.get('surface') or '?'} / {run.get('model') or '?'}"),
        ("Users", f"{run.get('users', '?')} (spawn rate {run.get('spawn_rate', '?')}/s)"),
        ("Window", f"{_num(throughput.get('window_s'))} s, from {_when(run.get('started'))}"),
        ("Load processes", f"{run.get('load_processes', '?')} (Locust "
                           f"{run.get('locust_version') or '?'})"),
    ]
    if run.get("label"):
        items.insert(0, ("Label", run["label"]))
    lis = "".join(f"<li>{esc(k)}<b>{esc(v)}</b></li>" for k, v in items)
    return f'<ul class="meta">{lis}</ul>'


def _cards(load: LoadRun) -> str:
    requests = load.summary.get("requests") or {}
    throughput = load.summary.get("throughput") or {}
    rate = requests.get("error_rate")
    head = load.headline_metric
    lat = load.latency(head)
    return cards([
        (_num(throughput.get("requests_per_s")), "requests/s (successful)", "info"),
        (f"{rate * 100:.2f}%" if isinstance(rate, int | float) else "-",
         f"error rate ({requests.get('failed', 0)} of {requests.get('total', 0)})",
         "bad" if rate else "ok"),
        (_num(throughput.get("output_tokens_per_s")), "output tokens/s", "info"),
        (ms(lat.get("p50")), f"{head} p50", "info"),
        (ms(lat.get("p99")), f"{head} p99", "info"),
    ])


def _latency_table(load: LoadRun) -> str:
    rows = []
    for name, label in METRICS:
        d = load.latency(name)
        if not d.get("count"):
            continue
        rows.append([Raw(f"<code>{esc(name)}</code> <span class=note>{esc(label)}</span>"),
                     f"{d['count']:,}", *(ms(d.get(p), "") for p in PCTS),
                     ms(d.get("max"), ""), ms(d.get("mean"), "")])
    if not rows:
        return '<p class="note">No successful request: no latency figures.</p>'
    return table(["Metric (ms)", "n", *PCTS, "max", "mean"], rows, numeric=range(1, 8))


def _verdicts(load: LoadRun) -> str:
    buf = load.summary.get("buffering") or {}
    health = load.summary.get("client_health") or {}
    if not buf.get("judged"):
        buf_pill, buf_text = pill("n/a", "not judged"), "No stream was long enough to judge."
    else:
        buf_pill = pill("suspected" if buf.get("suspected") else "passed",
                        "buffering suspected" if buf.get("suspected") else "streams flow")
        share = buf.get("buffered_fraction") or 0.0
        buf_text = (f"{buf.get('buffered', 0)} of {buf['judged']} judged streams arrived in "
                    f"one burst ({share:.0%}).")
    ratio = buf.get("ttft_over_e2e_p50")
    if isinstance(ratio, int | float):
        buf_text += f" Median ttft / e2e: {ratio:.2f} (near 1 means content came at the end)."
    ok = bool(health.get("ok", True))
    procs = health.get("processes") or {}
    proc_rows = [[node, ms((v.get("cpu_percent") or {}).get("p90"), " %"),
                  ms((v.get("loop_lag_ms") or {}).get("p99"))]
                 for node, v in sorted(procs.items()) if isinstance(v, dict)]
    warn = "".join(f"<li>{esc(w)}</li>" for w in health.get("warnings") or [])
    return (
        '<div class="verdicts"><div class="verdict"><h3>Buffering ' + buf_pill + "</h3>"
        f'<p class="note">{esc(buf_text)}</p></div>'
        '<div class="verdict"><h3>Load generator health '
        + pill("passed" if ok else "warned", "healthy" if ok else "suspect") + "</h3>"
        + (f'<ul class="plain">{warn}</ul>' if warn else
           '<p class="note">CPU and event-loop lag stayed under the thresholds: the figures '
           "describe the target, not the client.</p>")
        + (table(["Process", "CPU p90", "loop lag p99"], proc_rows, numeric=(1, 2))
           if proc_rows else "")
        + "</div></div>"
    )


def _extras(load: LoadRun) -> str:
    out = []
    errors = (load.summary.get("requests") or {}).get("errors") or {}
    if errors:
        out.append("<h3>Errors</h3>" + table(
            ["Error", "Requests"], [[k, f"{v:,}"] for k, v in errors.items()], numeric=(1,)))
    open_loop = load.summary.get("open_loop")
    if isinstance(open_loop, dict):
        out.append("<h3>Open loop</h3>" + table(
            ["Rate", "Arrivals", "Sent", "Late (> 10 ms)", "Dropped", "Overload policy"],
            [[f"{open_loop.get('rate_per_s')}/s", open_loop.get("arrival"),
              open_loop.get("sent"), open_loop.get("late"), open_loop.get("dropped"),
              open_loop.get("overload")]], numeric=(2, 3, 4)))
    tokens = load.summary.get("tokens") or {}
    tok_rows = [[label, *(_num((tokens.get(key) or {}).get(p)) for p in ("p50", "p99", "max"))]
                for key, label in (("output_tokens", "output tokens (usage)"),
                                   ("input_tokens", "input tokens (usage)"),
                                   ("content_events", "content events per stream"),
                                   ("output_tokens_per_s_per_request",
                                    "output tokens/s per request (what one user sees)"))
                if (tokens.get(key) or {}).get("count")]
    if tok_rows:
        out.append("<h3>Tokens per request</h3>" + table(
            ["Figure", "p50", "p99", "max"], tok_rows, numeric=(1, 2, 3)))
    return "\n".join(out)


def _stages(load: LoadRun, head: str) -> tuple[str, str, str]:
    """The ramp's stage table and its two charts (throughput and latency vs users)."""
    stages = [s for s in load.summary.get("stages") or [] if isinstance(s, dict)]
    if not stages:
        return "", "", ""
    key = f"{head}_ms"
    rows = [[s.get("users"), s.get("requests"), s.get("failed"), _num(s.get("requests_per_s")),
             ms((s.get(key) or {}).get("p50"), ""), ms((s.get(key) or {}).get("p99"), "")]
            for s in stages]
    tab = "<h3>Ramp stages</h3>" + table(
        ["Users", "Requests", "Failed", "Requests/s", f"{head} p50 (ms)", f"{head} p99 (ms)"],
        rows, numeric=range(6))
    users = [float(s.get("users") or 0) for s in stages]
    rps = line_chart("perf-rps-users", [Series(
        "requests/s", [(u, _f(s.get("requests_per_s"))) for u, s in zip(users, stages,
                                                                          strict=True)],
        markers=True)], title="Throughput vs users", x_label="concurrent users",
        y_label="requests/s")
    lat = line_chart("perf-lat-users", [Series(
        f"{head} {p}", [(u, _f((s.get(key) or {}).get(p))) for u, s in zip(users, stages,
                                                                             strict=True)],
        markers=True) for p in ("p50", "p99")], title=f"{head} vs users",
        x_label="concurrent users", y_label="ms")
    return tab, rps, lat


def _f(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _time_plots(load: LoadRun, head: str) -> list[tuple[str, str]]:
    series = over_time(load, head)
    if not series["x"]:
        return []
    xs = series["x"]
    vlines: list[tuple[float, str]] = []
    for stage in load.summary.get("stages") or []:
        if isinstance(stage, dict) and isinstance(stage.get("start_s"), int | float):
            vlines.append((float(stage["start_s"]), f"{stage.get('users')} users"))
    lines = [Series(f"{head} {p}", list(zip(xs, series[p], strict=True)))
             for p in ("p50", "p90", "p99")]
    intended = f"{head}_from_intended"
    if load.latency(intended).get("count"):
        # Open loop: the p99 a user waited from when the request was due, beside the p99
        # from when it was sent; the gap is the load generator's (coordinated omission).
        late = over_time(load, intended, pcts=(99.0,))
        lines.append(Series(f"{head} p99 from intended send",
                            list(zip(late["x"], late["p99"], strict=True)), color="#8250df"))
    lat = line_chart("perf-time", lines, title=f"{head} percentiles over time",
                     x_label=f"seconds since start ({series['width']:g} s buckets)",
                     y_label="ms", vlines=vlines)
    rate = line_chart("perf-rate", [
        Series("ok", list(zip(xs, series["ok_rate"], strict=True)), color="#1a7f37"),
        Series("failed", list(zip(xs, series["fail_rate"], strict=True)), color="#cf222e")],
        title="Requests per second over time", x_label="seconds since start (by send time)",
        y_label="requests/s", vlines=vlines)
    caption = (f"Nearest-rank percentiles of {head} per {series['width']:g} s bucket of "
               "send time; dashed guides mark ramp stages (users).")
    return [(lat, caption), (rate, "Successful and failed requests per second, by send time.")]


def _histogram(load: LoadRun, head: str) -> tuple[str, str] | None:
    values = [v for p in load.points if p.ok for v in [p.value(head)] if v is not None]
    lat = load.latency(head)
    bins, clipped, edge = histogram_bins(values, _f(lat.get("p99")))
    marks = [(float(lat[p]), f"{p} {fmt(float(lat[p]))} ms") for p in ("p50", "p99")
             if isinstance(lat.get(p), int | float)]
    svg = histogram("perf-hist", bins, title=f"{head} distribution", x_label=f"{head} (ms)",
                    marks=marks)
    if not svg:
        return None
    caption = f"{len(values):,} successful requests."
    if clipped:
        caption += f" {clipped} slower than {fmt(edge)} ms are counted in the last bar."
    return svg, caption


def render_performance(load: LoadRun) -> str:
    """The whole performance section body (safe HTML) for one load run."""
    head = load.headline_metric
    verdict = load_verdict(load)
    parts = [f'<p class="run-verdict">{pill(verdict.status, verdict.status.upper())} '
             f"{esc(verdict.reason)} <span class=\"note\">(FAIL when no request succeeded or "
             f"more than {ERROR_RATE_FAIL:.0%} failed; WARN for any error or warning)</span></p>",
             _facts(load), _cards(load)]
    warnings = [w for w in load.summary.get("warnings") or [] if isinstance(w, str)]
    if warnings:
        parts.append('<div class="ev warn"><b>Warnings about this run</b><ul class="plain">'
                     + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul></div>")
    parts += ["<h3>Latency percentiles</h3>", _latency_table(load),
              '<p class="note">Exact nearest-rank percentiles over every sample (Locust\'s own '
              "figures are rounded and stop at the headers for streams).</p>"]
    parts.append(_verdicts(load))
    stage_table, rps, lat = _stages(load, head)
    figures = _time_plots(load, head)
    hist = _histogram(load, head)
    if hist:
        figures.append(hist)
    if rps:
        figures.append((rps, "Successful requests per second at each ramp stage."))
    if lat:
        figures.append((lat, f"{head} p50 and p99 at each ramp stage."))
    if figures:
        parts.append("<h3>Plots</h3>")
        parts.append('<div class="plots">' + "".join(
            f"<figure>{svg}<figcaption>{esc(cap)}</figcaption></figure>"
            for svg, cap in figures) + "</div>")
    elif not load.points:
        parts.append('<p class="note">No samples.jsonl beside summary.json: plots over time '
                     "and the histogram need the exact samples.</p>")
    parts.append(stage_table)
    parts.append(_extras(load))
    definitions = load.summary.get("definitions") or {}
    if isinstance(definitions, dict) and definitions:
        items = "".join(f"<dt><code>{esc(k)}</code></dt><dd>{esc(v)}</dd>"
                        for k, v in definitions.items())
        parts.append(f'<details class="ev"><summary>Definitions of every figure</summary>'
                     f"<dl>{items}</dl></details>")
    return "\n".join(p for p in parts if p)


def headline(load: LoadRun) -> dict[str, Any]:
    """The few figures a run index or comparison shows (req/s, error rate, p50/p99)."""
    head = load.headline_metric
    lat = load.latency(head)
    return {"metric": head, "p50": lat.get("p50"), "p99": lat.get("p99"),
            "requests_per_s": (load.summary.get("throughput") or {}).get("requests_per_s"),
            "error_rate": (load.summary.get("requests") or {}).get("error_rate")}
