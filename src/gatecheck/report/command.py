"""`gatecheck report RUN_DIR [RUN_DIR_B]`: re-render a run's reports, or compare two runs."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatecheck._exceptions import UsageError

if TYPE_CHECKING:
    from gatecheck.report._load import LoadRun
    from gatecheck.report._model import RunMeta

HELP = "re-render a run's reports (Markdown, HTML) from its results, or compare two runs"

FORMATS = ("md", "html")
DEFAULT_FORMATS = ("md", "html")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="a run directory (reports/<run-id> or reports/latest)")
    parser.add_argument("other", metavar="RUN_DIR_B", nargs="?", default=None,
                        help="a second run: compare RUN_DIR (before) with it (after) and "
                             "write comparison.md/.html into RUN_DIR_B (or --out)")
    parser.add_argument("--format", default=",".join(DEFAULT_FORMATS), metavar="LIST",
                        help="comma-separated report formats: md, html (default md,html)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="write the reports here instead of the run directory")
    parser.add_argument("--allure", action="store_true",
                        help="build the Allure HTML report from RUN_DIR/allure-results "
                             "(Allure from the npm registry; needs Java or Node.js 18+)")


def parse_formats(value: str) -> tuple[str, ...]:
    """'md,html' -> ('md', 'html'); unknown names are a usage error."""
    names = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise UsageError(f"--format {value!r}: expected a comma-separated list of "
                         f"{', '.join(FORMATS)}")
    return names


def load_run(run_dir: Path) -> tuple[list[dict[str, Any]], RunMeta, LoadRun | None]:
    """A run's records, meta and load run, all redacted once more on the way in."""
    from gatecheck._redact import default_redactor
    from gatecheck.report import RunMeta
    from gatecheck.report._load import find_load, read_load
    from gatecheck.runner._results import read_results, redact_record

    results = run_dir / "results.jsonl"
    load_dir = find_load(run_dir)
    if not results.is_file() and load_dir is None:
        raise UsageError(f"{run_dir}: no results.jsonl or load/summary.json "
                         "(is it a gatecheck run directory?)")
    records: list[dict[str, Any]] = []
    load = None
    try:
        if results.is_file():
            records = read_results(results)
        if load_dir is not None:
            load = read_load(load_dir, default_redactor())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # The renderers are pure; redaction happens on their input, field by field, so static
    # titles stay readable while anything a target sent is masked again.
    records = [redact_record(record) for record in records]
    if records:
        meta = RunMeta.from_results(records)
    else:
        meta = _load_meta(run_dir, load)
    return records, meta, load


def _load_meta(run_dir: Path, load: LoadRun | None) -> RunMeta:
    from gatecheck.report import RunMeta

    run = load.run if load is not None else {}
    run_id = (run_dir.resolve().parent if run_dir.name == "load" else run_dir.resolve()).name
    name = str(run.get("label") or (run_id.split("-", 1)[1] if "-" in run_id else "target"))
    window = ((load.summary.get("throughput") or {}).get("window_s")
              if load is not None else None)
    return RunMeta(run_id=run_id, started_at=run.get("started"),
                   duration_s=float(window) if isinstance(window, int | float) else None,
                   targets=((name, run.get("host")),), profile=None)


def write_report(run_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS,
                 out: Path | None = None) -> tuple[list[dict[str, Any]], Path]:
    """Render RUN_DIR's reports (report.md, report.html) from results.jsonl and the load run.

    Returns the records and the path of the first report written.
    """
    from gatecheck.report import render_markdown
    from gatecheck.report._perf_md import render_load_markdown, render_load_report
    from gatecheck.report.html import render_html

    records, meta, load = load_run(run_dir)
    target = out or (run_dir.parent if run_dir.name == "load" and load is not None
                     and not (run_dir / "results.jsonl").is_file() else run_dir)
    target.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in formats:
        if name == "md":
            if records:
                text = render_markdown(records, meta)
                if load is not None:
                    text = text.rstrip("\n") + "\n\n" + render_load_markdown(load)
            else:
                text = render_load_report(load, meta) if load is not None else ""
        else:
            text = render_html(records, meta, load)
        path = target / f"report.{name}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return records, paths[0]


def write_comparison(before_dir: Path, after_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS,
                     out: Path | None = None) -> list[Path]:
    """Write comparison.md/.html for two runs into ``out`` (default: the second run)."""
    from gatecheck.report.compare import (
        compare,
        render_comparison_html,
        render_comparison_markdown,
    )

    a_records, a_meta, a_load = load_run(before_dir)
    b_records, b_meta, b_load = load_run(after_dir)
    result = compare(a_records, b_records, a_meta, b_meta, a_load, b_load)
    target = out or after_dir
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in formats:
        render = render_comparison_markdown if name == "md" else render_comparison_html
        path = target / f"comparison.{name}"
        path.write_text(render(result), encoding="utf-8")
        paths.append(path)
    return paths


def run(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    out = Path(args.out) if args.out else None
    run_dir = Path(args.run_dir)
    for path in (run_dir, *([Path(args.other)] if args.other else [])):
        if not path.is_dir():
            raise UsageError(f"{path}: no such run directory")
    if args.allure:
        from gatecheck.report.allure import build_allure

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
