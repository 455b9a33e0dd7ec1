"""`gatecheck run`: run the conformance suites against targets and write reports/<run-id>/.

The run is a visible list of small steps: select targets -> locate suites -> pytest (the
plugin starts embedded targets, xdist spreads the checks) -> redact what pytest wrote ->
render report.md from results.jsonl -> point reports/latest at the run -> exit status.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from gatecheck._exceptions import HarnessError, UsageError

HELP = "run the conformance suites against targets (default: the embedded reference)"

PROFILE_ENV = "GATECHECK_PROFILE"
WORKERS_ENV = "GATECHECK_WORKERS"
# Measured (benchmarks/README.md, "gatecheck run"): on 2 cores xdist's worker start-up
# (each imports pytest, the SDKs, Hypothesis) costs more than it saves, and the embedded
# servers already take a core; with more cores two workers spread the checks.
SMALL_MACHINE_CORES = 2
RUN_INI = Path(__file__).with_name("run.ini")  # the suites' pytest config (see the file)
RUN_TIMEOUT_S = 1800  # the whole pytest run; each check has its own client timeouts


def configure(parser: argparse.ArgumentParser) -> None:
    from gatecheck.targets._options import add_target_options

    add_target_options(parser.add_argument)
    parser.add_argument(
        "--profile", choices=("sdk-compat", "strict"), default=None,
        help=f"validation profile (default sdk-compat) [env: {PROFILE_ENV}]",
    )
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="where run directories go (default: reports)")
    parser.add_argument(
        "--workers", default=None, metavar="N",
        help=f"pytest-xdist workers, 0 for none, or 'auto' (default: 0 on "
             f"{SMALL_MACHINE_CORES} cores or fewer, else 2) [env: {WORKERS_ENV}]",
    )
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only checks whose test names match EXPR (pytest -k)")
    parser.add_argument("--suites", default=None, metavar="DIR",
                        help="the suites directory (default: ./suites, else the checkout's)")


def locate_suites(explicit: str | None, cwd: Path | None = None) -> Path:
    """The suites directory: --suites, ./suites, else the one beside this checkout's src/."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise UsageError(f"--suites {explicit}: no such directory")
        return path
    candidates = [(cwd or Path.cwd()) / "suites", Path(__file__).resolve().parents[3] / "suites"]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("test_*.py")):
            return candidate
    raise UsageError("no suites found (looked in ./suites and the gatecheck checkout); "
                     "run from the repository or pass --suites DIR")


def default_workers(cores: int | None = None) -> str:
    """0 (no xdist) on small machines, where it was measured faster; else 2."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return "0" if cores <= SMALL_MACHINE_CORES else "2"


def _workers(value: str | None) -> str:
    raw = value or os.environ.get(WORKERS_ENV) or default_workers()
    if raw != "auto" and not (raw.isdigit() and int(raw) <= 64):
        raise UsageError(f"--workers {raw!r}: expected a number from 0 to 64 or 'auto'")
    return raw


def pytest_args(args: argparse.Namespace, names: list[str], run_dir: Path, run_id: str,
                suites: Path) -> list[str]:
    """The pytest command line for this run (also shown to the user to reproduce it)."""
    argv = [str(suites), "-c", str(RUN_INI), "--rootdir", str(suites.resolve().parent),
            "-q", "--tb=short", "--no-header",
            "--run-id", run_id, "--profile", args.profile or os.environ.get(PROFILE_ENV)
            or "sdk-compat", "--results", str(run_dir / "results.jsonl"),
            "--junitxml", str(run_dir / "junit.xml"),
            "--alluredir", str(run_dir / "allure-results")]
    for name in names:
        argv += ["--target", name]
    if args.gatecheck_targets_file:
        argv += ["--targets-file", args.gatecheck_targets_file]
    for pair in args.gatecheck_base_url or ():
        argv += ["--base-url", pair]
    workers = _workers(args.workers)
    if workers != "0":
        argv += ["-n", workers]
    if args.keyword:
        argv += ["-k", args.keyword]
    return argv


def run(args: argparse.Namespace) -> int:
    from gatecheck.runner._state import default_run_id, start_embedded_targets
    from gatecheck.targets import load_targets
    from gatecheck.targets._options import parse_base_urls, resolve_target_names

    # 1. select: unknown names and bad files fail here, before anything starts
    names = resolve_target_names(args.gatecheck_target, os.environ)
    registry = load_targets(args.gatecheck_targets_file)
    registry = registry.with_base_urls(parse_base_urls(args.gatecheck_base_url))
    targets = registry.select(names)
    selected = [t.name for t in targets]
    suites = locate_suites(args.suites)
    _workers(args.workers)
    # 2. where the run goes
    out = Path(args.out)
    run_id, run_dir = new_run_dir(out, default_run_id(selected))
    # 3. embedded targets start here, in this process, so the servers and the checks (a
    # child pytest) run on different cores; the child finds them through the environment
    argv = pytest_args(args, selected, run_dir, run_id, suites)
    with ExitStack() as servers:
        env = start_embedded_targets(targets, servers)
        # 4. pytest: the plugin runs the checks and writes results.jsonl
        code = _pytest(argv, {**os.environ, **env})
    # 5. the plugin redacted junit.xml and allure-results; again here, with this process's
    # secrets, in case pytest never reached its unconfigure step
    redact_tree(run_dir)
    # 6. the report, from results.jsonl only
    results_path = run_dir / "results.jsonl"
    if not results_path.is_file():
        raise HarnessError(f"pytest exited {code} without writing {results_path}")
    from gatecheck.report.command import write_report

    records, report_path = write_report(run_dir)
    latest = point_latest(out, run_dir)
    # 7. verdict
    return _summarize(records, code, report_path, latest)


def new_run_dir(out: Path, run_id: str) -> tuple[str, Path]:
    """Create out/<run-id>, suffixed -2, -3, ... when a run in the same second has it."""
    out.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 100):
        candidate = run_id if attempt == 1 else f"{run_id}-{attempt}"
        try:
            (out / candidate).mkdir()
        except FileExistsError:
            continue
        return candidate, out / candidate
    raise HarnessError(f"{out}: too many runs named {run_id}")


def _pytest(argv: list[str], env: dict[str, str]) -> int:
    # A child process: pytest must import (and assert-rewrite) the suites and this package
    # itself, and a run leaves nothing behind in the caller (servers, env, modules).
    import subprocess

    print("gatecheck: pytest " + " ".join(argv), flush=True)
    try:
        return subprocess.run([sys.executable, "-m", "pytest", *argv], check=False, env=env,
                              timeout=RUN_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        raise HarnessError(f"the suites ran longer than {RUN_TIMEOUT_S} s; stopped") from None


def redact_tree(root: Path, *, skip: tuple[str, ...] = ("results.jsonl",)) -> None:
    """Run the redactor over every text file under ``root`` (or ``root`` itself, a file)."""
    from gatecheck._redact import default_redactor
    from gatecheck.runner._results import redact_text

    redactor = default_redactor()
    paths = [root] if root.is_file() else sorted(root.rglob("*"))
    for path in paths:
        if not path.is_file() or path.name in skip:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary attachments: gatecheck attaches none
        clean = _redact_allure_json(text, redactor) if path.name.endswith(
            ("-result.json", "-container.json")) else redact_text(text, redactor)
        if clean != text:
            path.write_text(clean, encoding="utf-8")


# Allure identifies a test across runs by these hashes of its name (hex, never a secret);
# masked as "long hex tokens" they would merge every test into one in Allure's history.
_ALLURE_IDS = frozenset({"historyId", "testCaseId"})


def _redact_allure_json(text: str, redactor: Any) -> str:
    import json

    try:
        data = json.loads(text)
    except ValueError:
        from gatecheck.runner._results import redact_text

        return redact_text(text, redactor)
    if not isinstance(data, dict):
        return json.dumps(redactor.obj(data))
    clean = {key: value if key in _ALLURE_IDS and isinstance(value, str)
             else redactor.obj(value) for key, value in data.items()}
    return text if clean == data else json.dumps(clean)


def point_latest(out: Path, run_dir: Path) -> Path:
    """Point out/latest at run_dir: a relative symlink, else a copy plus latest.txt."""
    latest = out / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        latest.symlink_to(run_dir.name, target_is_directory=True)
    except OSError:
        shutil.copytree(run_dir, latest)
    (out / "latest.txt").write_text(run_dir.name + "\n", encoding="utf-8")
    return latest


def _summarize(records: list[dict[str, Any]], code: int, report: Path, latest: Path) -> int:
    from gatecheck.report._model import is_stale_deviation, overall_status, tally

    total = tally(records)
    must = total.failed_levels.get("MUST", 0)
    # A fixed deviation fails the run at any level (SHOULD and MAY too): otherwise a profile
    # could keep excusing a check that passes, and hide the day it breaks again.
    stale = sorted({f"{r.get('target')}:{r.get('check_id')}" for r in records
                    if is_stale_deviation(r)})
    print(f"gatecheck: {total.total} checks: {total.passed} passed, {total.failed} failed "
          f"({must} MUST), {total.warned} warned, {total.skipped} skipped, "
          f"{total.xfailed} known deviations")
    print(f"gatecheck: overall {overall_status(total)}")
    if stale:
        print(f"gatecheck: {len(stale)} known deviations no longer reproduce "
              f"({', '.join(stale)}): remove them from targets.toml; the run fails until then")
    if records and not total.judged:
        reasons = sorted({str(r.get("message")) for r in records if r.get("outcome") == "skipped"})
        print(f"gatecheck: no check ran to a verdict: {'; '.join(reasons[:3])}")
    print(f"gatecheck: report {report} (also {latest / report.name})")
    if code in (3, 4):  # pytest internal or usage error: the run itself did not happen
        print(f"gatecheck: error: pytest exited {code}", file=sys.stderr)
        return 2 if code == 4 else 1
    if code == 2:  # interrupted, or a suite failed to import: some checks never ran
        print("gatecheck: error: the run was interrupted or a suite failed to collect",
              file=sys.stderr)
        return 1
    return 1 if must or stale else 0
