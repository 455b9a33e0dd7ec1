"""`gatecheck report RUN_DIR`: re-render a run's report from its results.jsonl."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gatecheck._exceptions import UsageError

HELP = "re-render a run's report from its results.jsonl"

FORMATS = ("md",)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="a run directory (reports/<run-id> or reports/latest)")
    parser.add_argument("--format", choices=FORMATS, default="md",
                        help="report format (default md)")


def write_report(run_dir: Path) -> tuple[list[dict[str, Any]], Path]:
    """Render RUN_DIR/report.md from RUN_DIR/results.jsonl (redacted once more on the way in)."""
    from gatecheck.report import RunMeta, render_markdown
    from gatecheck.runner._results import read_results, redact_record

    results = run_dir / "results.jsonl"
    if not results.is_file():
        raise UsageError(f"{run_dir}: no results.jsonl (is it a gatecheck run directory?)")
    try:
        records = read_results(results)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # The renderer is pure; redaction happens on its input, field by field, so static
    # titles stay readable while anything a target sent is masked again.
    records = [redact_record(record) for record in records]
    meta = RunMeta.from_results(records)
    text = render_markdown(records, meta)
    path = run_dir / "report.md"
    path.write_text(text, encoding="utf-8")
    return records, path


def run(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run directory")
    records, path = write_report(run_dir)
    print(f"gatecheck: {path} ({len(records)} checks)")
    return 0
