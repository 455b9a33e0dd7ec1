"""The published site: every run's reports, the matrix with its history, one index.

``build_site(reports, out)`` reads ``reports/`` (run directories, ``history.sqlite``) and
writes a static tree that any static host serves as is (GitHub Pages included)::

    index.html                     runs (date, target, pass rate, duration), latest per
                                   target, load runs, the matrix's headline
    runs/<run-id>/report.html      the run's reports (rendered here when missing), report.md,
                  report.md ...    results.jsonl, junit.xml, load/summary.json, allure-report/
    matrix/index.html              the availability matrix from history.sqlite (+ matrix.md)
    interop/compat.html            the real gateways' compatibility matrix (`gatecheck
                  compat.md        interop`), its links pointed at runs/<run-id>/

``out`` is new, empty, or a site publish wrote before: it leaves a ``.gatecheck-site`` marker,
and a directory with files but no marker is refused (``not_a_site``), so publishing never
replaces anything it did not write (``--out /`` or ``--out ~``).

Every link is relative, so the site works from any sub-path or from disk. Every text file
passes through the redactor on its way out (binary files are copied: gatecheck writes none
that could hold a secret); the same rule as every other artefact writer. The one exception
is an Allure report: a bundle of minified script and base64 that pattern redaction would
corrupt. It is copied as is only when `gatecheck report --allure` stamped it (built from
results it had just redacted, digest unchanged since); otherwise it is left out. The index
is ``templates/site.html.j2`` on the reports' page kit; the matrix page is the matrix's own.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gatecheck._exceptions import UsageError
from gatecheck._redact import redact_curl
from gatecheck.matrix.history import History
from gatecheck.matrix.page import render_matrix_html, render_matrix_md, summary_line
from gatecheck.report import find_load, load_run, overall_status, render_html, tally
from gatecheck.report.allure import stamped
from gatecheck.report.html import status_word
from gatecheck.report.page import render

__all__ = ["MARKER", "RunEntry", "Site", "build_site", "find_runs", "not_a_site"]

MARKER = ".gatecheck-site"  # in every site publish wrote: the one kind of directory it replaces

# What a run directory contributes to the site (relative to the run), besides allure-report/.
_COPIED = ("report.html", "report.md", "results.jsonl", "junit.xml", "load/summary.json",
           "load/report.md", "comparison.html", "comparison.md")
_SKIPPED_DIRS = {"latest", "matrix", "interop"}
_COMPAT = ("compat.html", "compat.md")  # reports/interop/, written by `gatecheck interop`
_LABELS = {"report.html": "HTML", "report.md": "Markdown", "junit.xml": "JUnit",
           "results.jsonl": "results", "allure-report/index.html": "Allure",
           "comparison.html": "comparison"}


@dataclass(slots=True)
class RunEntry:
    """One run directory as the index shows it."""

    run_id: str
    started_at: str | None
    targets: tuple[str, ...]
    duration_s: float | None
    status: str = ""  # the report's verdict words (PASS, FAIL, ...), "" for load-only runs
    pass_rate: str = ""
    load: dict[str, Any] | None = None  # the load summary, when the run has one
    files: list[str] = field(default_factory=list)  # site-relative paths written

    @property
    def href(self) -> str:
        return f"runs/{quote(self.run_id)}/"

    @property
    def links(self) -> list[tuple[str, str]]:
        """(href, label) of the run's reports on the site."""
        return [(self.href + quote(name), label) for name, label in _LABELS.items()
                if name in self.files]


@dataclass(slots=True)
class Site:
    out: Path
    runs: list[RunEntry]
    matrix_rows: int
    files: list[Path]
    skipped: list[str] = field(default_factory=list)


def find_runs(reports: Path) -> list[Path]:
    """Run directories under ``reports`` (newest first): results.jsonl or load/summary.json."""
    found = []
    for child in sorted(reports.iterdir(), reverse=True) if reports.is_dir() else ():
        if child.name in _SKIPPED_DIRS or child.is_symlink() or not child.is_dir():
            continue
        if (child / "results.jsonl").is_file() or (child / "load" / "summary.json").is_file():
            found.append(child)
    return found


def _entry(run_dir: Path) -> RunEntry:
    records, meta, load = load_run(run_dir)
    entry = RunEntry(run_id=run_dir.name, started_at=meta.started_at,
                     targets=tuple(name for name, _ in meta.targets),
                     duration_s=meta.duration_s,
                     load=load.summary if load is not None else None)
    if records:
        total = tally(records)
        entry.status = status_word(overall_status(total))
        entry.pass_rate = total.success_rate()
    return entry


class _Writer:
    """Writes site files through the redactor and remembers them."""

    def __init__(self, out: Path, redact: Callable[[str], str]) -> None:
        self.out, self.redact = out, redact
        self.files: list[Path] = []
        self.skipped: list[str] = []  # what was left out, and why

    def text(self, relative: str, text: str) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.redact(text), encoding="utf-8")
        self.files.append(path)

    def copy(self, source: Path, relative: str) -> None:
        try:
            self.text(relative, source.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            self.verbatim(source, relative)

    def verbatim(self, source: Path, relative: str) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        self.files.append(path)


def _publish_run(run_dir: Path, entry: RunEntry, writer: _Writer) -> None:
    base = f"runs/{entry.run_id}/"
    if not (run_dir / "report.html").is_file():
        # An older or interrupted run: render its page now, from its results.
        records, meta, load = load_run(run_dir)
        if records or (load is not None and find_load(run_dir) is not None):
            writer.text(base + "report.html", render_html(records, meta, load))
            entry.files.append("report.html")
    for name in _COPIED:
        source = run_dir / name
        if source.is_file():
            writer.copy(source, base + name)
            entry.files.append(name)
    allure = run_dir / "allure-report"
    if allure.is_dir():
        if stamped(allure):  # built from redacted results; see gatecheck.report.allure
            for source in sorted(p for p in allure.rglob("*") if p.is_file()):
                writer.verbatim(source, base + "allure-report/"
                                + source.relative_to(allure).as_posix())
            entry.files.append("allure-report/index.html")
        else:
            writer.skipped.append(f"{run_dir.name}/allure-report: not as `gatecheck report "
                                  "--allure` built it")


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] + " UTC" if value else "\u2013"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2013"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _load_row(entry: RunEntry) -> list[str]:
    """Date, target, scenario, users, req/s, errors, TTFT p50/p99, e2e p99 of a load run."""
    summary = entry.load or {}
    run = summary.get("run") or {}
    latency = summary.get("latency_ms") or {}

    def p(metric: str, q: str) -> str:
        value = (latency.get(metric) or {}).get(q)
        return f"{value:.0f} ms" if isinstance(value, int | float) else "\u2013"

    rate = (summary.get("throughput") or {}).get("requests_per_s")
    errors = (summary.get("requests") or {}).get("error_rate")
    return [_when(run.get("started") or entry.started_at), ", ".join(entry.targets),
            str(run.get("scenario", "\u2013")), str(run.get("users") or "\u2013"),
            f"{rate:.1f}" if isinstance(rate, int | float) else "\u2013",
            f"{100 * errors:.2f}%" if isinstance(errors, int | float) else "\u2013",
            p("ttft", "p50"), p("ttft", "p99"), p("e2e", "p99")]


def _publish_compat(interop: Path, entries: Sequence[RunEntry], writer: _Writer) -> bool:
    """The compatibility matrix, its run links moved to where the site keeps the runs."""
    if not (interop / "compat.html").is_file():
        return False
    published = {e.run_id for e in entries}
    for name in _COMPAT:
        source = interop / name
        if not source.is_file():
            continue
        text = source.read_text(encoding="utf-8")
        for run_id in published:  # ../<run-id>/report.html -> ../runs/<run-id>/report.html
            text = text.replace(f"../{run_id}/", f"../runs/{quote(run_id)}/")
        writer.text(f"interop/{name}", text)
    return True


def _index(entries: Sequence[RunEntry], matrix_line: str | None, compat: bool = False) -> str:
    conformance = [e for e in entries if e.status]
    latest: dict[str, RunEntry] = {}
    for entry in conformance:  # newest first: the first seen per target is its latest
        for target in entry.targets:
            latest.setdefault(target, entry)
    return render("site.html.j2", "gatecheck", conformance=conformance,
                  loads=[(e, _load_row(e)) for e in entries if e.load is not None],
                  latest=sorted(latest.items()),
                  failing=len({id(e) for e in latest.values() if e.status == "FAIL"}),
                  targets={t for e in conformance for t in e.targets}, matrix_line=matrix_line,
                  compat=compat,
                  when=_when, duration=_duration)


def not_a_site(out: Path) -> str | None:
    """Why ``out`` cannot take the site, or None: it is new, empty, or carries the MARKER."""
    if not out.exists():
        return None
    if not out.is_dir():
        return "not a directory"
    if (out / MARKER).is_file() or next(out.iterdir(), None) is None:
        return None
    return (f"holds files gatecheck publish did not write (no {MARKER}); publish into a new "
            "or empty directory, or one it published to before")


def build_site(reports: Path, out: Path, *, history: Path | None = None,
               redact: Callable[[str], str] | None = None) -> Site:
    """Write the site for ``reports`` into ``out`` (replacing what gatecheck put there).

    Refused (UsageError) when ``out`` is not a directory publish may write: see not_a_site.
    """
    why = not_a_site(out)
    if why is not None:
        raise UsageError(f"{out}: {why}")
    if redact is None:
        redact = redact_curl
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `gatecheck publish`, which replaces index.html, "
                              "runs/, matrix/ and interop/ here\n", encoding="utf-8")
    for stale in ("index.html", "runs", "matrix", "interop"):
        path = out / stale
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()  # a link itself, never what it points at
    writer = _Writer(out, redact)
    entries = []
    for run_dir in find_runs(reports):
        entry = _entry(run_dir)
        _publish_run(run_dir, entry, writer)
        entries.append(entry)
    db = history if history is not None else reports / "history.sqlite"
    rows = History(db).matrix() if db.is_file() else []
    matrix_line = summary_line(rows) if rows else None
    if rows:
        generated = max(r.trend[-1][0] for r in rows)
        writer.text("matrix/index.html", render_matrix_html(rows, generated_at=generated,
                                                             index="../index.html"))
        writer.text("matrix/matrix.md", render_matrix_md(rows, generated_at=generated))
        # The history itself (redacted as it was recorded): the next nightly run carries
        # it on from here when its own copy is gone, so the trend never restarts.
        published = out / "matrix" / "history.sqlite"
        History(db).export(published, redact)
        writer.files.append(published)
    compat = _publish_compat(reports / "interop", entries, writer)
    writer.text("index.html", _index(entries, matrix_line, compat))
    writer.text(".nojekyll", "")  # GitHub Pages: serve every path as is
    return Site(out, entries, len(rows), writer.files, writer.skipped)
