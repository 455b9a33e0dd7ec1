"""`gatecheck interop`: the real gateways next to the reference, and their compatibility matrix."""

from __future__ import annotations

import argparse
from pathlib import Path

from gatecheck.compat import INTEROP_TARGETS, run_interop


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", default=",".join(INTEROP_TARGETS), metavar="LIST",
                        help="comma-separated targets (default: reference,litellm,portkey)")
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="where run directories and interop/ go (default: reports)")
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only checks whose test names match EXPR (pytest -k)")


def run(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    return run_interop(names, out=Path(args.out), keyword=args.keyword)
