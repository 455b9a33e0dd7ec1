"""A conformance run as ``gatecheck run`` does it: the suites in a child pytest, then reports.

The run is a visible list of small steps: select targets -> locate suites -> a run directory
-> start embedded targets -> pytest with this plugin (xdist spreads the checks), its output
redacted line by line -> redact what pytest wrote -> report.md/html from results.jsonl ->
point reports/latest at the run -> the verdict and its exit status.

Time: the run has a deadline (``--max-time``), counted from the start of ``gatecheck run``;
the child pytest gets what is left of it when it starts, and its plugin makes the checks it
cannot start in time inconclusive, so it ends by itself soon after. Should it not (a check
stuck where no signal reaches it), the child is stopped a grace period later and the report
is written from the results it left.

Exit statuses a CI can trust::

    0  every MUST check passed
    1  a MUST check failed, or a known deviation no longer reproduces
    2  bad input (a flag, targets.toml)           (raised as UsageError/ConfigError)
    3  inconclusive: no check ran to a verdict, or too many could not be judged
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

from gatecheck import HarnessError, UsageError, default_redactor
from gatecheck.artefacts import default_run_id, new_run_dir, point_latest, redact_tree
from gatecheck.config import did_you_mean
from gatecheck.console import say
from gatecheck.embedded import start_targets
from gatecheck.findings import Finding, derive_findings, write_findings
from gatecheck.options import (
    CHECK_BUDGET,
    DEFAULT_CHECK_BUDGET_S,
    DEFAULT_MAX_TIME_S,
    MAX_TIME,
    parse_base_urls,
    resolve_profile,
    resolve_seconds,
    resolve_target_names,
)
from gatecheck.pytest._child import GRACE_S, keep_whole_lines, run_pytest
from gatecheck.pytest.catalogue import load_catalogue, validate_registry
from gatecheck.report import (
    Tally,
    is_inconclusive,
    is_stale_deviation,
    overall_status,
    tally,
    write_report,
)
from gatecheck.results import read_results
from gatecheck.targets import TargetConfig, discover, load_targets, shipped_targets

__all__ = [
    "EXIT_FAILED",
    "EXIT_INCONCLUSIVE",
    "EXIT_OK",
    "EXIT_USAGE",
    "RunOutcome",
    "RunPlan",
    "default_workers",
    "exit_status",
    "locate_suites",
    "run_conformance",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
PLUGIN = "gatecheck.pytest.plugin"
WORKERS_ENV = "GATECHECK_WORKERS"
# Measured (benchmarks/README.md, "gatecheck run"): on 2 cores xdist's worker start-up
# (each imports pytest, the SDKs, Hypothesis) costs more than it saves, and the embedded
# servers already take a core; with more cores two workers spread the checks.
SMALL_MACHINE_CORES = 2
# The suites shipped with gatecheck: the checkout's suites/, linked into the package.
SHIPPED_SUITES = Path(str(resources.files("gatecheck.pytest").joinpath("suites")))


@dataclass(frozen=True, slots=True)
class RunPlan:
    """Everything a conformance run needs, checked before anything starts."""

    targets: tuple[TargetConfig, ...]
    suites: Path
    out: Path
    profile: str
    workers: str
    keyword: str | None = None
    checks: tuple[str, ...] = ()  # only these check ids (--check)
    targets_file: str | None = None
    base_urls: tuple[str, ...] = ()
    max_time: float | None = DEFAULT_MAX_TIME_S  # the run's deadline, None: none
    check_budget: float | None = DEFAULT_CHECK_BUDGET_S  # each check's, None: none

    @classmethod
    def from_options(
        cls, *, target: Sequence[str] | None, targets_file: str | None,
        base_url: Sequence[str] | None, profile: str | None, out: str, workers: str | None,
        keyword: str | None, suites: str | None, checks: Sequence[str] = (),
        max_time: str | None = None, check_budget: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> RunPlan:
        """Select and check: unknown names, bad files and bad flags fail here."""
        names = resolve_target_names(target, environ)
        found = discover(targets_file)
        registry = load_targets(found).with_base_urls(parse_base_urls(base_url))
        located = locate_suites(suites)
        selected = tuple(registry.select(names))
        wanted = tuple(dict.fromkeys(c.strip().upper() for c in checks if c.strip()))
        # The catalogue imports every suite (and the SDKs with them: ~5 s and ~70 MB in this
        # process, which only waits for the child pytest): read only when there is something
        # to check against it before anything starts.
        if wanted or any(t.deviations for t in selected):
            catalogue = load_catalogue(located)
            # the deviations of the targets that run must name checks of the suites that run
            validate_registry(registry, catalogue, only={t.name for t in selected})
            known = sorted({entry.id for entry in catalogue})
            for check_id in wanted:
                if check_id not in known:
                    raise UsageError(f"--check {check_id}: no such check"
                                     f"{did_you_mean(check_id, known)} (see `gatecheck checks`)")
        for chosen in selected:  # register their secrets with the redactor before any output
            chosen.secret(environ)
            chosen.admin_secret(environ)
        return cls(targets=selected, suites=located,
                   out=Path(out), profile=resolve_profile(profile, environ),
                   workers=_workers(workers, environ), keyword=keyword, checks=wanted,
                   targets_file=_targets_file(targets_file, found),
                   base_urls=tuple(base_url or ()),
                   max_time=resolve_seconds(MAX_TIME, max_time, environ, DEFAULT_MAX_TIME_S),
                   check_budget=resolve_seconds(CHECK_BUDGET, check_budget, environ,
                                                DEFAULT_CHECK_BUDGET_S))

    def command(self) -> list[str]:
        """The ``gatecheck run`` command line that makes this run again."""
        argv = ["gatecheck", "run"]
        for target in self.targets:
            argv += ["--target", target.name]
        if self.targets_file:
            argv += ["--targets-file", self.targets_file]
        for pair in self.base_urls:
            argv += ["--base-url", pair]
        argv += ["--profile", self.profile]
        for check_id in self.checks:
            argv += ["--check", check_id]
        if self.keyword:
            argv += ["-k", self.keyword]
        if self.max_time != DEFAULT_MAX_TIME_S:
            argv += [MAX_TIME.flag, _seconds(self.max_time)]
        if self.check_budget != DEFAULT_CHECK_BUDGET_S:
            argv += [CHECK_BUDGET.flag, _seconds(self.check_budget)]
        if self.suites.resolve() != SHIPPED_SUITES.resolve():
            argv += ["--suites", str(self.suites.absolute())]
        return argv

    def pytest_args(self, run_dir: Path, run_id: str) -> list[str]:
        """The pytest command line for this run (also shown to the user to reproduce it)."""
        ini = self.suites / "pytest.ini"
        argv = [str(self.suites), "-p", PLUGIN, "-p", "no:cacheprovider",
                "-c", str(ini) if ini.is_file() else os.devnull,
                "--rootdir", str(self.suites.resolve().parent), "-q", "--tb=short",
                "--no-header", "--gatecheck-run-id", run_id, "--gatecheck-profile",
                self.profile, "--gatecheck-results", str(run_dir / "results.jsonl"),
                "--junitxml", str(run_dir / "junit.xml"),
                "--alluredir", str(run_dir / "allure-results")]
        for target in self.targets:
            argv += ["--gatecheck-target", target.name]
        if self.targets_file:
            argv += ["--gatecheck-targets-file", self.targets_file]
        for pair in self.base_urls:
            argv += ["--gatecheck-base-url", pair]
        if self.workers != "0":
            argv += ["-n", self.workers]
        if self.keyword:
            argv += ["-k", self.keyword]
        for check_id in self.checks:
            argv += ["--gatecheck-check", check_id]
        argv += [MAX_TIME.namespaced_flag, _seconds(self.max_time),
                 CHECK_BUDGET.namespaced_flag, _seconds(self.check_budget)]
        return argv


def _targets_file(given: str | None, found: Path) -> str | None:
    """The targets file a rerun must read: the one this run read, as an absolute path, so
    the reproduce command pasted in another directory (or in a shell without
    $GATECHECK_TARGETS_FILE) checks the same gateways. None for the file shipped with
    gatecheck, found without being named: every install reads that one by default."""
    if given is None and found.resolve() == shipped_targets().resolve():
        return None
    return str(found.absolute())


def _seconds(value: float | None) -> str:
    """Seconds as an option value: 0 for none, else at least a millisecond."""
    return "0" if value is None else f"{max(value, 0.001):.3f}".rstrip("0").rstrip(".")


def locate_suites(explicit: str | None, cwd: Path | None = None) -> Path:
    """The suites directory: --suites, ./suites, else the ones shipped with gatecheck."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise UsageError(f"--suites {explicit}: no such directory")
        return path
    for candidate in ((cwd or Path.cwd()) / "suites", SHIPPED_SUITES):
        if candidate.is_dir() and any(candidate.glob("test_*.py")):
            return candidate
    raise UsageError("no suites found (looked in ./suites and the ones shipped with "
                     "gatecheck); pass --suites DIR")


def default_workers(cores: int | None = None) -> str:
    """0 (no xdist) on small machines, where it was measured faster; else 2."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return "0" if cores <= SMALL_MACHINE_CORES else "2"


def _workers(value: str | None, environ: Mapping[str, str]) -> str:
    raw = value or environ.get(WORKERS_ENV) or default_workers()
    if raw != "auto" and not (raw.isdigit() and int(raw) <= 64):
        raise UsageError(f"--workers {raw!r}: expected a number from 0 to 64 or 'auto'")
    return raw


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a conformance run left: its exit status and where it wrote."""

    status: int
    run_dir: Path


def run_conformance(plan: RunPlan) -> RunOutcome:
    """Run the suites, write the reports, print the verdict."""
    started = time.monotonic()
    run_id, run_dir = new_run_dir(plan.out, default_run_id([t.name for t in plan.targets]))
    redact = default_redactor().text  # a base URL may carry user:password@
    # Embedded targets start here, in this process, so the servers and the checks (a child
    # pytest) run on different cores; the child finds them through the environment.
    with ExitStack() as servers:
        env = start_targets(plan.targets, servers)
        left = None if plan.max_time is None else plan.max_time - (time.monotonic() - started)
        argv = plan.pytest_args(run_dir, run_id)
        (run_dir / "run.json").write_bytes(orjson.dumps(
            {"command": [redact(a) for a in plan.command()],
             "pytest": [redact(a) for a in argv]}, option=orjson.OPT_INDENT_2) + b"\n")
        # The clock started here, before the servers: the suites keep to this deadline, not
        # to a fresh --max-time (kept out of run.json, where it would be past on a rerun).
        if left is not None:
            argv += ["--gatecheck-deadline", f"{time.time() + left:.3f}"]
        code, stopped = run_pytest(argv, {**os.environ, **env},
                                   None if left is None else max(left, 0) + GRACE_S)
    # The plugin redacted junit.xml and allure-results; again here, with this process's
    # secrets, in case pytest never reached its unconfigure step.
    redact_tree(run_dir)
    results_path = run_dir / "results.jsonl"
    if stopped:
        # Stopped from outside: keep every whole record it wrote, and still report them.
        say(f"gatecheck: the suites overran the run's deadline (--max-time "
            f"{plan.max_time:g} s) by {GRACE_S:g} s and were stopped; the report has the "
            f"checks that finished", file=sys.stderr)
        keep_whole_lines(results_path)
    elif not results_path.is_file():
        raise HarnessError(f"pytest exited {code} without writing {results_path}")
    findings = derive_findings(read_results(results_path))
    write_findings(run_dir / "findings.json", findings)
    records, report_path = write_report(run_dir)
    latest = point_latest(plan.out, run_dir)
    status = _summarize(records, findings, code, report_path, latest, stopped=stopped)
    return RunOutcome(status, run_dir)


def exit_status(total: Tally, stale: int) -> int:
    """0, 1 or 3 from a run's outcomes (2, bad input, never reaches this far)."""
    if total.failed_levels.get("MUST") or stale:
        return EXIT_FAILED
    return EXIT_INCONCLUSIVE if is_inconclusive(total) else EXIT_OK


def _summarize(records: list[dict[str, object]], findings: list[Finding], code: int,
               report: Path, latest: Path, *, stopped: bool = False) -> int:
    total = tally(records)
    defects = [f for f in findings if f.severity != "info"]
    witnessed = {(f.target, c) for f in defects for c in f.checks}
    say(f"gatecheck: {len(defects)} defect{'s' * (len(defects) != 1)}"
        + (f", witnessed by {total.failed} failed checks ({len(witnessed)} check ids)"
           if defects else "") + (":" if findings else ""))
    for finding in findings:
        say(f"  [{finding.severity}] {finding.title} ({finding.target}; "
            f"{', '.join(finding.checks)})")
    must = total.failed_levels.get("MUST", 0)
    # A fixed deviation fails the run at any level (SHOULD and MAY too): otherwise a profile
    # could keep excusing a check that passes, and hide the day it breaks again.
    stale = sorted({f"{r.get('target')}:{r.get('check_id')}" for r in records
                    if is_stale_deviation(r)})
    say(f"gatecheck: {total.total} checks: {total.passed} passed, {total.failed} failed "
        f"({must} MUST), {total.warned} warned, {total.skipped} skipped, "
        f"{total.xfailed} known deviations, {total.inconclusive} inconclusive")
    say(f"gatecheck: overall {overall_status(total)}")
    if stale:
        say(f"gatecheck: {len(stale)} known deviations no longer reproduce "
            f"({', '.join(stale)}): remove them from targets.toml; the run fails until then")
    status = exit_status(total, len(stale))
    if status == EXIT_INCONCLUSIVE or total.inconclusive:
        # Why, most frequent first: a failed run says too why the rest was not judged (a
        # target that stopped answering, the deadline).
        reasons = Counter(str(r.get("message")) for r in records
                          if r.get("outcome") == "inconclusive")
        top = reasons.most_common(3)
        shown = "; ".join(f"{why} ({n} checks)" if n > 1 else why for why, n in top) + (
            f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else "")
        say(f"gatecheck: inconclusive: {total.inconclusive} checks could not be judged"
            + (f": {shown}" if shown else ": no check ran"))
    say(f"gatecheck: report {report} (also {latest / report.name})")
    if stopped:  # some checks never ran: never a pass
        return EXIT_FAILED if status == EXIT_FAILED else EXIT_INCONCLUSIVE
    if code in (3, 4):  # pytest internal or usage error: the run itself did not happen
        say(f"gatecheck: error: pytest exited {code}", file=sys.stderr)
        return EXIT_USAGE if code == 4 else EXIT_FAILED
    if code == 2:  # interrupted, or a suite failed to import: some checks never ran
        say("gatecheck: error: the run was interrupted or a suite failed to collect",
            file=sys.stderr)
        return EXIT_FAILED
    return status
