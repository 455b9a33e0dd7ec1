"""The Markdown report: a pure function from results.jsonl records to text.

Shaped after the hand-written reference reports (header, executive summary, overview table,
per-category detail, issues, recommendations), but every figure is counted from outcomes,
and failures carry what was expected, what came back and a redacted curl to reproduce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from gatecheck.report._model import RunMeta, Tally, check_sort_key, overall_status, tally
from gatecheck.report._recommend import (
    is_unreachable,
    recommendation_for,
    unreachable_targets,
)
from gatecheck.results import CATEGORIES, LEVELS

__all__ = ["RunMeta", "render_markdown"]

_ICONS = {"passed": "✅", "failed": "❌", "warned": "⚠️", "skipped": "⏭️", "xfailed": "🔶"}
_BODY_LIMIT = 1500  # characters of a response body shown per failure


def render_markdown(results: Sequence[dict[str, Any]], meta: RunMeta) -> str:
    """Render the report. Pure: the same records and meta always give the same text."""
    records = sorted(results, key=check_sort_key)
    total = tally(records)
    lines: list[str] = []
    lines += _header(meta, total)
    lines += _summary(records, total)
    if len(meta.targets) > 1:
        lines += _targets(records, meta)
    lines += _overview(records)
    lines += _details(records, multi_target=len(meta.targets) > 1)
    lines += _issues(records)
    lines += _recommendations(records)
    lines += _reproduce(meta, records)
    return "\n".join(lines).rstrip() + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _cell(text: object) -> str:
    return str(text).replace("\n", " ").replace("|", "\\|").strip()


def _fence(text: str, lang: str = "") -> list[str]:
    fence = "````" if "```" in text else "```"
    return [f"{fence}{lang}", text.rstrip("\n"), fence]


def _when(iso: str | None) -> str:
    if not iso:
        return "unknown"
    try:
        stamp = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _header(meta: RunMeta, total: Tally) -> list[str]:
    names = ", ".join(name for name, _ in meta.targets) or "none"
    lines = [f"# gatecheck conformance report: {names}", ""]
    lines.append(f"**Test date:** {_when(meta.started_at)}  ")
    for name, url in meta.targets:
        lines.append(f"**Target:** `{name}` at `{url or 'unknown URL'}`  ")
    duration = f"{meta.duration_s:.1f} s" if meta.duration_s is not None else "unknown"
    lines.append(f"**Duration:** {duration} (first check start to last check end)  ")
    lines.append(f"**Profile:** {meta.profile or 'unknown'}  ")
    lines.append(f"**Run id:** `{meta.run_id}`  ")
    lines.append(f"**Overall status:** {overall_status(total)}")
    return [*lines, ""]


def _summary(records: Sequence[dict[str, Any]], total: Tally) -> list[str]:
    lines = ["## Executive summary", ""]
    failed = ", ".join(f"{total.failed_levels.get(level, 0)} {level}" for level in LEVELS)
    lines.append(
        f"- {total.total} checks: {total.passed} passed, {total.failed} failed ({failed}), "
        f"{total.warned} passed with warnings, {total.skipped} skipped, "
        f"{_plural(total.xfailed, 'known deviation')} (expected failures)."
    )
    for level in LEVELS:
        part = tally(r for r in records if r.get("level") == level)
        if part.total:
            verdict = f"{part.success_rate()} passed" if part.judged else "no verdicts"
            extra = [f"{part.skipped} skipped"] if part.skipped else []
            extra += [_plural(part.xfailed, "known deviation")] if part.xfailed else []
            lines.append(f"- {level}: {verdict}" + "".join(f", {e}" for e in extra) + ".")
    for down in unreachable_targets(records):
        lines.append(f"- ❌ Target `{down.target}` was unreachable at `{down.url}` "
                     f"({_cell(down.reason)}): its {_plural(down.checks, 'check')} failed "
                     "without an answer; see Recommendations.")
    skip_reasons = sorted({str(r.get("message")) for r in records if r.get("outcome") == "skipped"})
    if skip_reasons:
        shown = "; ".join(skip_reasons[:5]) + ("; ..." if len(skip_reasons) > 5 else "")
        lines.append(f"- Skipped because: {shown}.")
    lines.append(
        "- Success rate counts checks that ran to a verdict; skips and known deviations are "
        "listed, not counted."
    )
    return [*lines, ""]


def _targets(records: Sequence[dict[str, Any]], meta: RunMeta) -> list[str]:
    lines = ["## Targets", "",
             "| Target | Status | Success rate | Passed | Failed | Warned | Skipped | Deviations |",
             "|--------|--------|--------------|-------:|-------:|-------:|--------:|-----------:|"]
    for name, _ in meta.targets:
        part = tally(r for r in records if r.get("target") == name)
        lines.append(f"| `{_cell(name)}` | {part.status()} | {part.success_rate()} | "
                     f"{part.passed} | {part.failed} | {part.warned} | {part.skipped} | "
                     f"{part.xfailed} |")
    return [*lines, ""]


def _categories(records: Sequence[dict[str, Any]]) -> list[str]:
    present = {str(r.get("category", "")) for r in records}
    ordered = [c for c in CATEGORIES if c in present]
    return ordered + sorted(present - set(ordered))


def _overview(records: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["## Test Results Overview", "",
             "| Category | Status | Success rate | Notes |",
             "|----------|--------|--------------|-------|"]
    for category in _categories(records):
        part = tally(r for r in records if r.get("category") == category)
        notes = []
        for level in LEVELS:
            if part.failed_levels.get(level):
                notes.append(f"{part.failed_levels[level]} {level} failed")
        for key, label in (("warned", "with warnings"), ("skipped", "skipped")):
            count = getattr(part, key)
            if count:
                notes.append(f"{count} {label}")
        if part.xfailed:
            notes.append(_plural(part.xfailed, "known deviation"))
        lines.append(f"| {_cell(category)} | {part.status()} | {part.success_rate()} | "
                     f"{_cell('; '.join(notes) or '-')} |")
    return [*lines, ""]


def _details(records: Sequence[dict[str, Any]], *, multi_target: bool) -> list[str]:
    lines = ["## Detailed results", ""]
    for down in unreachable_targets(records):
        # One finding for the lot: the checks never reached the target, so per-check
        # findings would repeat the same error without an exchange or a curl.
        lines += [f"#### ❌ Target unreachable: `{down.target}`", "",
                  f"- URL tried: `{down.url}`", f"- What happened: {_cell(down.reason)}",
                  f"- {_plural(down.checks, 'check')} failed without an answer (marked failed "
                  "below); they say nothing about the gateway's conformance.", ""]
    for number, category in enumerate(_categories(records), 1):
        rows = [r for r in records if r.get("category") == category]
        lines += [f"### {number}. {category} {tally(rows).status().split()[0]}", ""]
        head = "| Check | Level | Title | Outcome |" if not multi_target else \
            "| Check | Target | Level | Title | Outcome |"
        lines += [head, "|" + "---|" * head.count(" | ") + "---|"]
        for r in rows:
            target = f" {_cell(r.get('target'))} |" if multi_target else ""
            outcome = str(r.get("outcome"))
            lines.append(f"| {_cell(r.get('check_id'))} |{target} {_cell(r.get('level'))} | "
                         f"{_cell(r.get('title'))} | {_ICONS.get(outcome, '')} {outcome} |")
        lines.append("")
        for r in rows:
            if r.get("outcome") in ("failed", "warned") and not is_unreachable(r):
                lines += _finding(r)
    return lines


def _finding(record: dict[str, Any]) -> list[str]:
    outcome = str(record.get("outcome"))
    lines = [f"#### {_ICONS[outcome]} {record.get('check_id')} ({record.get('level')}): "
             f"{record.get('title')}", ""]
    lines.append(f"- Test: `{record.get('test')}` on target `{record.get('target')}`")
    if record.get("message") and outcome != "warned":  # a WARN's message is its warnings
        lines.append(f"- What happened: {_cell(record['message'])}")
    if record.get("expected"):
        lines.append(f"- Expected: {_cell(record['expected'])}")
    if record.get("observed"):
        lines.append(f"- Observed: {_cell(record['observed'])}")
    for warning in record.get("warnings") or []:
        lines.append(f"- Warning: {_cell(warning)}")
    exchange = record.get("exchange")
    if isinstance(exchange, dict):
        status = exchange.get("status")
        took = exchange.get("duration_ms")
        took_text = f" in {float(took):.0f} ms" if isinstance(took, int | float) else ""
        answer = f"HTTP {status}" if status is not None else \
            f"no response ({exchange.get('error')})"
        lines.append(f"- Exchange: `{exchange.get('method')} {exchange.get('url')}` -> "
                     f"{answer}{took_text}")
        body = exchange.get("response_body")
        if body:
            text = str(body)
            if len(text) > _BODY_LIMIT:
                text = text[:_BODY_LIMIT] + f"\n... ({len(text) - _BODY_LIMIT} more characters)"
            lines += ["", "Response body (excerpt):", "", *_fence(text)]
        if exchange.get("curl"):
            lines += ["", "Reproduce:", "", *_fence(str(exchange["curl"]), "bash")]
    return [*lines, ""]


def _issues(records: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["## Issues identified", ""]
    everything = [r for r in records if r.get("outcome") == "failed"]
    failed = [r for r in everything if not is_unreachable(r)]
    if not everything:
        lines += ["No check failed.", ""]
    downs = unreachable_targets(records)
    if downs:
        lines += [f"### Target unreachable ({sum(d.checks for d in downs)} checks)", ""]
        lines += [f"- `{d.target}` at `{d.url}`: {_cell(d.reason)} "
                  f"({_plural(d.checks, 'check')} failed without an answer)" for d in downs]
        lines.append("")
    for level in LEVELS:
        group = [r for r in failed if r.get("level") == level]
        if group:
            lines += [f"### {level} ({len(group)})", ""]
            lines += [f"- **{r.get('check_id')}** ({r.get('category')}, `{r.get('target')}`): "
                      f"{_cell(r.get('message') or r.get('title'))}" for r in group]
            lines.append("")
    for outcome, heading in (("xfailed", "Known deviations (expected failures)"),
                             ("warned", "Warnings")):
        group = [r for r in records if r.get("outcome") == outcome]
        if group:
            lines += [f"### {heading} ({len(group)})", ""]
            lines += [f"- **{r.get('check_id')}** (`{r.get('target')}`): "
                      f"{_cell(r.get('message') or r.get('title'))}" for r in group]
            lines.append("")
    return lines


def _recommendations(records: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["## Recommendations", ""]
    seen: dict[str, list[str]] = {}
    for down in unreachable_targets(records):
        seen[down.advice] = [f"all {_plural(down.checks, 'check')} on {down.target}"]
    for r in records:
        if r.get("outcome") == "failed" and not is_unreachable(r):
            text = recommendation_for(str(r.get("check_id", "")))
            ids = seen.setdefault(text, [])
            if str(r.get("check_id")) not in ids:
                ids.append(str(r.get("check_id")))
    if not seen:
        return [*lines, "None: no check failed.", ""]
    lines += ["| Checks | Recommendation |", "|--------|----------------|"]
    lines += [f"| {_cell(', '.join(ids))} | {_cell(text)} |" for text, ids in seen.items()]
    return [*lines, ""]


def _reproduce(meta: RunMeta, records: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["## How to reproduce", ""]
    targets = " ".join(f"--target {name}" for name, _ in meta.targets)
    profile = f" --profile {meta.profile}" if meta.profile and "," not in meta.profile else ""
    commands = [f"gatecheck run {targets}{profile}"]
    failed = sorted({str(r.get("test")) for r in records if r.get("outcome") == "failed"})
    if failed:
        commands += ["", "# only the failed checks:",
                     f"pytest suites {targets}{profile} \\"]
        commands += [f"  '{test}' \\" for test in failed[:20]]
        commands[-1] = commands[-1].removesuffix(" \\")
    return [*lines, *_fence("\n".join(commands), "bash"), ""]
