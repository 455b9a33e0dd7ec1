"""A load run as ``gatecheck load`` does it, and the calibration run of ``gatecheck calibrate``.

The run is a list of small steps: a run directory -> start the target if it is embedded
(mock + reference proxy, or the mock alone) -> Locust in a child process, with the mock's
URL when gatecheck knows it (its timings give the overhead) -> redact everything written
-> the summary's headline lines. Reports are the caller's next step (``gatecheck.report``
sits above this package).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gatecheck import HarnessError, Surface
from gatecheck.artefacts import default_run_id, new_run_dir, redact_tree
from gatecheck.console import say
from gatecheck.embedded import Started, start_for
from gatecheck.load._calibration import (
    CALIBRATION_FILE,
    accuracy_checks,
    self_check,
    write_calibration,
)
from gatecheck.load._launch import LocustRun, locate_locustfile
from gatecheck.load._options import surface_of
from gatecheck.load._plan import LoadPlan
from gatecheck.load._report import print_summary
from gatecheck.targets import TargetConfig

__all__ = ["LoadOutcome", "calibration_table", "run_calibration", "run_load", "true_values"]


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What a finished run left: its directory, its summary, and whether it measured."""

    run_dir: Path  # reports/<run-id>/load
    summary: dict[str, Any]
    locust_exit: int
    ok: bool  # at least one request succeeded, Locust ended normally, the run did not stop

    @property
    def summary_path(self) -> Path:
        return self.run_dir / "summary.json"


def run_load(plan: LoadPlan, *, running: Started | None = None) -> LoadOutcome:
    """Run ``plan`` to its end and summarise it (headline lines printed).

    ``running``: the plan's embedded target, already started by the caller (several runs
    against one start, as the interop session's performance step does); else a target that
    needs it is started for this run and stopped after it.
    """
    run_dir = new_run_dir(plan.out, default_run_id([plan.label]))[1] / "load"
    run_dir.mkdir()
    locustfile = locate_locustfile(plan.scenario)
    surface = surface_of(plan.settings.surface)
    with _started(plan.target, surface, running) as (base_url, env, mock_url):
        target = plan.target
        scheme = target.surfaces[surface].preferred_auth
        secret_env = target.secret_env(surface)
        settings = dataclasses.replace(
            plan.settings, mock_url=plan.settings.mock_url or mock_url or "",
            auth=scheme if secret_env and scheme != "none" else "none",
            auth_env=secret_env or "", auth_header=target.auth.header or "",
            headers=_header_spec(target, surface))
        options = {k: v for k, v in settings.to_locust().items() if k != "out"}
        launch = LocustRun(
            locustfile=locustfile, host=base_url, run_dir=run_dir, users=plan.users,
            spawn_rate=plan.spawn_rate, duration_s=plan.duration_s, processes=plan.processes,
            web_port=plan.web_port, options=options, env=env, web=plan.web,
        )
        size = (f"up to {plan.users} users in steps of {settings.step_duration:g} s"
                if plan.scenario == "capacity" else f"{plan.users} users")
        if plan.duration_s is not None:
            size += f", {'at most ' if plan.scenario == 'capacity' else ''}{plan.duration_s:g} s"
        say(f"gatecheck: load {plan.scenario} against {target.name} ({base_url}, "
            f"{settings.surface}, {settings.model}): {size}"
            + (f"; overhead from the mock at {settings.mock_url}" if settings.mock_url else ""))
        if plan.web:
            say(f"gatecheck: Locust web UI on http://127.0.0.1:{plan.web_port} "
                + ("(the test starts now and stops at the duration)" if plan.duration_s
                   else "(Ctrl-C to stop and write the reports)"))
        code = launch.run()
    redact_tree(run_dir)  # every file Locust and the users wrote: CSV, HTML, log, samples
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise HarnessError(f"Locust exited {code} without writing {summary_path} "
                           f"(log: {run_dir / 'locust.log'})")
    summary = orjson.loads(summary_path.read_bytes())
    ok = print_summary(summary)
    stopped = (summary.get("run") or {}).get("stopped")
    if stopped:
        say(f"gatecheck: error: {stopped}")
    say(f"gatecheck: {summary_path} (Locust CSV/HTML beside it)")
    return LoadOutcome(run_dir, summary, code, ok and not stopped and code in (0, 130))


def _header_spec(target: TargetConfig, surface: Surface) -> str:
    """The target's static headers for Locust: literal values, ``$NAME`` for a variable."""
    merged = dict(target.headers)
    if surface in target.surfaces:
        merged.update(target.surfaces[surface].headers)
    return ";".join(f"{name}={value.literal}" if value.literal is not None
                    else f"{name}=${value.env}" for name, value in merged.items())


@contextmanager
def _started(target: TargetConfig, surface: Surface, running: Started | None
             ) -> Iterator[tuple[str, dict[str, str], str | None]]:
    """The target's API base URL, the env its users need, and its mock's URL if known."""
    if running is not None:
        yield (target.with_base_url(running.base_url).api_base_url(surface), dict(running.env),
               running.mock_url)
        return
    if not target.needs_start:
        target.secret(surface=surface)  # registers it with the redactor before any output
        yield target.api_base_url(surface), {}, None
        return

    with start_for(target) as started:
        yield (target.with_base_url(started.base_url).api_base_url(surface), dict(started.env),
               started.mock_url)


def true_values(ttft_ms: float, itl_ms: float, tokens: int, users: int) -> dict[str, float]:
    """What a perfect client would measure against the mock's latency model."""
    e2e = ttft_ms + (tokens - 1) * itl_ms
    return {"ttft": ttft_ms, "itl": itl_ms, "e2e": e2e,
            "rate": users / (e2e / 1000.0) if e2e > 0 else float("nan")}


def calibration_table(truth: dict[str, float], summary: dict[str, Any]) -> list[str]:
    """measured vs true, one line per figure (the p50, its error, and the p99)."""
    lat = summary["latency_ms"]
    lines = [f"{'figure':<12}{'true':>10}{'p50':>10}{'error':>10}{'p90':>10}{'p99':>10}"]
    for name in ("ttft", "itl", "e2e"):
        d = lat[name]
        if not d["count"]:
            lines.append(f"{name + ' ms':<12}{truth[name]:>10.2f}{'n/a':>10}")
            continue
        err = (d["p50"] - truth[name]) / truth[name] * 100
        lines.append(f"{name + ' ms':<12}{truth[name]:>10.2f}{d['p50']:>10.2f}{err:>+9.2f}%"
                     f"{d['p90']:>10.2f}{d['p99']:>10.2f}")
    rate = summary["throughput"]["requests_per_s"]
    if rate:
        err = (rate - truth["rate"]) / truth["rate"] * 100
        lines.append(f"{'rate /s':<12}{truth['rate']:>10.2f}{rate:>10.2f}{err:>+9.2f}%"
                     "   (true: users / true e2e)")
    added = (summary.get("overhead") or {}).get("added") or {}
    for name in ("ttft", "itl", "e2e"):
        d = added.get(name) or {}
        if d.get("count"):
            lines.append(f"{'added ' + name:<12}{0.0:>10.2f}{d['p50']:>10.3f}{'':>10}"
                         f"{d['p90']:>10.3f}{d['p99']:>10.3f}   (client - mock's own, ms)")
    return lines


def run_calibration(plan: LoadPlan, *, ttft_ms: float, itl_ms: float, tokens: int,
                    calibration: Path = CALIBRATION_FILE) -> tuple[LoadOutcome, bool]:
    """A stream run against the mock alone; prints measured against true, judges ttft and
    itl against the model (ACCURACY) and the overhead self-check, and writes the floor to
    ``calibration``. Returns the run and whether every check passed."""
    truth = true_values(ttft_ms, itl_ms, tokens, plan.users)
    outcome = run_load(plan)
    for line in calibration_table(truth, outcome.summary):
        say(line)
    failed = []
    for figure, accurate, line in accuracy_checks(truth, outcome.summary):
        say(f"gatecheck: {line}")
        if not accurate:
            failed.append(f"{figure} p50")
    passed, line = self_check(outcome.summary)
    say(f"gatecheck: {line}")
    if not passed:
        failed.append("the overhead self-check")
    record = write_calibration(calibration, outcome.summary) if passed is not None else None
    if record is not None:
        floor = ", ".join(f"{k} {v:.3f} ms" for k, v in record["floor_ms"].items())
        say(f"gatecheck: floor {floor} -> {calibration} (subtracted from later runs' "
            "overhead)")
    if not outcome.ok:
        failed.append("the run itself")
    say(f"gatecheck: calibration on {plan.settings.surface}: "
        + (f"FAILED ({', '.join(failed)})" if failed else "passed"))
    return outcome, not failed
