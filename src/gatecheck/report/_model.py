"""The run summary a report is built from: RunMeta and per-category tallies over results."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatecheck.results import CATEGORIES, LEVELS

__all__ = [
    "RunMeta", "Tally", "check_sort_key", "is_stale_deviation", "overall_status", "tally",
]


def is_stale_deviation(record: dict[str, Any]) -> bool:
    """Whether a results.jsonl record is a known deviation that no longer reproduces.

    The run fails on it at any level until the profile is updated (profiles cannot rot).
    """
    return record.get("outcome") == "failed" and record.get("stale") is True


@dataclass(frozen=True, slots=True)
class RunMeta:
    """What a report says about the run as a whole; derivable from results.jsonl alone."""

    run_id: str
    started_at: str | None  # ISO 8601 UTC of the first check
    duration_s: float | None  # first check start -> last check end
    targets: tuple[tuple[str, str | None], ...]  # (name, redacted URL)
    profile: str | None

    @classmethod
    def from_results(cls, results: Sequence[dict[str, Any]], run_id: str | None = None) -> RunMeta:
        starts: list[float] = []
        ends: list[float] = []
        for record in results:
            started = _parse_iso(record.get("started_at"))
            if started is not None:
                starts.append(started)
                ends.append(started + float(record.get("duration_s") or 0.0))
        targets: dict[str, str | None] = {}
        for record in results:
            name = str(record.get("target", "?"))
            if targets.get(name) is None:
                targets[name] = record.get("target_url")
        profiles = sorted({str(r["profile"]) for r in results if r.get("profile")})
        run_ids = sorted({str(r["run_id"]) for r in results if r.get("run_id")})
        return cls(
            run_id=run_id or (run_ids[0] if run_ids else "unknown"),
            started_at=min((r["started_at"] for r in results if r.get("started_at")), default=None),
            duration_s=(max(ends) - min(starts)) if starts else None,
            targets=tuple(sorted(targets.items())),
            profile=", ".join(profiles) or None,
        )


def _parse_iso(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(slots=True)
class Tally:
    """Outcome counts for one slice of the results (a category, a level, the run)."""

    passed: int = 0
    failed: int = 0
    warned: int = 0
    skipped: int = 0
    xfailed: int = 0
    inconclusive: int = 0  # the harness could not judge: shown apart from the target's
    stale: int = 0  # known deviations that no longer reproduce (counted in failed too)
    failed_levels: dict[str, int] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        outcome = record.get("outcome")
        if outcome == "failed":
            self.failed += 1
            self.stale += is_stale_deviation(record)
            level = str(record.get("level", "MUST"))
            self.failed_levels[level] = self.failed_levels.get(level, 0) + 1
        elif outcome in ("passed", "warned", "skipped", "xfailed", "inconclusive"):
            setattr(self, str(outcome), getattr(self, str(outcome)) + 1)

    @property
    def judged(self) -> int:
        """Checks that ran to a verdict (skips and known deviations excluded)."""
        return self.passed + self.warned + self.failed

    @property
    def total(self) -> int:
        return self.judged + self.skipped + self.xfailed + self.inconclusive

    def success_rate(self) -> str:
        if not self.judged:
            return "n/a"
        ok = self.passed + self.warned
        percent = 100.0 * ok / self.judged
        text = f"{percent:.0f}%" if ok in (0, self.judged) else f"{min(percent, 99.9):.1f}%"
        return f"{text} ({ok}/{self.judged})"

    def status(self) -> str:
        """FAIL if a MUST failed, WARN for weaker failures or warnings, PASS, or SKIPPED."""
        if self.failed_levels.get("MUST"):
            return "❌ FAIL"
        if self.failed or self.warned:
            return "⚠️ WARN"
        if self.passed:
            return "✅ PASS"
        if self.xfailed:
            return "🔶 KNOWN DEVIATIONS"
        return "⏭️ SKIPPED" if self.skipped else "- NONE"


def tally(records: Iterable[dict[str, Any]]) -> Tally:
    result = Tally()
    for record in records:
        result.add(record)
    return result


def overall_status(total: Tally) -> str:
    """The header's verdict, computed from outcomes only (as `gatecheck run`'s exit status)."""
    if total.failed_levels.get("MUST") or total.stale:
        return "❌ FAIL"
    # A failed SHOULD is a failure, not a warning: say so, while the exit status (MUST only)
    # still lets CI pass.
    if total.failed:
        return "⚠️ PASS WITH FAILURES"
    if total.warned:
        return "⚠️ PASS WITH WARNINGS"
    if total.passed:
        return "✅ PASS"
    return "NO CHECKS RAN"


_ID_PARTS = re.compile(r"(\d+)")


def check_sort_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Order checks by category (report order), level, then natural id order (W-2 < W-10)."""
    category = str(record.get("category", ""))
    cat_index = CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)
    parts = _ID_PARTS.split(str(record.get("check_id", "")))
    natural = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)
    level = str(record.get("level", "MAY"))
    level_index = LEVELS.index(level) if level in LEVELS else len(LEVELS)
    return (cat_index, category, natural, level_index, str(record.get("target", "")),
            str(record.get("test", "")))
