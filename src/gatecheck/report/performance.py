"""The performance section of a report, for both formats: a load run and what it shows.

A load run is summary.json plus the few sample fields the plots need (``_loadrun``). The
figures (percentiles, rates, verdicts, the gateway's overhead, the capacity search) are the
load summary's own and are shown as they are; the samples only feed the plots (percentiles
over time, requests per second, the histogram), which aggregate them so a report stays
small however long the run was. :func:`performance` builds the section's content once;
``_performance.md.j2`` and ``_performance.html.j2`` render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from gatecheck.report._format import ms, num, when
from gatecheck.report._loadrun import (
    LoadRun,
    Point,
    bucket_width,
    find_load,
    histogram_bins,
    over_time,
    read_load,
)
from gatecheck.report._svg import Series, fmt, histogram, line_chart
from gatecheck.report.page import render

__all__ = ["ERROR_RATE_FAIL", "METRICS", "OVERHEAD", "PCTS", "LoadRun", "LoadVerdict",
           "Performance", "Point", "bucket_width", "find_load", "histogram_bins",
           "load_verdict", "over_time", "performance", "read_load", "render_load_markdown"]

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
# Rows of the overhead table (summary.json's overhead keys): what the target itself added.
OVERHEAD: tuple[tuple[str, str], ...] = (
    ("ttft", "added to the time to first token"),
    ("itl", "added to each token's gap"),
    ("e2e", "added end to end"),
)
_TOKENS = (("output_tokens", "output tokens (usage)"), ("input_tokens", "input tokens (usage)"),
           ("content_events", "content events per stream"),
           ("output_tokens_per_s_per_request",
            "output tokens/s per request (what one user sees)"))

# A load run fails when more than this share of its requests failed (or none succeeded):
# past a few percent the latency figures describe the survivors, not the gateway under
# that load. Any error or warning below it makes the run a WARN.
ERROR_RATE_FAIL = 0.05


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


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


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
    # The gateway's own overhead (summary's "overhead"): (figure, label, distribution)
    overhead: tuple[tuple[str, str, dict[str, Any]], ...] = ()
    capacity: dict[str, Any] | None = None  # summary's "capacity": SLO, steps, result

    @property
    def floor(self) -> str:
        """The load generator's floor subtracted from the overhead, in words."""
        floor = (self.part("overhead").get("floor_ms") or {})
        if not floor:
            return "no floor subtracted (run gatecheck calibrate on this machine)"
        cut = ", ".join(f"{k} {floor[k]:.3f} ms" for k in ("ttft", "itl", "e2e") if k in floor)
        return f"floor subtracted: {cut} (gatecheck calibrate, {floor.get('measured') or '?'})"

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
    capacity = load.summary.get("capacity")
    capacity = capacity if isinstance(capacity, dict) else None
    figures += _capacity_plots(capacity) if capacity else []
    gateway = load.summary.get("overhead") or {}
    overhead = tuple((name, label, gateway[name]) for name, label in OVERHEAD
                     if isinstance(gateway.get(name), dict) and gateway[name].get("count"))
    return Performance(
        load, load_verdict(load), head, tuple(facts), cards,
        tuple((m, label, load.latency(m)) for m, label in METRICS if load.latency(m).get("count")),
        stages, tuple((label, tokens[key]) for key, label in _TOKENS
                      if (tokens.get(key) or {}).get("count")), tuple(figures), overhead,
        capacity)


def _capacity_plots(capacity: dict[str, Any]) -> list[tuple[Markup, str]]:
    """The search's steps against users: the overhead (else client ttft) p50/p99 with the
    SLO's bound, and the error rate."""
    steps = sorted((s for s in capacity.get("steps") or [] if isinstance(s, dict)
                    and _float(s.get("users")) is not None), key=lambda s: float(s["users"]))
    if not steps:
        return []
    own = any((s.get("overhead_ms") or {}).get("ttft", {}).get("count") for s in steps)
    key, what = ("overhead_ms", "overhead ttft") if own else ("ttft_ms", "ttft")

    def figure(step: dict[str, Any], stat: str) -> float | None:
        group = step.get(key) or {}
        found = (group.get("ttft") or {}) if own else group
        return _float(found.get(stat))

    users = [float(s["users"]) for s in steps]
    lines = [Series(f"{what} {stat}", [(u, figure(s, stat)) for u, s in zip(users, steps,
                                                                            strict=True)],
                    markers=True) for stat in ("p50", "p99")]
    for bound in capacity.get("slo") or []:
        prefix = "overhead.ttft." if own else "ttft."
        if isinstance(bound, str) and bound.startswith(prefix) and bound.endswith("ms"):
            limit = _float(float(bound.split("<")[-1].lstrip("=").removesuffix("ms")))
            lines.append(Series(f"SLO {bound}", [(users[0], limit), (users[-1], limit)],
                                color="#cf222e", dash="4 4"))
    latency = line_chart("perf-capacity", lines, title=f"{what} vs users (capacity search)",
                         x_label="concurrent users", y_label="ms")
    errors = line_chart("perf-capacity-errors", [Series(
        "error rate", [(u, None if _float(s.get("error_rate")) is None else
                        float(s["error_rate"]) * 100) for u, s in zip(users, steps,
                                                                    strict=True)],
        markers=True, color="#cf222e")], title="error rate vs users (capacity search)",
        x_label="concurrent users", y_label="% of requests")
    result = capacity.get("result") or {}
    found = result.get("users")
    note = (f"the highest that met the SLO: {found} users" if found is not None
            else "no load met the SLO")
    return [(Markup(latency), f"{what} p50 and p99 at each step of the search; {note}."),
            (Markup(errors), "Failed / finished requests at each step of the search.")]


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
    steps = (load.summary.get("capacity") or {}).get("steps") or []  # the search's steps
    vlines = [(float(stage["start_s"]), f"{stage.get('users')} users")
              for stage in [*(load.summary.get("stages") or []), *steps]
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
                     x_label=f"seconds since start ({series['width']:.3g} s buckets)",
                     y_label="ms", vlines=vlines)
    rate = line_chart("perf-rate", [
        Series("ok", list(zip(xs, series["ok_rate"], strict=True)), color="#1a7f37"),
        Series("failed", list(zip(xs, series["fail_rate"], strict=True)), color="#cf222e")],
        title="Requests per second over time",
        x_label=f"seconds since start ({series['width']:.3g} s buckets)", y_label="requests/s",
        vlines=vlines)
    caption = (f"Nearest-rank percentiles of {head} per {series['width']:.3g} s bucket of "
               "send time; dashed guides mark ramp stages (users).")
    mean = sum(series["ok_rate"]) / len(series["ok_rate"])
    return [(Markup(lat), caption),
            (Markup(rate), "Successful and failed requests per second, each request counted "
                           "over its own lifetime (send to end) across the summary's window: "
                           f"the ok line averages {mean:,.1f}/s, the table's requests/s.")]


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
