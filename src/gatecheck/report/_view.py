"""The report's content, built once from the records and the load run, for both formats.

Shaped after the hand-written reference reports: header, executive summary, overview per
category, detail per category, issues by level, recommendations, how to reproduce, and
the performance section of a load run. Every figure is counted from outcomes here, once
per level, category and target; ``report.md.j2`` and ``report.html.j2`` only lay it out.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gatecheck.findings import Finding, derive_findings
from gatecheck.report._format import plural
from gatecheck.report._model import RunMeta, Tally, check_sort_key, overall_status, tally
from gatecheck.report._observed import Observed, observed
from gatecheck.report.performance import LoadRun, Performance, performance
from gatecheck.results import CATEGORIES, LEVELS, CheckResult

__all__ = ["Check", "Exchange", "NothingRan", "ReportView", "Slice", "report_view"]

ICONS = {"passed": "✅", "failed": "❌", "warned": "⚠️", "skipped": "⏭️", "xfailed": "🔶",
         "inconclusive": "❔"}
OUTCOME_LABEL = {"xfailed": "known deviation", "warned": "warned", "passed": "passed",
                 "failed": "failed", "skipped": "skipped", "inconclusive": "inconclusive"}
# outcomes whose row opens to evidence
_EVIDENCE = ("failed", "warned", "xfailed", "skipped", "inconclusive")

_FIELDS = ("check_id", "level", "title", "category", "target", "test", "message")


@dataclass(frozen=True, slots=True)
class Exchange:
    """The recorded request and response of a check (redacted)."""

    method: object
    url: object
    answer: str  # "HTTP 500 in 12 ms" or "no response (ConnectError ...)"
    sides: tuple[tuple[str, str, str], ...]  # ("Request" or "Response", headers, body)
    response_body: str
    curl: str


@dataclass(frozen=True, slots=True)
class Check:
    """One record as the report shows it."""

    record: dict[str, Any]
    anchor: str  # the HTML row id, "check-N" in report order
    outcome: str
    facts: tuple[tuple[str, object], ...]  # (label, text): what happened, expected, ...
    exchange: Exchange | None
    # the record's fields as they are (None when absent)
    check_id: object = None
    level: object = None
    title: object = None
    category: object = None
    target: object = None
    test: object = None
    message: object = None

    @property
    def icon(self) -> str:
        return ICONS.get(self.outcome, "")

    @property
    def label(self) -> str:
        return OUTCOME_LABEL.get(self.outcome, self.outcome)

    @property
    def has_evidence(self) -> bool:
        return self.outcome in _EVIDENCE

    @property
    def variant(self) -> str:
        """The test and its parameters, the target's name left out (test_x[openai])."""
        name = str(self.test or "").rpartition("::")[2]
        base, _, params = name.partition("[")
        kept = [p for p in params.rstrip("]").split("-") if p and p != self.target]
        return f"{base}[{'-'.join(kept)}]" if kept else base

    @property
    def took(self) -> str:
        took = self.record.get("duration_s")
        return f"{took:.2f} s" if isinstance(took, int | float) else "-"


@dataclass(frozen=True, slots=True)
class Slice:
    """The checks of one level, category or target, and their tally."""

    name: str
    checks: tuple[Check, ...]
    tally: Tally
    number: int = 0  # categories: the section number
    url: str | None = None  # targets: the URL
    observed: Observed = field(default_factory=Observed)  # categories: examples, figures

    @property
    def summary(self) -> str:
        """'85.7% (12/14) passed, 1 known deviation' (a level's line)."""
        part = self.tally
        extra = [f"{part.skipped} skipped"] if part.skipped else []
        extra += [plural(part.xfailed, "known deviation")] if part.xfailed else []
        verdict = f"{part.success_rate()} passed" if part.judged else "no verdicts"
        return verdict + "".join(f", {e}" for e in extra)

    @property
    def notes(self) -> str:
        """'1 MUST failed; 1 skipped' (a category's overview row)."""
        part = self.tally
        notes = [f"{part.failed_levels[lv]} {lv} failed" for lv in LEVELS
                 if part.failed_levels.get(lv)]
        notes += [f"{part.warned} with warnings"] if part.warned else []
        notes += [f"{part.skipped} skipped"] if part.skipped else []
        notes += [plural(part.xfailed, "known deviation")] if part.xfailed else []
        return "; ".join(notes) or "-"


@dataclass(frozen=True, slots=True)
class NothingRan:
    """Why a run judged nothing, as its command line tells (the report says so instead of
    empty tables, and `gatecheck run` exits 3)."""

    targets: str  # "mock", or "a, b"
    selection: str  # the run's -k and --check options ("-k zzz"), "" when none

    @property
    def why(self) -> str:
        if self.selection:
            return (f"the selection {self.selection} matched none of the checks the suites "
                    f"hold for {self.targets}")
        return f"the suites held no check for {self.targets}"

    @property
    def advice(self) -> str:
        if self.selection:
            return ("gatecheck checks lists every check id and title: correct the -k "
                    "expression or the --check ids, and run again")
        return "pass --suites a directory whose test_*.py files declare checks"


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a report shows, in report order."""

    meta: RunMeta
    checks: tuple[Check, ...]
    total: Tally
    status: str  # the overall verdict, e.g. "❌ FAIL"
    levels: tuple[Slice, ...]  # levels with checks
    categories: tuple[Slice, ...]
    targets: tuple[Slice, ...]
    findings: tuple[Finding, ...]  # the defects, most severe first
    inconclusive: tuple[tuple[str, tuple[Check, ...]], ...]  # (why, the checks) apart
    skip_reasons: str  # "; "-joined, the first five
    reproduce: str  # shell commands
    load: Performance | None
    nothing_ran: NothingRan | None = None  # no check ran, and no load run either

    @property
    def names(self) -> str:
        return ", ".join(name for name, _ in self.meta.targets)

    @property
    def duration(self) -> str:
        duration = self.meta.duration_s
        return f"{duration:.1f} s" if duration is not None else "unknown"

    @property
    def failed_levels(self) -> str:
        """'2 MUST, 0 SHOULD, 0 MAY'."""
        return ", ".join(f"{self.total.failed_levels.get(lv, 0)} {lv}" for lv in LEVELS)

    @property
    def defects(self) -> tuple[Finding, ...]:
        """The findings that are defects (an observed behaviour that failed nothing is not)."""
        return tuple(f for f in self.findings if f.severity != "info")

    @property
    def findings_line(self) -> str:
        """'7 defects, witnessed by 34 checks' (the summary's first line)."""
        witnessed = {(f.target, c) for f in self.defects for c in f.checks}
        failed = sum(1 for c in self.checks if c.outcome == "failed")
        if not self.checks:
            return "No check ran"
        if not self.defects:
            return "No defect found"
        return (f"{plural(len(self.defects), 'defect')}, witnessed by "
                f"{plural(failed, 'failed check')} ({len(witnessed)} check ids)")

    def of(self, outcome: str) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.outcome == outcome)

    def filters(self) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
        """The check table's filters: (field, label, (value, text) options)."""
        seen = {f: {str(c.record.get(f)) for c in self.checks}
                for f in ("outcome", "level", "target")}
        out = [("outcome", "Outcome", tuple((o, t) for o, t in OUTCOME_LABEL.items()
                                            if o in seen["outcome"])),
               ("level", "Level", tuple((lv, lv) for lv in LEVELS if lv in seen["level"])),
               ("category", "Category", tuple((s.name, s.name) for s in self.categories))]
        if len(self.meta.targets) > 1:
            out.append(("target", "Target", tuple((t, t) for t in sorted(seen["target"]))))
        return tuple(out)


def _exchange(exchange: dict[str, Any]) -> Exchange:
    status, took = exchange.get("status"), exchange.get("duration_ms")
    answer = f"HTTP {status}" if status is not None else f"no response ({exchange.get('error')})"
    if isinstance(took, int | float):
        answer += f" in {took:.0f} ms"
    sides = []
    for side in ("request", "response"):
        head = "\n".join(f"{h[0]}: {h[1]}" for h in exchange.get(f"{side}_headers") or []
                         if isinstance(h, list | tuple) and len(h) == 2)
        body = exchange.get(f"{side}_body")
        if head or body:
            sides.append((side.capitalize(), head, str(body) if body else ""))
    return Exchange(exchange.get("method"), exchange.get("url"), answer, tuple(sides),
                    str(exchange.get("response_body") or ""), str(exchange.get("curl") or ""))


def _check(record: dict[str, Any], anchor: str) -> Check:
    outcome = str(record.get("outcome"))
    facts: list[tuple[str, object]] = []
    if record.get("message") and outcome != "warned":  # a WARN's message is its warnings
        facts.append(({"skipped": "Skipped because", "xfailed": "Known deviation",
                       "inconclusive": "Could not be judged"}.get(outcome, "What happened"),
                      record["message"]))
    facts += [(k, record[f]) for k, f in (("Expected", "expected"), ("Observed", "observed"))
              if record.get(f)]
    facts += [(f"Case {c.get('label')}", c.get("message")) for c in record.get("cases") or []]
    facts += [("Warning", w) for w in record.get("warnings") or []]
    exchange = record.get("exchange")
    return Check(record, anchor, outcome, tuple(facts),
                 _exchange(exchange) if isinstance(exchange, dict) else None,
                 **{f: record.get(f) for f in _FIELDS})


def _slices(checks: Sequence[Check], field: str, names: Sequence[str]) -> tuple[Slice, ...]:
    groups: dict[str, list[Check]] = {name: [] for name in names}
    for check in checks:
        groups.setdefault(str(check.record.get(field, "")), []).append(check)
    return tuple(Slice(name, tuple(group), tally(c.record for c in group), number)
                 for number, (name, group) in enumerate(groups.items(), 1))


def _reproduce(meta: RunMeta, checks: Sequence[Check], command: Sequence[str]) -> str:
    """The run's own command line (run.json), then only its failed checks, by id."""
    if command:
        base = list(command)
    else:  # a run from before run.json: what the records say
        base = ["gatecheck", "run", *(a for name, _ in meta.targets for a in ("--target", name))]
        if meta.profile and "," not in meta.profile:
            base += ["--profile", meta.profile]
    commands = [shlex.join(base)]
    failed = sorted({str(c.check_id) for c in checks if c.outcome == "failed"})
    if failed:
        rest = _without_checks(base)
        commands += ["", f"# only the {plural(len(failed), 'failed check id')}:",
                     shlex.join([*rest, *(a for i in failed for a in ("--check", i))])]
    return "\n".join(commands)


def _nothing_ran(meta: RunMeta) -> NothingRan:
    command = list(meta.command)
    named = _values(command, "--target") or [name for name, _ in meta.targets]
    targets = ", ".join(f"target {name}" for name in named) or "the targets"
    selection = [shlex.join([flag, value]) for flag in ("-k", "--check")
                 for value in _values(command, flag)]
    return NothingRan(targets, " ".join(selection))


def _values(argv: Sequence[str], flag: str) -> list[str]:
    """The values ``flag`` was given in ``argv`` (``--flag V`` or ``--flag=V``)."""
    return [value for arg, value in zip(argv, [*argv[1:], ""], strict=True) if arg == flag
            ] + [arg.partition("=")[2] for arg in argv if arg.startswith(f"{flag}=")]


def _without_checks(argv: Sequence[str]) -> list[str]:
    """``argv`` less its ``--check ID`` (and ``--check=ID``) options, values included."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--check":
            skip = True
        elif not arg.startswith("--check="):
            kept.append(arg)
    return kept


def report_view(results: Sequence[dict[str, Any]], meta: RunMeta,
                load: LoadRun | None = None) -> ReportView:
    """The report's content. Pure: the same records, meta and load give the same view."""
    records = sorted(results, key=check_sort_key)
    checks = tuple(_check(r, f"check-{n}") for n, r in enumerate(records, 1))
    total = tally(records)
    present = {str(r.get("category", "")) for r in records}
    ordered = [c for c in CATEGORIES if c in present]
    categories = tuple(dataclasses.replace(s, observed=observed(s.checks)) for s in
                       _slices(checks, "category", ordered + sorted(present - set(ordered))))
    levels = tuple(s for s in _slices(checks, "level", LEVELS) if s.name in LEVELS and
                   s.tally.total)
    targets = tuple(Slice(s.name, s.checks, s.tally, url=url) for s, (_, url) in zip(
        _slices(checks, "target", [n for n, _ in meta.targets]), meta.targets, strict=False))
    findings = tuple(derive_findings([CheckResult.from_json(r) for r in records]))
    why: dict[str, list[Check]] = {}
    for check in checks:
        if check.outcome == "inconclusive":
            why.setdefault(str(check.message), []).append(check)
    skips = sorted({str(r.get("message")) for r in records if r.get("outcome") == "skipped"})
    return ReportView(
        meta, checks, total, overall_status(total), levels, categories, targets, findings,
        tuple((reason, tuple(group)) for reason, group in why.items()),
        "; ".join(skips[:5]) + (f"; and {len(skips) - 5} more" if len(skips) > 5 else ""),
        _reproduce(meta, checks, meta.command), performance(load) if load is not None else None,
        _nothing_ran(meta) if not checks and load is None else None)
