"""`gatecheck load`: a Locust run against one target, written to reports/<run-id>/load/.

A thin layer over ``gatecheck.load``: the plan (every input checked before anything starts)
-> ``run_load`` (target, Locust, redaction, the headline lines) -> report.md/html -> point
reports/latest at the run. The shared options (surface, model, rate, ...) come from the one
option table in ``gatecheck.load``, which Locust's ``--gatecheck-*`` arguments also use.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gatecheck.artefacts import point_latest
from gatecheck.console import say
from gatecheck.load import SCENARIOS, LoadPlan, add_load_options, run_load
from gatecheck.options import add_target_options
from gatecheck.report import write_report


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser.add_argument)
    add = parser.add_argument
    add("--scenario", default="stream", choices=SCENARIOS,
        help="chat (non-stream), stream, ramp (user steps), rate (open loop) or capacity "
             "(the most users that meet --slo); default stream")
    add("--users", type=int, default=None, metavar="N",
        help="users (closed loop), top users (ramp), the in-flight cap (rate) or the most "
             "users tried (capacity, default 256); default 10")
    add("--spawn-rate", type=float, default=None, metavar="R",
        help="users started per second (default: all at once)")
    add("--duration", default=None, metavar="D",
        help="run time, e.g. 30s, 2m (default 60s; capacity: the time cap, default 5m; "
             "with --web: the test starts at once and stops then)")
    add("--processes", default=None, metavar="N",
        help="Locust worker processes on this machine (-1: one per core)")
    add("--web", action="store_true",
        help="serve Locust's web UI on 127.0.0.1 (without --duration the test is started "
             "and stopped there by hand)")
    add("--web-port", type=int, default=8089, help="web UI port (default 8089)")
    add("--out", default="reports", metavar="DIR", help="where run directories go")
    add_load_options(add)


def run(args: argparse.Namespace) -> int:
    plan = LoadPlan.from_options(vars(args), os.environ)
    outcome = run_load(plan)
    _, report = write_report(outcome.run_dir.parent)
    latest = point_latest(Path(args.out), outcome.run_dir.parent)
    say(f"gatecheck: {report} (and report.html; also {latest / report.name})")
    return 0 if outcome.ok else 1
