"""Several gateways checked side by side: the interop session and its compatibility matrix.

``gatecheck interop`` (``nox -s interop``) is a visible list of steps, each timed:

1. install the real gateways at their pinned versions (cached after the first time);
2. per target (``reference``, ``litellm``, ``portkey`` by default): ``gatecheck run`` as for
   any target: the run starts the gateway on loopback over a mock of its own, runs the
   suites, writes ``reports/<run-id>/`` and stops everything by PID;
3. the compatibility matrix, ``reports/interop/compat.md`` and ``compat.html``: checks x
   gateways, each cell the outcome and one line of why, plus the figures.

Suite failures are the gateways' findings, not the session's: it exits 1 only when a step
could not be done (an install, a run that wrote no results).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck import HarnessError
from gatecheck.console import say
from gatecheck.interop import GATEWAYS, gateway_spec, install
from gatecheck.pytest.runner import RunPlan, run_conformance
from gatecheck.report.page import render
from gatecheck.results import CATEGORIES, LEVELS, CheckResult, read_results
from gatecheck.targets import load_targets

__all__ = ["INTEROP_TARGETS", "Cell", "CompatRow", "compat_rows", "run_interop",
           "write_compat"]

INTEROP_TARGETS = ("reference", *GATEWAYS)
_WHY_CHARS = 140


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


def _variant(result: CheckResult) -> str:
    name = result.test.rpartition("::")[2]
    base, _, params = name.partition("[")
    kept = [p for p in params.rstrip("]").split("-") if p and p != result.target]
    return f"{base}[{'-'.join(kept)}]" if kept else base


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
            key = _variant(result)
            row = rows.setdefault(key, {"check_id": result.check_id, "level": result.level,
                                        "category": result.category, "title": result.title,
                                        "variant": key, "cells": {}})
            row["cells"][target] = Cell(result.outcome, _why(result))
    ordered = sorted(rows.values(), key=lambda r: (
        CATEGORIES.index(r["category"]) if r["category"] in CATEGORIES else 99,
        r["check_id"], LEVELS.index(r["level"]) if r["level"] in LEVELS else 9, r["variant"]))
    return [CompatRow(**row) for row in ordered]


def write_compat(out: Path, rows: Sequence[CompatRow], targets: Sequence[str],
                 figures: Mapping[str, Mapping[str, Any]],
                 runs: Mapping[str, str]) -> list[Path]:
    """compat.md and compat.html in ``out``; ``runs``: target -> its report, relative to out."""
    out.mkdir(parents=True, exist_ok=True)
    totals = {t: {o: sum(1 for r in rows if (c := r.cells.get(t)) and c.outcome == o)
                  for o in ("passed", "failed", "warned", "inconclusive", "xfailed", "skipped")}
              for t in targets}
    context = {"rows": rows, "targets": list(targets), "totals": totals, "figures": figures,
               "runs": runs}
    paths = []
    for name in ("compat.md", "compat.html"):
        path = out / name
        path.write_text(render(f"{name}.j2", package="gatecheck", **context), encoding="utf-8")
        paths.append(path)
    (out / "figures.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    return paths


def run_interop(targets: Sequence[str] = INTEROP_TARGETS, *, out: Path = Path("reports"),
                keyword: str | None = None) -> int:
    """The session: install, one run per target, the matrix; 1 when a step could not run."""
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
    rows = compat_rows(results)
    for path in write_compat(out / "interop", rows, list(results), figures, reports):
        say(f"interop: {path}")
    return 1 if failed else 0
