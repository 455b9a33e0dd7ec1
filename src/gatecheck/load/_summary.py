"""summary.json: every figure of a load run from its exact samples, each with its definition.

The figures are computed here and only here, from ``Sample`` records (samples.jsonl) and the
load generator's own health readings; Locust's CSV and HTML stay beside them for operators,
but their percentiles are bucketed and are not the headline numbers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from gatecheck.load._definitions import (
    BUFFER_MIN_E2E_MS,
    BUFFER_MIN_EVENTS,
    BUFFER_RATIO,
    BUFFER_RATIO_MIN_EVENTS,
    BUFFER_SUSPECTED_FRACTION,
    CPU_WARN_PERCENT,
    DEFINITIONS,
    LOOP_LAG_WARN_MS,
    SCHEDULE_LAG_FLOOR_MS,
)
from gatecheck.load._samples import Sample
from gatecheck.load._stats import describe, percentile

__all__ = ["DEFINITIONS", "SCHEMA", "buffering", "client_health", "overhead", "summarize"]

SCHEMA = "gatecheck.load.summary/1"

# The overhead's figures: (name, client field, mock field) of a Sample.
_OVERHEAD = (("ttft", "ttft", "mock_ttft"), ("itl", "itl", "mock_itl"),
             ("e2e", "e2e", "mock_e2e"))


def overhead(samples: Sequence[Sample], floor: Mapping[str, Any] | None = None
             ) -> dict[str, Any] | None:
    """The gateway-overhead distributions of marked samples (None: none was marked)."""
    marked = [s for s in samples if s.ok and s.nonce is not None]
    if not marked:
        return None
    joined = [s for s in marked if s.mock_e2e is not None]
    cut = {name: float((floor or {}).get(name) or 0.0) for name, _, _ in _OVERHEAD}
    out: dict[str, Any] = {"matched": len(joined), "unmatched": len(marked) - len(joined),
                           "floor_ms": dict(floor) if floor else None}
    added: dict[str, Any] = {}
    mock: dict[str, Any] = {}
    for name, client, own in _OVERHEAD:
        pairs = [(getattr(s, client), getattr(s, own)) for s in joined]
        raw = [c - m for c, m in pairs if c is not None and m is not None]
        added[name] = describe(raw)
        mock[name] = describe(m for _, m in pairs)
        out[name] = describe(v - cut[name] for v in raw)
    out["added"], out["mock"] = added, mock
    return out


def _ok(samples: Sequence[Sample]) -> list[Sample]:
    return [s for s in samples if s.ok]


def buffering(samples: Sequence[Sample]) -> dict[str, Any]:
    """The buffering detector over successful streams (see DEFINITIONS["buffering"])."""
    judged = [s for s in samples if s.ok and s.kind == "stream" and s.events >= BUFFER_MIN_EVENTS
              and s.e2e is not None and s.e2e >= BUFFER_MIN_E2E_MS]
    one_burst = {id(s) for s in judged if s.bursts <= max(2, s.events // 10)}
    late_first = {id(s) for s in judged if s.events >= BUFFER_RATIO_MIN_EVENTS
                  and s.ttft is not None and s.e2e and s.ttft / s.e2e >= BUFFER_RATIO}
    buffered = one_burst | late_first
    ratios = [s.ttft / s.e2e for s in samples
              if s.ok and s.kind == "stream" and s.ttft is not None and s.e2e]
    fraction = len(buffered) / len(judged) if judged else None
    return {
        "judged": len(judged),
        "buffered": len(buffered),
        "buffered_one_burst": len(one_burst),
        "buffered_ttft_ratio": len(late_first),
        "buffered_fraction": None if fraction is None else round(fraction, 4),
        "suspected": fraction is not None and fraction >= BUFFER_SUSPECTED_FRACTION,
        "ttft_over_e2e_p50": round(percentile(sorted(ratios), 50), 4) if ratios else None,
    }


def client_health(
    health: Mapping[str, Mapping[str, Sequence[float]]], *, schedule_lag_p99: float | None,
    reference_ms: float | None,
) -> dict[str, Any]:
    """Per-process CPU and loop lag, and the warnings that make a run's numbers suspect."""
    processes: dict[str, Any] = {}
    warnings: list[str] = []
    for node, readings in sorted(health.items()):
        cpu, lag = describe(readings.get("cpu", ())), describe(readings.get("lag", ()))
        processes[node] = {"cpu_percent": cpu, "loop_lag_ms": lag}
        if cpu["count"] and cpu["p90"] >= CPU_WARN_PERCENT:
            warnings.append(f"load process {node}: CPU p90 {cpu['p90']:.0f} % (>= "
                            f"{CPU_WARN_PERCENT:g} %): the figures may describe the client")
        if lag["count"] and lag["p90"] >= LOOP_LAG_WARN_MS:
            warnings.append(f"load process {node}: event-loop lag p90 {lag['p90']:.1f} ms "
                            f"(>= {LOOP_LAG_WARN_MS:g} ms): timestamps may be late by up to "
                            "that much")
    threshold = None
    if schedule_lag_p99 is not None:
        threshold = max(SCHEDULE_LAG_FLOOR_MS, 0.1 * (reference_ms or 0.0))
        if schedule_lag_p99 >= threshold:
            warnings.append(f"schedule lag p99 {schedule_lag_p99:.1f} ms (>= {threshold:.1f} ms):"
                            " the load generator could not hold the rate; the run is not valid"
                            " for it (add users or processes, or lower the rate)")
    return {"ok": not warnings, "warnings": warnings, "processes": processes,
            "schedule_lag_threshold_ms": threshold}


def _window(samples: Sequence[Sample]) -> float | None:
    if not samples:
        return None
    start = min(s.t for s in samples)
    end = max(s.t + (s.e2e or 0.0) / 1000.0 for s in samples)
    return end - start if end > start else None


def _stages(samples: Sequence[Sample], stages: Sequence[Mapping[str, Any]],
            started: float) -> list[dict[str, Any]]:
    out = []
    for stage in stages:
        lo, hi = started + stage["start_s"], started + stage["end_s"]
        inside = [s for s in samples if lo <= s.t < hi]
        ok = _ok(inside)
        out.append({
            **stage, "requests": len(inside), "failed": len(inside) - len(ok),
            "requests_per_s": round(len(ok) / (hi - lo), 3) if hi > lo else None,
            "ttft_ms": describe(s.ttft for s in ok), "e2e_ms": describe(s.e2e for s in ok),
        })
    return out


def summarize(
    samples: Sequence[Sample], *, run: Mapping[str, Any],
    health: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    open_loop: Mapping[str, Any] | None = None,
    stages: Sequence[Mapping[str, Any]] = (), started: float | None = None,
    begun: int | None = None, warmup_s: float = 0.0, floor: Mapping[str, Any] | None = None,
    in_flight: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The summary of one run (a JSON-ready dict, figures in ms unless named otherwise).

    Args:
        run: what was run (scenario, target, users, ...), copied into the summary as is.
        open_loop: rate, arrival kind, overload policy and dropped count of an open-loop run.
        stages: ramp stages as {"users", "start_s", "end_s"} relative to ``started`` (epoch s).
        begun: requests the users began sending; those without a sample were still in
            flight when the run stopped (``requests.unfinished``).
        warmup_s: requests sent in the first ``warmup_s`` seconds after ``started`` are left
            out of every figure (counted in ``requests.warmup_excluded``).
        floor: the load generator's calibrated floor (ms per overhead figure), subtracted.
        in_flight: requests still in flight at the stop, by phase (``unfinished_at_stop``).
    """
    unfinished = None if begun is None else max(0, begun - len(samples))
    excluded = 0
    measured_from = started + warmup_s if started is not None else None
    if warmup_s > 0 and measured_from is not None:
        kept = [s for s in samples if s.t >= measured_from]
        excluded, samples = len(samples) - len(kept), kept
    ok = _ok(samples)
    window = _window(samples)
    errors = Counter(s.error or f"status {s.status}" for s in samples if not s.ok)
    out_tokens = [s.out_tokens for s in ok if s.out_tokens is not None]
    latency = {
        "ttfb": describe(s.ttfb for s in ok),
        "ttft": describe(s.ttft for s in ok),
        "itl": describe(s.itl for s in ok),
        "e2e": describe(s.e2e for s in ok),
        "tpot_e2e": describe(s.tpot_e2e for s in ok),
    }
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        # measured_from (epoch s): sends before it are the warm-up; reports cut
        # samples.jsonl at the same instant, so their charts count what the tables count
        "run": {"warmup_s": warmup_s, **run, "measured_from": measured_from},
        "requests": {
            "total": len(samples), "ok": len(ok), "failed": len(samples) - len(ok),
            "unfinished": unfinished, "warmup_excluded": excluded,
            "unfinished_at_stop": dict(in_flight) if in_flight else None,
            "error_rate": round((len(samples) - len(ok)) / len(samples), 4) if samples else None,
            "errors": dict(errors.most_common(10)),
        },
        "throughput": {
            "window_s": None if window is None else round(window, 3),
            "requests_per_s": round(len(ok) / window, 3) if window else None,
            "output_tokens_per_s": round(math.fsum(out_tokens) / window, 3) if window else None,
        },
        "latency_ms": latency,
        "tokens": {
            "output_tokens": describe(out_tokens, digits=1),
            "input_tokens": describe((s.in_tokens for s in ok), digits=1),
            "content_events": describe((s.events for s in ok if s.kind == "stream"), digits=1),
            "output_tokens_per_s_per_request": describe(
                s.out_tokens / (s.e2e / 1000.0) for s in ok if s.out_tokens and s.e2e),
            "usage_missing": sum(1 for s in ok if s.out_tokens is None),
        },
        "buffering": buffering(samples),
    }
    gateway = overhead(samples, floor)
    if gateway is not None:
        summary["overhead"] = gateway
    lag_p99 = None
    if open_loop is not None:
        lags = [s.lag for s in samples if s.lag is not None]
        latency["ttft_from_intended"] = describe(s.ttft_i for s in ok)
        latency["e2e_from_intended"] = describe(s.e2e_i for s in ok)
        latency["schedule_lag"] = describe(lags)
        lag_p99 = latency["schedule_lag"]["p99"]
        sends = sorted(s.t for s in samples)
        span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
        summary["open_loop"] = {
            **open_loop, "sent": len(samples) + (summary["requests"]["unfinished"] or 0),
            "send_rate_per_s": round((len(sends) - 1) / span, 3) if span > 0 else None,
            "late": sum(1 for v in lags if v > SCHEDULE_LAG_FLOOR_MS),
        }
    reference = latency["ttft"]["p50"] if latency["ttft"]["count"] else latency["e2e"]["p50"]
    summary["client_health"] = client_health(health or {}, schedule_lag_p99=lag_p99,
                                             reference_ms=reference)
    if stages and started is not None:
        summary["stages"] = _stages(samples, stages, started)
    summary["warnings"] = list(summary["client_health"]["warnings"])
    if summary["buffering"]["suspected"]:
        summary["warnings"].append(
            f"buffering suspected: {summary['buffering']['buffered']} of "
            f"{summary['buffering']['judged']} streams were buffered (content in one burst, "
            f"or ttft / e2e >= {BUFFER_RATIO:g})")
    if gateway is not None and gateway["unmatched"]:
        summary["warnings"].append(
            f"{gateway['unmatched']} of {gateway['unmatched'] + gateway['matched']} "
            "successful requests have no timing from the mock: their overhead is unknown")
    if ok and len(out_tokens) < len(ok):
        summary["warnings"].append(f"{len(ok) - len(out_tokens)} successful requests reported "
                                   "no usage: output tokens unknown for them")
    summary["definitions"] = DEFINITIONS
    return summary
