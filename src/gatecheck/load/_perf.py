"""A gateway's performance in short: the interop session's step after each conformance run.

One start of the target over its mock, then four bounded load runs against it, each through
``run_load`` (``running=``, so the gateway starts once):

1. ``chat``, ``streams`` users, the mock at zero latency: non-streamed requests/s (first,
   so that a gateway's cold start, LiteLLM's first request takes seconds, is behind it
   before a single stream's tail is read);
2. ``stream``, 1 user: the added ttft (client ttft - the mock's own first-token time, the
   load generator's floor subtracted when calibrated) with nothing queued;
3. ``stream``, ``streams`` users: the same at concurrency;
4. ``capacity`` at the default SLO (``overhead.ttft.p99<10ms,error_rate<1%``), short steps
   and a tight time cap: the most concurrent streams the gateway holds within it.

The figures (a JSON-able dict) go into the compatibility matrix's figures.json and its
Performance table. They are this machine's, at this moment: compare ratios within one run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck.console import say
from gatecheck.embedded import start_for
from gatecheck.load._capacity import DEFAULT_SLO
from gatecheck.load._plan import LoadPlan
from gatecheck.load._run import run_load

__all__ = ["PerfConfig", "measure_performance"]


@dataclass(frozen=True, slots=True)
class PerfConfig:
    """The performance step's size; the defaults keep it near a minute per gateway."""

    streams: int = 20  # N: concurrent streams of the second run, users of the chat run
    window_s: float = 6.0  # each fixed run (chat at N, stream at 1, stream at N)
    warmup_s: float = 1.0  # left out at the start of each fixed run
    step_s: float = 4.0  # each capacity step
    capacity_cap_s: float = 32.0  # the capacity search's time cap
    capacity_users: int = 64  # the most users the search tries
    # A short, realistically paced stream (200 ms each), so one user yields ~25 samples.
    directive: str = "ttft=50 itl=10 tokens=16"
    chat_directive: str = "ttft=0 itl=0 tokens=16"  # the gateway's cost alone

    @property
    def load_s(self) -> float:
        """Seconds of load in all (each run also starts Locust, about 2 s)."""
        return 3 * self.window_s + self.capacity_cap_s


def _plan(name: str, out: Path, environ: Mapping[str, str], **given: Any) -> LoadPlan:
    return LoadPlan.from_options({"gatecheck_target": [name], "out": str(out), **given},
                                 environ)


def _stream(summary: Mapping[str, Any]) -> dict[str, Any]:
    requests = summary.get("requests") or {}
    added = (summary.get("overhead") or {}).get("ttft") or {}
    return {"users": (summary.get("run") or {}).get("users"), "ok": requests.get("ok"),
            "failed": requests.get("failed"), "n": added.get("count"),
            "ttft_p50": added.get("p50"), "ttft_p99": added.get("p99"),
            "client_ttft_p50": ((summary.get("latency_ms") or {}).get("ttft") or {}).get("p50")}


def _capacity(summary: Mapping[str, Any]) -> dict[str, Any]:
    capacity = summary.get("capacity") or {}
    result = capacity.get("result") or {}
    return {"users": result.get("users"), "bracket": result.get("bracket"),
            "stopped": result.get("stopped"), "steps": result.get("steps"),
            "ceiling": capacity.get("ceiling"), "slo": capacity.get("slo")}


def _chat(summary: Mapping[str, Any]) -> dict[str, Any]:
    requests = summary.get("requests") or {}
    return {"users": (summary.get("run") or {}).get("users"),
            "requests_per_s": (summary.get("throughput") or {}).get("requests_per_s"),
            "ok": requests.get("ok"), "failed": requests.get("failed"),
            "e2e_p50": ((summary.get("latency_ms") or {}).get("e2e") or {}).get("p50")}


def measure_performance(name: str, config: PerfConfig | None = None, *, out: Path,
                        environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The four runs against target ``name`` (started here once), in order; their figures.

    Load runs go under ``out``. A HarnessError (the target would not start, Locust wrote
    no summary) is the caller's: the step could not be done.
    """
    config = config or PerfConfig()
    # The step's own sizes, whatever the shell's GATECHECK_LOAD_* say (as calibrate does).
    environ = {k: v for k, v in environ.items() if not k.startswith("GATECHECK_LOAD_")}
    fixed = {"duration": f"{config.window_s:g}s", "gatecheck_warmup": config.warmup_s,
             "gatecheck_directive": config.directive}
    plans = {
        "chat": _plan(name, out, environ, scenario="chat", users=config.streams,
                      label=f"{name}-perf-chat", **{**fixed, "gatecheck_directive":
                                                    config.chat_directive}),
        "stream_1": _plan(name, out, environ, scenario="stream", users=1,
                          label=f"{name}-perf-stream-1", **fixed),
        "stream_n": _plan(name, out, environ, scenario="stream", users=config.streams,
                          label=f"{name}-perf-stream-{config.streams}", **fixed),
        "capacity": _plan(name, out, environ, scenario="capacity",
                          users=config.capacity_users,
                          duration=f"{config.capacity_cap_s:g}s",
                          gatecheck_step_duration=config.step_s,
                          gatecheck_directive=config.directive, gatecheck_slo=DEFAULT_SLO,
                          label=f"{name}-perf-capacity"),
    }
    read = {"chat": _chat, "stream_1": _stream, "stream_n": _stream, "capacity": _capacity}
    figures: dict[str, Any] = {
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
        "python": platform.python_version(), "streams": config.streams,
        "directive": config.directive, "chat_directive": config.chat_directive,
        "slo": DEFAULT_SLO, "runs": {}}
    started = time.perf_counter()
    with start_for(plans["chat"].target) as running:
        figures["start_s"] = round(time.perf_counter() - started, 1)
        for step, plan in plans.items():
            say(f"interop: {name}: performance: {step}")
            outcome = run_load(plan, running=running)
            figures[step] = read[step](outcome.summary)
            figures["runs"][step] = str(outcome.run_dir.parent.relative_to(out))
            if step == "stream_1":  # the figures only: the file's path stays on this machine
                floor = (outcome.summary.get("overhead") or {}).get("floor_ms") or {}
                figures["floor_ms"] = {k: floor[k] for k in ("ttft", "itl", "e2e", "measured")
                                       if k in floor} or None
    figures["perf_s"] = round(time.perf_counter() - started, 1)
    return figures
