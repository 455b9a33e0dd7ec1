"""Writing a run's reports: read the run directory once, render each format, write the files.

``write_report`` is what ``gatecheck run`` and ``gatecheck load`` call after a run and what
``gatecheck report RUN_DIR`` calls to re-render one; ``write_comparison`` renders two runs
side by side. Renderers are pure functions of what ``load_run`` returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from gatecheck import UsageError, default_redactor
from gatecheck.report._model import RunMeta
from gatecheck.report.compare import (
    compare,
    render_comparison_html,
    render_comparison_markdown,
)
from gatecheck.report.html import render_html
from gatecheck.report.markdown import render_markdown
from gatecheck.report.performance import LoadRun, find_load, read_load
from gatecheck.results import read_results

__all__ = ["DEFAULT_FORMATS", "FORMATS", "load_run", "parse_formats", "write_comparison",
           "write_report"]

FORMATS = ("md", "html")
DEFAULT_FORMATS = ("md", "html")


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
    results = run_dir / "results.jsonl"
    load_dir = find_load(run_dir)
    if not results.is_file() and load_dir is None:
        raise UsageError(f"{run_dir}: no results.jsonl or load/summary.json "
                         "(is it a gatecheck run directory?)")
    records: list[dict[str, Any]] = []
    load = None
    try:
        if results.is_file():
            records = [result.to_json() for result in read_results(results)]
        if load_dir is not None:
            load = read_load(load_dir, default_redactor())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    meta = RunMeta.from_results(records) if records else _load_meta(run_dir, load)
    command = _command(run_dir / "run.json")
    if not command:
        return records, meta, load
    if meta.profile is None and "--profile" in command[:-1]:  # no record names it
        meta = dataclasses.replace(meta, profile=command[command.index("--profile") + 1])
    return records, dataclasses.replace(meta, command=command), load


def _command(path: Path) -> tuple[str, ...]:
    """The command line run.json recorded (redacted again: a file of unknown origin)."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return ()
    argv = data.get("command") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return ()
    return tuple(default_redactor().text(a) for a in argv)


def _load_meta(run_dir: Path, load: LoadRun | None) -> RunMeta:
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
    records, meta, load = load_run(run_dir)
    target = out or (run_dir.parent if run_dir.name == "load" and load is not None
                     and not (run_dir / "results.jsonl").is_file() else run_dir)
    target.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in formats:
        if name == "md":  # with a load run and no records, a load report
            text = render_markdown(records, meta, load)
        else:
            text = render_html(records, meta, load)
        path = target / f"report.{name}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return records, paths[0]


def write_comparison(before_dir: Path, after_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS,
                     out: Path | None = None) -> list[Path]:
    """Write comparison.md/.html for two runs into ``out`` (default: the second run)."""
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
