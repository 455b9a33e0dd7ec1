"""The performance section of report.md: a load run's figures as Markdown tables."""

from __future__ import annotations

from gatecheck.report._load import ERROR_RATE_FAIL, LoadRun, load_verdict
from gatecheck.report._model import RunMeta
from gatecheck.report._perf import METRICS, PCTS, ms
from gatecheck.report.markdown import _when

__all__ = ["render_load_markdown", "render_load_report"]


def _num(value: object) -> str:
    return f"{value:,.1f}" if isinstance(value, int | float) else "-"


def render_load_markdown(load: LoadRun) -> str:
    """``## Performance``: run facts, throughput, latency percentiles, verdicts, stages."""
    run = load.run
    requests = load.summary.get("requests") or {}
    throughput = load.summary.get("throughput") or {}
    rate = requests.get("error_rate")
    judged = load_verdict(load)
    lines = ["## Performance", "",
             f"- Verdict: {judged.line} (FAIL when no request succeeded or more than "
             f"{ERROR_RATE_FAIL:.0%} failed; WARN for any error or warning.)",
             f"- Scenario: {run.get('scenario', '?')} ({run.get('workload', '?')} loop), "
             f"{run.get('users', '?')} users, against `{run.get('host') or '?'}` "
             f"({run.get('surface') or '?'}, model `{run.get('model') or '?'}`).",
             f"- {requests.get('total', 0):,} requests, {requests.get('failed', 0):,} failed "
             f"(error rate {rate * 100 if isinstance(rate, int | float) else 0:.2f}%); "
             f"{_num(throughput.get('requests_per_s'))} requests/s, "
             f"{_num(throughput.get('output_tokens_per_s'))} output tokens/s over "
             f"{_num(throughput.get('window_s'))} s."]
    buf = load.summary.get("buffering") or {}
    if buf.get("judged"):
        verdict = "suspected" if buf.get("suspected") else "not suspected"
        lines.append(f"- Buffering: {verdict} ({buf.get('buffered', 0)} of {buf['judged']} "
                     "judged streams arrived in one burst).")
    health = load.summary.get("client_health") or {}
    lines.append("- Load generator: " + ("healthy." if health.get("ok", True) else
                                          "suspect (see warnings)."))
    for warning in load.summary.get("warnings") or []:
        lines.append(f"- Warning: {warning}")
    lines += ["", "### Latency percentiles", "",
              "| Metric (ms) | n | " + " | ".join(PCTS) + " | max |",
              "|---|---:|" + "---:|" * (len(PCTS) + 1)]
    for name, label in METRICS:
        d = load.latency(name)
        if d.get("count"):
            cells = " | ".join(ms(d.get(p), "") for p in (*PCTS, "max"))
            lines.append(f"| {name} ({label}) | {d['count']:,} | {cells} |")
    stages = [s for s in load.summary.get("stages") or [] if isinstance(s, dict)]
    if stages:
        head = load.headline_metric
        lines += ["", "### Ramp stages", "",
                  f"| Users | Requests | Failed | Requests/s | {head} p50 (ms) | {head} p99 (ms) |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for s in stages:
            d = s.get(f"{head}_ms") or {}
            lines.append(f"| {s.get('users')} | {s.get('requests')} | {s.get('failed')} | "
                         f"{_num(s.get('requests_per_s'))} | {ms(d.get('p50'), '')} | "
                         f"{ms(d.get('p99'), '')} |")
    lines += ["", "Percentiles are exact (nearest rank over every sample); plots are in "
                  "report.html.", ""]
    return "\n".join(lines)


def render_load_report(load: LoadRun, meta: RunMeta) -> str:
    """report.md for a run that has only a load summary (no conformance results)."""
    names = ", ".join(name for name, _ in meta.targets) or "unknown"
    lines = [f"# gatecheck load report: {names}", "",
             f"**Test date:** {_when(load.run.get('started') or meta.started_at)}  "]
    for name, url in meta.targets:
        lines.append(f"**Target:** `{name}` at `{url or 'unknown URL'}`  ")
    lines += [f"**Run id:** `{meta.run_id}`  ", f"**Overall status:** {load_verdict(load).line}",
              ""]
    return "\n".join(lines) + "\n" + render_load_markdown(load)
