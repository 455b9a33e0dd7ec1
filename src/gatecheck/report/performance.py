"""The performance section of a report, for both formats: a load run and what it shows.

A load run is summary.json plus the few sample fields the plots need. The figures
(percentiles, rates, verdicts) are the load summary's own and are shown as they are; the
samples only feed the plots (percentiles over time, the histogram), which aggregate them
so a report stays small however long the run was. :func:`performance` builds the section's
content once; ``_performance.md.j2`` and ``_performance.html.j2`` render it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from markupsafe import Markup

from gatecheck.load import percentile
from gatecheck.report._format import ms, num, when
from gatecheck.report._svg import Series, fmt, histogram, line_chart
from gatecheck.report.page import render

__all__ = ["ERROR_RATE_FAIL", "METRICS", "PCTS", "LoadRun", "LoadVerdict", "Performance",
           "Point", "find_load", "histogram_bins", "load_verdict", "over_time", "performance",
           "read_load", "render_load_markdown"]

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
_TOKENS = (("output_tokens", "output tokens (usage)"), ("input_tokens", "input tokens (usage)"),
           ("content_events", "content events per stream"),
           ("output_tokens_per_s_per_request",
            "output tokens/s per request (what one user sees)"))

# Bucket widths for the over-time plots (seconds); the smallest giving <= _MAX_BUCKETS.
_WIDTHS = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
_MAX_BUCKETS = 40
_HIST_BINS = 30
_MIN_SENDS_PER_BUCKET = 2

# A load run fails when more than this share of its requests failed (or none succeeded):
# past a few percent the latency figures describe the survivors, not the gateway under
# that load. Any error or warning below it makes the run a WARN.
ERROR_RATE_FAIL = 0.05


@dataclass(frozen=True, slots=True)
class Point:
    """The fields of one samples.jsonl record that the plots read."""

    t: float  # wall-clock send time, epoch seconds
    ok: bool
    ttft: float | None
    e2e: float | None
    ttft_i: float | None = None  # open loop: from the intended send (coordinated omission)
    e2e_i: float | None = None

    def value(self, metric: str) -> float | None:
        """ttft, e2e, ttft_from_intended or e2e_from_intended of this request."""
        return {"ttft": self.ttft, "e2e": self.e2e, "ttft_from_intended": self.ttft_i,
                "e2e_from_intended": self.e2e_i}.get(metric)


@dataclass(frozen=True, slots=True)
class LoadRun:
    """summary.json (already redacted) and the plot points from samples.jsonl."""

    summary: dict[str, Any]
    points: tuple[Point, ...] = ()

    @property
    def run(self) -> dict[str, Any]:
        value = self.summary.get("run")
        return value if isinstance(value, dict) else {}

    def latency(self, name: str) -> dict[str, Any]:
        value = (self.summary.get("latency_ms") or {}).get(name)
        return value if isinstance(value, dict) else {"count": 0}

    @property
    def headline_metric(self) -> str:
        """ttft when the run streamed (it has first-content times), else e2e."""
        return "ttft" if self.latency("ttft").get("count") else "e2e"

    def origin(self) -> float | None:
        """Epoch seconds the run's clock starts at (summary's run.started, else 1st send)."""
        started = self.run.get("started")
        if isinstance(started, str):
            try:
                return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        return min((p.t for p in self.points), default=None)


@dataclass(frozen=True, slots=True)
class LoadVerdict:
    """What a load report's banner and status line say about the run."""

    status: str  # "fail", "warn" or "pass" (the report's tone words)
    label: str  # the banner's words, e.g. "LOAD RUN FAILED"
    reason: str  # one sentence: why

    @property
    def line(self) -> str:
        """'❌ FAIL: why' for Markdown."""
        icon, word = {"fail": ("❌", "FAIL"), "warn": ("⚠️", "WARN")}.get(
            self.status, ("✅", "PASS"))
        return f"{icon} {word}: {self.reason}"


def load_verdict(load: LoadRun) -> LoadVerdict:
    """FAIL when no request succeeded or the error rate is over ERROR_RATE_FAIL, WARN for
    any failed request or warning, else PASS."""
    requests = load.summary.get("requests") or {}
    total, failed = _count(requests.get("total")), _count(requests.get("failed"))
    ok = _count(requests.get("ok"), total - failed)
    rate = failed / total if total else 0.0
    warnings = [w for w in load.summary.get("warnings") or [] if isinstance(w, str)]
    errors = f"{failed:,} of {total:,} requests failed ({rate:.1%})"
    if not total:
        return LoadVerdict("fail", "LOAD RUN FAILED", "no request completed.")
    if not ok:
        return LoadVerdict("fail", "LOAD RUN FAILED", f"no request succeeded: {errors}.")
    if rate > ERROR_RATE_FAIL:
        return LoadVerdict("fail", "LOAD RUN FAILED",
                           f"{errors}, above the {ERROR_RATE_FAIL:.0%} error-rate limit.")
    if failed:
        more = f"; {len(warnings)} warnings" if warnings else ""
        return LoadVerdict("warn", "RUN WITH ERRORS", f"{errors}{more}.")
    if warnings:
        return LoadVerdict("warn", "RUN WITH WARNINGS",
                           f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}: "
                           f"{warnings[0].rstrip('.')}.")
    return LoadVerdict("pass", "LOAD RUN COMPLETE", "every request succeeded, no warnings.")


def _count(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def find_load(run_dir: Path) -> Path | None:
    """The directory holding a load summary: RUN_DIR/load, or RUN_DIR itself."""
    for candidate in (run_dir / "load", run_dir):
        if (candidate / "summary.json").is_file():
            return candidate
    return None


def read_load(load_dir: Path, redactor: Any) -> LoadRun:
    """Read summary.json (and samples.jsonl when present) through the redactor."""
    path = load_dir / "summary.json"
    try:
        summary = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}: expected a JSON object")
    points: list[Point] = []
    samples = load_dir / "samples.jsonl"
    if samples.is_file():
        with samples.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                    points.append(Point(float(row["t"]), bool(row.get("ok")),
                                        _float(row.get("ttft")), _float(row.get("e2e")),
                                        _float(row.get("ttft_i")), _float(row.get("e2e_i"))))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    raise ValueError(f"{samples}:{number}: not a sample record") from None
    points.sort(key=lambda p: p.t)
    return LoadRun(redactor.obj(summary), tuple(points))


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def bucket_width(duration_s: float, sends: int | None = None) -> float:
    """The smallest round width that cuts ``duration_s`` into <= 40 buckets.

    With ``sends`` it is also wide enough for two sends per bucket on average: narrower
    buckets of a sparse run hold 0 or 1 send each and the rate plot becomes a comb.
    """
    floor = _MIN_SENDS_PER_BUCKET * duration_s / sends if sends else 0.0
    return next((w for w in _WIDTHS if duration_s / w <= _MAX_BUCKETS and w >= floor),
                _WIDTHS[-1])


def over_time(load: LoadRun, metric: str,
              pcts: Sequence[float] = (50.0, 90.0, 99.0)) -> dict[str, Any]:
    """Per time bucket (by send time): percentiles of ``metric`` and ok/failed request rates.

    Buckets run from the origin to the end of the run window (run.started + run_time_s).
    Returns {"width": s, "x": [bucket mid, s since origin], "p50": [...], ..., "ok_rate":
    [...], "fail_rate": [...]}; a bucket with no successful value has None percentiles, a
    final bucket the window covers less than half of has None rates.
    """
    origin = load.origin()
    if origin is None or not load.points:
        return {"width": 0.0, "x": []}
    end = _window_end(load, origin)
    width = bucket_width(end, len(load.points))
    count = max(1, math.ceil(end / width - 1e-9))
    values: list[list[float]] = [[] for _ in range(count)]
    ok = [0] * count
    failed = [0] * count
    for p in load.points:
        index = min(max(int((p.t - origin) // width), 0), count - 1)
        if p.ok:
            ok[index] += 1
            value = p.value(metric)
            if value is not None:
                values[index].append(value)
        else:
            failed[index] += 1
    out: dict[str, Any] = {"width": width, "x": [round((i + 0.5) * width, 3)
                                                  for i in range(count)]}
    for pct in pcts:
        out[f"p{pct:g}"] = [percentile(sorted(v), pct) if v else None for v in values]
    # The last bucket is usually cut by the window's end: its rates are divided by the part
    # of it the window covers, and left out (a gap) when that is under half a bucket, where
    # one send more or less would swing the rate several-fold.
    spans = [min(width, end - i * width) for i in range(count)]
    out["ok_rate"] = [round(n / s, 3) if s >= width / 2 else None
                      for n, s in zip(ok, spans, strict=True)]
    out["fail_rate"] = [round(n / s, 3) if s >= width / 2 else None
                        for n, s in zip(failed, spans, strict=True)]
    return out


def _window_end(load: LoadRun, origin: float) -> float:
    """Seconds from ``origin`` to the end of the run window (never before the last send).

    The window is run.started + run.run_time_s. ``started`` is written to the whole second,
    so the run really began up to 1 s after it: the first send's offset (at most 1 s)
    stands in for that fraction. Without a run time the last send is the best end known.
    The last send alone is not the end: requests still in flight at the stop leave no
    sample, so the sends thin out well before the window closes.
    """
    last = max(p.t for p in load.points) - origin
    run_time = load.run.get("run_time_s")
    if not isinstance(run_time, int | float) or isinstance(run_time, bool) or run_time <= 0:
        return max(last, 1e-3)
    lead = 0.0
    started = load.run.get("started")
    if isinstance(started, str) and "." not in started:
        lead = min(max(min(p.t for p in load.points) - origin, 0.0), 1.0)
    return max(float(run_time) + lead, last, 1e-3)


def histogram_bins(values: Sequence[float], p99: float | None) -> tuple[
        list[tuple[float, float, int]], int, float]:
    """Bins of round width from 0 over the bulk of ``values``.

    Values past max(p99 * 1.5, ...) are counted in the last bin so one outlier cannot
    squeeze the rest into a single bar. Returns (bins, how many were clipped, the clip edge).
    """
    if not values:
        return [], 0, 0.0
    top = max(values)
    if p99 is not None and top > p99 * 1.5:
        top = p99 * 1.5
    raw = max(top, 1e-6) / _HIST_BINS
    power = 10.0 ** math.floor(math.log10(raw))
    width = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    count = max(1, math.ceil(top / width + 1e-9))
    counts = [0] * count
    clipped = 0
    for value in values:
        index = int(value // width)
        if index >= count:
            clipped += value > top
            index = count - 1
        counts[max(index, 0)] += 1
    bins = [(round(i * width, 6), round((i + 1) * width, 6), n) for i, n in enumerate(counts)]
    return bins, clipped, count * width


@dataclass(frozen=True, slots=True)
class Performance:
    """What the performance section shows of one load run, computed once for both formats."""

    load: LoadRun
    verdict: LoadVerdict
    head: str  # the headline latency metric (ttft when the run streamed, else e2e)
    facts: tuple[tuple[str, object], ...]
    cards: tuple[tuple[str, str, str], ...]
    latency: tuple[tuple[str, str, dict[str, Any]], ...]  # (metric, label, figures)
    stages: tuple[dict[str, Any], ...]
    tokens: tuple[tuple[str, dict[str, Any]], ...]  # (label, figures)
    figures: tuple[tuple[Markup, str], ...]  # (inline SVG, caption)

    @property
    def fail_above(self) -> float:
        """The error rate above which a load run fails (ERROR_RATE_FAIL)."""
        return ERROR_RATE_FAIL

    @property
    def summary(self) -> dict[str, Any]:
        return self.load.summary

    def part(self, name: str) -> dict[str, Any]:
        """A section of summary.json ("requests", "buffering", ...), {} when absent."""
        value = self.load.summary.get(name)
        return value if isinstance(value, dict) else {}


def performance(load: LoadRun) -> Performance:
    """The performance section's content for ``load``."""
    run, head = load.run, load.headline_metric
    requests, throughput = (load.summary.get(k) or {} for k in ("requests", "throughput"))
    facts: list[tuple[str, object]] = [("Label", run["label"])] if run.get("label") else []
    facts += [
        ("Scenario", f"{run.get('scenario', '?')} ({run.get('workload', '?')} loop)"),
        ("Host", run.get("host") or "?"),
        ("Surface / model", f"{run.get('surface') or '?'} / {run.get('model') or '?'}"),
        ("Users", f"{run.get('users', '?')} (spawn rate {run.get('spawn_rate', '?')}/s)"),
        ("Window", f"{num(throughput.get('window_s'))} s, from {when(run.get('started'))}"),
        ("Load processes", f"{run.get('load_processes', '?')} (Locust "
                           f"{run.get('locust_version') or '?'})")]
    rate, lat = requests.get("error_rate"), load.latency(head)
    cards = (
        (num(throughput.get("requests_per_s")), "requests/s (successful)", "info"),
        (f"{rate * 100:.2f}%" if isinstance(rate, int | float) else "-",
         f"error rate ({requests.get('failed', 0)} of {requests.get('total', 0)})",
         "bad" if rate else "ok"),
        (num(throughput.get("output_tokens_per_s")), "output tokens/s", "info"),
        (ms(lat.get("p50")), f"{head} p50", "info"), (ms(lat.get("p99")), f"{head} p99", "info"))
    tokens = load.summary.get("tokens") or {}
    stages = tuple(s for s in load.summary.get("stages") or [] if isinstance(s, dict))
    figures = _time_plots(load, head)
    hist = _histogram(load, head)
    figures += [hist] if hist else []
    figures += _stage_plots(stages, head)
    return Performance(
        load, load_verdict(load), head, tuple(facts), cards,
        tuple((m, label, load.latency(m)) for m, label in METRICS if load.latency(m).get("count")),
        stages, tuple((label, tokens[key]) for key, label in _TOKENS
                      if (tokens.get(key) or {}).get("count")), tuple(figures))


def _stage_plots(stages: Sequence[dict[str, Any]], head: str) -> list[tuple[Markup, str]]:
    """Throughput and latency against users, one point per ramp stage."""
    if not stages:
        return []
    users = [float(s.get("users") or 0) for s in stages]
    rps = line_chart("perf-rps-users", [Series(
        "requests/s", [(u, _float(s.get("requests_per_s")))
                       for u, s in zip(users, stages, strict=True)], markers=True)],
        title="Throughput vs users", x_label="concurrent users", y_label="requests/s")
    lat = line_chart("perf-lat-users", [Series(
        f"{head} {p}", [(u, _float((s.get(f"{head}_ms") or {}).get(p)))
                        for u, s in zip(users, stages, strict=True)], markers=True)
        for p in ("p50", "p99")], title=f"{head} vs users", x_label="concurrent users",
        y_label="ms")
    return [(Markup(rps), "Successful requests per second at each ramp stage."),
            (Markup(lat), f"{head} p50 and p99 at each ramp stage.")]


def _time_plots(load: LoadRun, head: str) -> list[tuple[Markup, str]]:
    series = over_time(load, head)
    if not series["x"]:
        return []
    xs = series["x"]
    vlines = [(float(stage["start_s"]), f"{stage.get('users')} users")
              for stage in load.summary.get("stages") or []
              if isinstance(stage, dict) and isinstance(stage.get("start_s"), int | float)]
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
    return [(Markup(lat), caption),
            (Markup(rate), "Successful and failed requests per second, by send time.")]


def _histogram(load: LoadRun, head: str) -> tuple[Markup, str] | None:
    values = [v for p in load.points if p.ok for v in [p.value(head)] if v is not None]
    lat = load.latency(head)
    bins, clipped, edge = histogram_bins(values, _float(lat.get("p99")))
    marks = [(float(lat[p]), f"{p} {fmt(float(lat[p]))} ms") for p in ("p50", "p99")
             if isinstance(lat.get(p), int | float)]
    svg = histogram("perf-hist", bins, title=f"{head} distribution", x_label=f"{head} (ms)",
                    marks=marks)
    if not svg:
        return None
    caption = f"{len(values):,} successful requests."
    if clipped:
        caption += f" {clipped} slower than {fmt(edge)} ms are counted in the last bar."
    return Markup(svg), caption


def render_load_markdown(load: LoadRun) -> str:
    """``## Performance``: run facts, throughput, latency percentiles, verdicts, stages."""
    return render("_performance.md.j2", perf=performance(load))
