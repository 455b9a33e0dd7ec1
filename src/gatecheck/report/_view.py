"""The report's content, built once from the records and the load run, for both formats.

Shaped after the hand-written reference reports: header, executive summary, overview per
category, detail per category, issues by level, recommendations, how to reproduce, and
the performance section of a load run. Every figure is counted from outcomes here, once
per level, category and target; ``report.md.j2`` and ``report.html.j2`` only lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatecheck.report._format import plural
from gatecheck.report._model import RunMeta, Tally, check_sort_key, overall_status, tally
from gatecheck.report._recommend import (
    Unreachable,
    is_unreachable,
    recommendation_for,
    unreachable_targets,
)
from gatecheck.report.performance import LoadRun, Performance, performance
from gatecheck.results import CATEGORIES, LEVELS

__all__ = ["Check", "Exchange", "ReportView", "Slice", "report_view"]

ICONS = {"passed": "✅", "failed": "❌", "warned": "⚠️", "skipped": "⏭️", "xfailed": "🔶"}
OUTCOME_LABEL = {"xfailed": "known deviation", "warned": "warned", "passed": "passed",
                 "failed": "failed", "skipped": "skipped"}
_EVIDENCE = ("failed", "warned", "xfailed", "skipped")  # outcomes whose row opens to evidence
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
    unreachable: Unreachable | None
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
    def is_finding(self) -> bool:
        """A failure or warning with something to show (not an unreachable target's)."""
        return self.outcome in ("failed", "warned") and self.unreachable is None

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
class ReportView:
    """Everything a report shows, in report order."""

    meta: RunMeta
    checks: tuple[Check, ...]
    total: Tally
    status: str  # the overall verdict, e.g. "❌ FAIL"
    levels: tuple[Slice, ...]  # levels with checks
    categories: tuple[Slice, ...]
    targets: tuple[Slice, ...]
    unreachable: tuple[Unreachable, ...]
    skip_reasons: str  # "; "-joined, the first five
    recommendations: tuple[tuple[tuple[str, ...], str], ...]  # (check ids, advice)
    reproduce: str  # shell commands
    load: Performance | None

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
    def failures(self) -> tuple[tuple[str, tuple[Check, ...]], ...]:
        """(level, failed checks) for levels with failures; unreachable targets' apart."""
        groups = ((s.name, tuple(c for c in s.checks if c.outcome == "failed"
                                 and c.unreachable is None)) for s in self.levels)
        return tuple((level, group) for level, group in groups if group)

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
        facts.append(({"skipped": "Skipped because", "xfailed": "Known deviation"}.get(
            outcome, "What happened"), record["message"]))
    facts += [(k, record[f]) for k, f in (("Expected", "expected"), ("Observed", "observed"))
              if record.get(f)]
    facts += [("Warning", w) for w in record.get("warnings") or []]
    exchange = record.get("exchange")
    down = unreachable_targets([record])[0] if is_unreachable(record) else None
    return Check(record, anchor, outcome, tuple(facts),
                 _exchange(exchange) if isinstance(exchange, dict) else None, down,
                 **{f: record.get(f) for f in _FIELDS})


def _slices(checks: Sequence[Check], field: str, names: Sequence[str]) -> tuple[Slice, ...]:
    groups: dict[str, list[Check]] = {name: [] for name in names}
    for check in checks:
        groups.setdefault(str(check.record.get(field, "")), []).append(check)
    return tuple(Slice(name, tuple(group), tally(c.record for c in group), number)
                 for number, (name, group) in enumerate(groups.items(), 1))


def _recommendations(view_checks: Sequence[Check], downs: Sequence[Unreachable],
                     ) -> tuple[tuple[tuple[str, ...], str], ...]:
    seen: dict[str, list[str]] = {d.advice: [f"all {plural(d.checks, 'check')} on {d.target}"]
                                  for d in downs}
    for check in view_checks:
        if check.outcome == "failed" and check.unreachable is None:
            ids = seen.setdefault(recommendation_for(str(check.record.get("check_id", ""))), [])
            if str(check.record.get("check_id")) not in ids:
                ids.append(str(check.record.get("check_id")))
    return tuple((tuple(ids), text) for text, ids in seen.items())


def _reproduce(meta: RunMeta, checks: Sequence[Check]) -> str:
    targets = " ".join(f"--target {name}" for name, _ in meta.targets)
    profile = f" --profile {meta.profile}" if meta.profile and "," not in meta.profile else ""
    commands = [f"gatecheck run {targets}{profile}"]
    failed = sorted({str(c.record.get("test")) for c in checks if c.outcome == "failed"})
    if failed:
        commands += ["", "# only the failed checks:", f"pytest suites {targets}{profile} \\"]
        commands += [f"  '{test}' \\" for test in failed[:20]]
        commands[-1] = commands[-1].removesuffix(" \\")
    return "\n".join(commands)


def report_view(results: Sequence[dict[str, Any]], meta: RunMeta,
                load: LoadRun | None = None) -> ReportView:
    """The report's content. Pure: the same records, meta and load give the same view."""
    records = sorted(results, key=check_sort_key)
    checks = tuple(_check(r, f"check-{n}") for n, r in enumerate(records, 1))
    total = tally(records)
    present = {str(r.get("category", "")) for r in records}
    ordered = [c for c in CATEGORIES if c in present]
    categories = _slices(checks, "category", ordered + sorted(present - set(ordered)))
    levels = tuple(s for s in _slices(checks, "level", LEVELS) if s.name in LEVELS and
                   s.tally.total)
    targets = tuple(Slice(s.name, s.checks, s.tally, url=url) for s, (_, url) in zip(
        _slices(checks, "target", [n for n, _ in meta.targets]), meta.targets, strict=False))
    downs = tuple(unreachable_targets(records))
    skips = sorted({str(r.get("message")) for r in records if r.get("outcome") == "skipped"})
    return ReportView(
        meta, checks, total, overall_status(total), levels, categories, targets, downs,
        "; ".join(skips[:5]) + ("; ..." if len(skips) > 5 else ""),
        _recommendations(checks, downs), _reproduce(meta, checks),
        performance(load) if load is not None else None)
