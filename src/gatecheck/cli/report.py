"""`gatecheck report RUN_DIR [RUN_DIR_B]`: re-render a run's reports, or compare two runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from gatecheck import UsageError
from gatecheck.report import build_allure, parse_formats, write_comparison, write_report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="a run directory (reports/<run-id> or reports/latest)")
    parser.add_argument("other", metavar="RUN_DIR_B", nargs="?", default=None,
                        help="a second run: compare RUN_DIR (before) with it (after) and "
                             "write comparison.md/.html into RUN_DIR_B (or --out)")
    parser.add_argument("--format", default="md,html", metavar="LIST",
                        help="comma-separated report formats: md, html (default md,html)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="write the reports here instead of the run directory")
    parser.add_argument("--allure", action="store_true",
                        help="build the Allure HTML report from RUN_DIR/allure-results "
                             "(Allure from the npm registry; needs Java or Node.js 18+)")


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    out = Path(args.out) if args.out else None
    run_dir = Path(args.run_dir)
    for path in (run_dir, *([Path(args.other)] if args.other else [])):
        if not path.is_dir():
            raise UsageError(f"{path}: no such run directory")
    if args.allure:
        if args.other:
            raise UsageError("--allure takes one RUN_DIR")
        print(f"gatecheck: {build_allure(run_dir, out)}")
        return 0
    if args.other:
        for path in write_comparison(run_dir, Path(args.other), formats, out):
            print(f"gatecheck: {path}")
        return 0
    records, path = write_report(run_dir, formats, out)
    print(f"gatecheck: {path} ({len(records)} checks)")
    for extra in formats[1:]:
        print(f"gatecheck: {path.with_suffix('.' + extra)}")
    return 0
