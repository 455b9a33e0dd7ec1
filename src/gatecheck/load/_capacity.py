"""Capacity at an SLO: the highest concurrency whose short window still met the SLO.

The search is a bounded list of steps (anchors: AIPerf's goodput under SLOs, vLLM's
``bench sweep serve_sla``). Users double from ``start`` while each step meets the SLO; the
first step that misses it brackets the answer, which is then bisected until the bracket is
within ``resolution`` of the best passing load. Every step runs a fixed window; the whole
search has a time cap (the Locust shape stops before a step that would not fit). It always
ends: doubling stops at ``ceiling`` and each bisection halves the bracket.

An SLO is a comma-separated list of ``FIGURE<LIMIT`` on the step's summary::

    overhead.ttft.p99<10ms     the gateway's own added ttft (needs the mock's timings)
    ttft.p99<500ms             what the client saw (ttfb, ttft, itl, e2e, tpot_e2e)
    error_rate<1%              failed / finished requests of the step
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatecheck import UsageError

__all__ = ["CLIENT_SLO", "DEFAULT_SLO", "CapacitySearch", "Slo", "judge", "parse_slos",
           "step_record"]

DEFAULT_SLO = "overhead.ttft.p99<10ms,error_rate<1%"
CLIENT_SLO = "ttft.p99<500ms,error_rate<1%"  # the default when no mock timings exist
MAX_STEPS = 64  # a hard bound besides the arithmetic one
_ITEM = re.compile(r"\s*([a-z_.0-9]+)\s*(<=|<)\s*([0-9]*\.?[0-9]+)\s*(ms|s|%)?\s*")
_FIGURE = re.compile(r"(?:(overhead)\.(ttft|itl|e2e)|(ttfb|ttft|itl|e2e|tpot_e2e))"
                     r"\.(p50|p90|p99|p99\.9|mean|max)|error_rate")


@dataclass(frozen=True, slots=True)
class Slo:
    """One bound: ``figure`` (e.g. "overhead.ttft.p99") below ``limit`` (ms, or a share)."""

    figure: str
    limit: float
    inclusive: bool = False

    @property
    def text(self) -> str:
        if self.figure == "error_rate":
            return f"error_rate{'<=' if self.inclusive else '<'}{self.limit * 100:g}%"
        return f"{self.figure}{'<=' if self.inclusive else '<'}{self.limit:g}ms"

    @property
    def needs_mock(self) -> bool:
        return self.figure.startswith("overhead.")

    def value(self, summary: Mapping[str, Any]) -> float | None:
        """The figure in a load summary (None: not measured, e.g. no request succeeded)."""
        match = _FIGURE.fullmatch(self.figure)
        if match is None or self.figure == "error_rate":
            found = (summary.get("requests") or {}).get("error_rate")
        else:
            overhead, metric, plain, stat = match.groups()
            group = summary.get("overhead" if overhead else "latency_ms") or {}
            found = (group.get(metric or plain) or {}).get(stat)
        return float(found) if isinstance(found, int | float) else None

    def met(self, value: float | None) -> bool:
        if value is None:
            return False
        return value <= self.limit if self.inclusive else value < self.limit


def parse_slos(text: str) -> tuple[Slo, ...]:
    """The SLOs of ``text`` (see the module docstring); a bad one is a UsageError."""
    items = [part for part in text.split(",") if part.strip()]
    if not items:
        raise UsageError("--slo: expected e.g. 'overhead.ttft.p99<10ms,error_rate<1%'")
    out = []
    for item in items:
        match = _ITEM.fullmatch(item.lower())
        if match is None:
            raise UsageError(f"--slo {item.strip()!r}: expected FIGURE<LIMIT, e.g. "
                             "ttft.p99<500ms or error_rate<1%")
        figure, op, number, unit = match.groups()
        limit = float(number)
        if figure == "error_rate":
            if unit not in (None, "%"):
                raise UsageError(f"--slo {item.strip()!r}: an error rate is a share (0.01) "
                                 "or a percentage (1%)")
            limit = limit / 100 if unit == "%" else limit
        else:
            if _FIGURE.fullmatch(figure) is None:
                raise UsageError(f"--slo {item.strip()!r}: unknown figure {figure!r} "
                                 f"(expected e.g. ttft.p99, overhead.ttft.p50, error_rate)")
            if unit == "%":
                raise UsageError(f"--slo {item.strip()!r}: a latency is in ms or s")
            limit = limit * 1000 if unit == "s" else limit
        out.append(Slo(figure, limit, inclusive=op == "<="))
    return tuple(out)


def judge(summary: Mapping[str, Any], slos: tuple[Slo, ...]) -> tuple[bool, list[dict[str, Any]]]:
    """Whether a step met every SLO, and each one's value. No finished request: not met."""
    checks = []
    for slo in slos:
        value = slo.value(summary)
        checks.append({"slo": slo.text, "value": value, "met": slo.met(value)})
    finished = (summary.get("requests") or {}).get("total") or 0
    return bool(finished) and all(c["met"] for c in checks), checks


@dataclass
class CapacitySearch:
    """Doubling, then bisection, over user counts from ``start`` to at most ``ceiling``."""

    ceiling: int
    start: int = 1
    resolution: float = 0.1  # stop when the bracket is within this share of the best load
    passed: int | None = None  # the highest load that met the SLO
    failed: int | None = None  # the lowest load that missed it
    history: list[tuple[int, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 1 <= self.start <= self.ceiling:
            raise ValueError(f"start {self.start} outside 1..{self.ceiling}")

    def next_load(self) -> int | None:
        """The next step's users, or None when the search is over."""
        if len(self.history) >= MAX_STEPS:
            return None
        if self.failed is None:  # still doubling
            if self.passed is None:
                return self.start
            return None if self.passed >= self.ceiling else min(self.passed * 2, self.ceiling)
        if self.passed is None:  # nothing met it yet: halve downwards
            return self.failed // 2 if self.failed > 1 else None
        if self.failed - self.passed <= max(1, math.floor(self.passed * self.resolution)):
            return None
        return (self.passed + self.failed) // 2

    def record(self, load: int, met: bool) -> None:
        self.history.append((load, met))
        if met:
            self.passed = load if self.passed is None else max(self.passed, load)
        else:
            self.failed = load if self.failed is None else min(self.failed, load)

    def outcome(self, *, timed_out: bool = False) -> dict[str, Any]:
        """The answer and why the search stopped."""
        if self.passed is None:
            why = "no load met the SLO" if self.failed is not None else "no step ran"
        elif timed_out and self.next_load() is not None:
            why = "the time cap ended the search"
        elif self.failed is None:
            why = "the highest load tried met the SLO (raise --users to look further)"
        else:
            why = "bracketed within the resolution"
        return {"users": self.passed, "bracket": [self.passed, self.failed], "stopped": why,
                "steps": len(self.history)}


def _pcts(d: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: (d or {}).get(k) for k in ("count", "p50", "p99")}


def step_record(users: int, start_s: float, window_s: float, summary: Mapping[str, Any],
                met: bool, checks: list[dict[str, Any]]) -> dict[str, Any]:
    """One step of the search as summary.json keeps it (the figures its chart draws)."""
    requests = summary.get("requests") or {}
    latency = summary.get("latency_ms") or {}
    gateway = summary.get("overhead") or {}
    ok = requests.get("ok") or 0
    return {
        "users": users, "start_s": round(start_s, 3), "window_s": round(window_s, 3),
        "requests": requests.get("total") or 0, "ok": ok, "failed": requests.get("failed") or 0,
        "error_rate": requests.get("error_rate"),
        "requests_per_s": round(ok / window_s, 3) if window_s > 0 else None,
        "ttft_ms": _pcts(latency.get("ttft")), "e2e_ms": _pcts(latency.get("e2e")),
        "overhead_ms": {name: _pcts(gateway.get(name)) for name in ("ttft", "itl", "e2e")}
        if gateway else None,
        "met": met, "checks": checks,
    }
