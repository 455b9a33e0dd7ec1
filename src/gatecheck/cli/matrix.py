"""`gatecheck matrix`: probe every provider model of the named targets, keep it, render it.

The run is a visible list of steps: select targets (none named: the offline demo) -> start
embedded ones -> probe each model plainly and streamed -> store the run in the SQLite
history -> render matrix.html / matrix.md / matrix.json from the history -> exit status.
Providers being down is the matrix's news, not an error: exit 0 unless ``--fail-under``
says otherwise (exit 1); harness failures exit 1, bad input 2.
"""

from __future__ import annotations

import argparse
import os
from contextlib import ExitStack
from pathlib import Path

from gatecheck import UsageError
from gatecheck.matrix import (
    History,
    MatrixRow,
    ProbePlan,
    ProbeSettings,
    plan_probes,
    run_probes,
    summary_line,
    write_outputs,
)
from gatecheck.matrix.demo import DEMO_TARGET, start_demo
from gatecheck.options import add_target_options

# The demo's mock answers with a fixed greeting, as report 004's providers did.
DEMO_PROMPT = ('Reply with one short friendly greeting. '
               '[[mock text="Hello from the gatecheck mock!"]]')


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser.add_argument)
    parser.epilog = ("With no --target and no $GATECHECK_TARGET: the offline demo, report "
                     "004's providers served by the mock behind the embedded reference proxy "
                     "(no network, no keys). Exit 0 when the matrix was produced, even with "
                     "providers down; 1 under --fail-under or on a harness error; 2 on bad "
                     "input.")
    parser.add_argument("--db", default=str(Path("reports") / "history.sqlite"), metavar="FILE",
                        help="the SQLite history (default: reports/history.sqlite)")
    parser.add_argument("--out", default=str(Path("reports") / "matrix"), metavar="DIR",
                        help="where matrix.html, matrix.md and matrix.json go "
                             "(default: reports/matrix)")
    parser.add_argument("--fail-under", type=str, default=None, metavar="PCT",
                        help="exit 1 when fewer than PCT %% of the models are available now")
    parser.add_argument("--label", default=None, metavar="TEXT",
                        help="a label stored with the run (e.g. nightly)")


def _percent(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.rstrip("%"))
    except ValueError:
        raise UsageError(f"--fail-under {value!r}: expected a percentage from 0 to 100") from None
    if not 0.0 <= number <= 100.0:
        raise UsageError(f"--fail-under {value!r}: expected a percentage from 0 to 100")
    return number


def run(args: argparse.Namespace) -> int:
    fail_under = _percent(args.fail_under)
    history = History(args.db)
    history.schema_version  # noqa: B018 - opens (and migrates) the file before any probe
    demo = not args.gatecheck_target and not os.environ.get("GATECHECK_TARGET", "").strip()
    with ExitStack() as stack:
        if demo:
            print("gatecheck: matrix: no --target: the offline demo (report 004's providers, "
                  "mock-backed, behind the embedded reference proxy)")
            started = stack.enter_context(start_demo())
            plans = [ProbePlan(DEMO_TARGET, started.root_url, started.auth, started.entries)]
            settings = ProbeSettings(prompt=DEMO_PROMPT)
        else:
            plans = plan_probes(args.gatecheck_target, args.gatecheck_targets_file,
                                args.gatecheck_base_url, stack)
            settings = ProbeSettings()
        results = run_probes(plans, settings)
    run_id = history.record(results, label=args.label or ("demo" if demo else None))
    rows = history.matrix(list(dict.fromkeys(plan.target for plan in plans)))
    written = write_outputs(Path(args.out), rows, history)
    _print(rows, written, history.path, run_id)
    if fail_under is not None:
        up = sum(1 for r in rows if r.status == "up")
        now = 100.0 * up / len(rows) if rows else 0.0
        if now < fail_under:
            print(f"gatecheck: matrix: {now:.1f}% available now, under --fail-under "
                  f"{fail_under:g}%")
            return 1
    return 0


def _print(rows: list[MatrixRow], page: Path, db: Path, run_id: int) -> None:
    width = max((len(r.model) for r in rows), default=10)
    for r in rows:
        latency = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
        print(f"  {r.status:<8} {r.provider:<12} {r.model:<{width}} {latency:>9}  "
              f"last 7: {r.last7!s:<12} {r.problem}")
    print(f"gatecheck: matrix: {summary_line(rows)}")
    print(f"gatecheck: matrix: {page} (history {db}, run {run_id})")
