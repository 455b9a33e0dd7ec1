"""Several gateways checked side by side: the interop session and its compatibility matrix.

``gatecheck interop`` (``nox -s interop``) is a visible list of steps, each timed:

1. install the real gateways at their pinned versions (cached after the first time);
2. per target (``reference``, ``litellm``, ``portkey`` by default): ``gatecheck run`` as for
   any target: the run starts the gateway on loopback over a mock of its own, runs the
   suites, writes ``reports/<run-id>/`` and stops everything by PID;
3. per target, after its run, the performance step (``gatecheck.load.measure_performance``,
   about a minute; ``--no-perf`` skips it): added ttft at 1 and N streams, capacity at the
   default SLO, non-streamed requests/s, against the gateway started once more over a mock;
4. the compatibility matrix, ``reports/interop/compat.md`` and ``compat.html``: checks x
   gateways, each cell the outcome and one line of why, the figures, and the Performance
   table.

Suite failures are the gateways' findings, not the session's: it exits 1 only when a step
could not be done (an install, a run that wrote no results).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck import HarnessError
from gatecheck.console import say
from gatecheck.findings import variant
from gatecheck.interop import GATEWAYS, gateway_spec, install
from gatecheck.load import PerfConfig, measure_performance
from gatecheck.pytest.runner import RunPlan, run_conformance
from gatecheck.report.page import render
from gatecheck.results import CATEGORIES, LEVELS, CheckResult, read_results
from gatecheck.targets import load_targets

__all__ = ["INTEROP_TARGETS", "Cell", "CompatRow", "PerfRow", "PerfTable", "compat_rows",
           "perf_table", "run_interop", "write_compat"]

INTEROP_TARGETS = ("reference", *GATEWAYS)
_WHY_CHARS = 140
_PERF = PerfConfig()
_DASH = "\u2013"  # an en dash, as the templates show a missing figure


@dataclass(frozen=True, slots=True)
class Cell:
    """One check on one gateway: its outcome and, unless it passed, one line of why."""

    outcome: str
    why: str = ""


@dataclass(frozen=True, slots=True)
class CompatRow:
    """One check (one test, one variant) across the gateways."""

    check_id: str
    level: str
    category: str
    title: str
    variant: str  # the test and its parameters, the target's name left out
    cells: Mapping[str, Cell]


def _why(result: CheckResult) -> str:
    if result.outcome == "passed":
        return ""
    line = " ".join(str(result.message or "").split())
    return line if len(line) <= _WHY_CHARS else line[: _WHY_CHARS - 1] + "…"


def compat_rows(runs: Mapping[str, Sequence[CheckResult]]) -> list[CompatRow]:
    """Rows of the matrix from each gateway's results, in report order."""
    rows: dict[str, dict[str, Any]] = {}
    for target, results in runs.items():
        for result in results:
            key = variant(result)
            row = rows.setdefault(key, {"check_id": result.check_id, "level": result.level,
                                        "category": result.category, "title": result.title,
                                        "variant": key, "cells": {}})
            row["cells"][target] = Cell(result.outcome, _why(result))
    ordered = sorted(rows.values(), key=lambda r: (
        CATEGORIES.index(r["category"]) if r["category"] in CATEGORIES else 99,
        r["check_id"], LEVELS.index(r["level"]) if r["level"] in LEVELS else 9, r["variant"]))
    return [CompatRow(**row) for row in ordered]


@dataclass(frozen=True, slots=True)
class PerfRow:
    """One gateway's performance figures as the table shows them (a dash: not measured)."""

    target: str
    ttft_one: str  # added ttft p50 / p99 ms at 1 stream
    ttft_many: str  # the same at N streams
    capacity: str  # concurrent streams within the default SLO
    requests_per_s: str  # non-streamed, N users, the mock at zero latency
    seconds: str  # the step's wall time, the gateway's start included
    note: str  # failed requests, an error, or why the capacity search stopped


@dataclass(frozen=True, slots=True)
class PerfTable:
    """The Performance table: a row per gateway measured, and how to read the figures."""

    rows: tuple[PerfRow, ...]
    streams: int
    slo: str
    model: str  # the mock directive of the streamed runs
    measured: str  # when, on what, and the load generator's floor


def _ms_pair(run: Mapping[str, Any] | None) -> str:
    p50, p99 = (run or {}).get("ttft_p50"), (run or {}).get("ttft_p99")
    if not isinstance(p50, int | float) or not isinstance(p99, int | float):
        return _DASH
    return f"{p50:.2f} / {p99:.2f}"


def _capacity_cell(capacity: Mapping[str, Any] | None) -> tuple[str, str]:
    """The capacity cell and, when the search did not bracket it, why it stopped."""
    capacity = capacity or {}
    users, stopped = capacity.get("users"), str(capacity.get("stopped") or "")
    if users is None:
        return ("none" if capacity.get("steps") else _DASH), stopped
    if stopped == "bracketed within the resolution":
        return str(users), ""
    return f"≥ {users}", stopped.split(" (")[0]  # the highest tried, or the time cap ended it


def _failures(figures: Mapping[str, Any]) -> list[str]:
    out = []
    for step, label in (("stream_1", "1 stream"), ("stream_n", "N streams"), ("chat", "chat")):
        run = figures.get(step) or {}
        failed, ok = run.get("failed") or 0, run.get("ok") or 0
        if failed:
            out.append(f"{label}: {failed} of {failed + ok} failed")
    return out


def _measured_note(first: Mapping[str, Any], every: Iterable[Mapping[str, Any]]) -> str:
    """When and on what, the load generator's floor, and how to read the figures."""
    loads = sorted(p["load_average"] for p in every
                   if isinstance(p.get("load_average"), int | float))
    machine = f"{first.get('cores', '?')} cores, Python {first.get('python', '?')}"
    if loads:
        spread = f"{loads[0]:g}" + (f"-{loads[-1]:g}" if loads[-1] != loads[0] else "")
        machine += f", load average {spread} at each gateway's start"
    floor = (first.get("floor_ms") or {}).get("ttft")
    cut = (f"{floor:.3f} ms (gatecheck calibrate)" if isinstance(floor, int | float)
           else "none (no gatecheck calibrate here)")
    return (f"Measured {first.get('measured', 'at an unknown time')} on this machine "
            f"({machine}); load generator floor subtracted from added ttft: {cut}. The "
            "figures are this machine's at this moment: compare ratios within one run, not "
            "across runs or machines.")


def perf_table(figures: Mapping[str, Mapping[str, Any]],
               targets: Sequence[str]) -> PerfTable | None:
    """The Performance table from figures.json's ``perf`` entries; None when none ran."""
    measured = {t: figures.get(t, {}).get("perf") for t in targets}
    done = {t: p for t, p in measured.items() if p}
    if not done:
        return None
    rows = []
    for target, perf in done.items():
        if perf.get("error"):
            rows.append(PerfRow(target, ttft_one=_DASH, ttft_many=_DASH, capacity=_DASH,
                                requests_per_s=_DASH, seconds=_DASH,
                                note=f"error: {perf['error']}"))
            continue
        capacity, why = _capacity_cell(perf.get("capacity"))
        rate = (perf.get("chat") or {}).get("requests_per_s")
        seconds = perf.get("perf_s")
        rows.append(PerfRow(
            target, _ms_pair(perf.get("stream_1")), _ms_pair(perf.get("stream_n")), capacity,
            f"{rate:,.0f}" if isinstance(rate, int | float) else _DASH,
            f"{seconds:g} s" if isinstance(seconds, int | float) else _DASH,
            "; ".join([*_failures(perf), *([why] if why else [])])))
    first = ([p for p in done.values() if not p.get("error")] or list(done.values()))[0]
    return PerfTable(rows=tuple(rows), streams=int(first.get("streams") or 0),
                     slo=" and ".join(str(first.get("slo") or "").split(",")),
                     model=str(first.get("directive") or ""),
                     measured=_measured_note(first, done.values()))


def write_compat(out: Path, rows: Sequence[CompatRow], targets: Sequence[str],
                 figures: Mapping[str, Mapping[str, Any]],
                 runs: Mapping[str, str]) -> list[Path]:
    """compat.md and compat.html in ``out``; ``runs``: target -> its report, relative to out."""
    out.mkdir(parents=True, exist_ok=True)
    totals = {t: {o: sum(1 for r in rows if (c := r.cells.get(t)) and c.outcome == o)
                  for o in ("passed", "failed", "warned", "inconclusive", "xfailed", "skipped")}
              for t in targets}
    context = {"rows": rows, "targets": list(targets), "totals": totals, "figures": figures,
               "runs": runs, "perf": perf_table(figures, targets)}
    paths = []
    for name in ("compat.md", "compat.html"):
        path = out / name
        path.write_text(render(f"{name}.j2", package="gatecheck", **context), encoding="utf-8")
        paths.append(path)
    (out / "figures.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    return paths


def _measure(name: str, perf: PerfConfig, out: Path,
             figures: dict[str, dict[str, Any]]) -> bool:
    """The performance step for ``name`` into ``figures``; False when it could not run."""
    say(f"interop: {name}: performance (about {perf.load_s:g} s of load)")
    try:
        figures[name]["perf"] = measure_performance(name, perf, out=out)
    except HarnessError as exc:
        say(f"interop: {name}: performance: error: {exc}")
        figures[name]["perf"] = {"error": str(exc)}
        return False
    say(f"interop: {name}: performance measured in {figures[name]['perf']['perf_s']:g} s")
    return True


def run_interop(targets: Sequence[str] = INTEROP_TARGETS, *, out: Path = Path("reports"),
                keyword: str | None = None, perf: PerfConfig | None = _PERF) -> int:
    """The session: install, one run per target, the matrix; 1 when a step could not run.

    ``perf``: the performance step's size after each run (None: skipped).
    """
    load_targets().select(list(targets))  # unknown names fail before anything is installed
    figures: dict[str, dict[str, Any]] = {name: {} for name in targets}
    for name in targets:
        if name in GATEWAYS:
            got = install(name)
            figures[name].update(version=gateway_spec(name).version, cached=not got.fresh,
                                 install_s=round(got.seconds, 1))
            say(f"interop: {name} {gateway_spec(name).version}: "
                + (f"installed in {got.seconds:.1f} s" if got.fresh else "already installed"))
    results: dict[str, list[CheckResult]] = {}
    reports: dict[str, str] = {}
    failed = False
    for name in targets:
        started = time.perf_counter()
        try:
            plan = RunPlan.from_options(target=[name], targets_file=None, base_url=None,
                                        profile=None, out=str(out), workers=None,
                                        keyword=keyword, suites=None)
            outcome = run_conformance(plan)
        except HarnessError as exc:
            say(f"interop: {name}: error: {exc}")
            figures[name]["error"] = str(exc)
            failed = True
            continue
        figures[name].update(run_s=round(time.perf_counter() - started, 1),
                             exit=outcome.status, run=outcome.run_dir.name)
        results[name] = read_results(outcome.run_dir / "results.jsonl")
        reports[name] = f"../{outcome.run_dir.name}/report.html"
        if perf is not None and not _measure(name, perf, outcome.run_dir / "perf", figures):
            failed = True
    rows = compat_rows(results)
    for path in write_compat(out / "interop", rows, list(results), figures, reports):
        say(f"interop: {path}")
    return 1 if failed else 0
