"""`gatecheck run`: the conformance suites against targets, written to reports/<run-id>/."""

from __future__ import annotations

import argparse

from gatecheck.options import CHECK_BUDGET, MAX_TIME, PROFILE, add_target_options
from gatecheck.pytest.runner import RunPlan, run_conformance

EPILOG = """exit status: 0 every MUST check passed; 1 a MUST check failed or a known deviation
no longer reproduces; 2 bad input; 3 inconclusive (no check ran to a verdict, or a quarter
or more of them could not be judged: an unreachable target, a missing secret, the run's
deadline)"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_options(parser.add_argument)
    for option in (PROFILE, MAX_TIME, CHECK_BUDGET):
        option.add_to(parser.add_argument)
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="where run directories go (default: reports)")
    parser.add_argument(
        "--workers", default=None, metavar="N",
        help="pytest-xdist workers, 0 for none, or 'auto' (default: 0 on 2 cores or fewer, "
             "else 2) [env: GATECHECK_WORKERS]",
    )
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only checks whose test names match EXPR (pytest -k)")
    parser.add_argument("--check", dest="checks", action="append", default=[], metavar="ID",
                        help="only the checks with this id, e.g. AUTH-3 (repeatable; "
                             "`gatecheck checks` lists them)")
    parser.add_argument("--suites", default=None, metavar="DIR",
                        help="the suites directory (default: ./suites, else the checkout's)")
    parser.epilog = EPILOG


def run(args: argparse.Namespace) -> int:
    # Imported here: it starts servers and pytest; `gatecheck --help` must not pay for it.

    plan = RunPlan.from_options(
        target=args.gatecheck_target, targets_file=args.gatecheck_targets_file,
        base_url=args.gatecheck_base_url, profile=args.gatecheck_profile, out=args.out,
        workers=args.workers, keyword=args.keyword, suites=args.suites, checks=args.checks,
        max_time=args.gatecheck_max_time, check_budget=args.gatecheck_check_budget)
    return run_conformance(plan).status
