"""`gatecheck interop`: the real gateways next to the reference, and their compatibility matrix."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gatecheck.compat import INTEROP_TARGETS, run_interop
from gatecheck.load import PerfConfig

NO_PERF_ENV = "GATECHECK_INTEROP_NO_PERF"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", default=",".join(INTEROP_TARGETS), metavar="LIST",
                        help="comma-separated targets (default: reference,litellm,portkey)")
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="where run directories and interop/ go (default: reports)")
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only checks whose test names match EXPR (pytest -k)")
    parser.add_argument("--no-perf", action="store_true",
                        help="skip the performance step after each run (added ttft at 1 and "
                             f"{PerfConfig().streams} streams, capacity at the default SLO, "
                             "requests/s; about a minute per gateway) "
                             f"[env: {NO_PERF_ENV}=1]")


def run(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    skip = args.no_perf or os.environ.get(NO_PERF_ENV, "").strip() not in ("", "0")
    return run_interop(names, out=Path(args.out), keyword=args.keyword,
                       perf=None if skip else PerfConfig())
