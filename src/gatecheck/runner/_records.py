"""Build the results.jsonl record of one test phase from pytest's report and call info."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gatecheck.checks import CheckInfo, ConformanceFailure, ConformanceWarning
from gatecheck.report._model import STALE_DEVIATION
from gatecheck.runner._results import utc_iso

__all__ = ["ItemData", "phase_record"]

_TEXT_LIMIT = 2000  # characters of a message or an unexpected exception kept in a record
# How a strict xpass (a listed deviation whose check passes now) starts its message: the
# runner fails the run on it whatever the check's level, so profiles cannot rot.


@dataclass
class ItemData:
    """What a running check accumulates: its exchanges, warnings and start time."""

    start: float | None = None
    exchanges: list[Any] = field(default_factory=list)
    warnings: list[ConformanceWarning] = field(default_factory=list)


def exchange_dict(exchange: Any) -> dict[str, Any] | None:
    """A redacted exchange as a JSON-ready dict that always carries its curl."""
    if exchange is None:
        return None
    data = dict(exchange.to_dict())
    if "curl" not in data:
        data["curl"] = exchange.curl()
    return data


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure(call: pytest.CallInfo[None] | None) -> dict[str, Any]:
    if call is None or call.excinfo is None:
        return {}
    exc = call.excinfo.value
    if isinstance(exc, ConformanceFailure):
        return {"message": exc.message, "expected": exc.expected, "observed": exc.observed,
                "exchange": exc.exchange}
    if isinstance(exc, pytest.fail.Exception):
        return {"message": exc.msg}
    # Not a finding: a harness error or a bug in a check. Say so rather than blame the target.
    text = f"{type(exc).__name__}: {exc}"[:_TEXT_LIMIT]
    return {"message": f"error while checking: {text}", "exchange": getattr(exc, "exchange", None)}


def phase_record(
    item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None],
    info: CheckInfo, target: str, data: ItemData,
) -> dict[str, Any] | None:
    """The record for this phase, or None when the phase decides nothing (a passing setup)."""
    if report.passed and report.when != "call":
        return None
    found: dict[str, Any] = {}
    if report.skipped and hasattr(report, "wasxfail"):
        outcome, found["message"] = "xfailed", f"known deviation: {report.wasxfail}"
    elif report.skipped:
        outcome, found["message"] = "skipped", _skip_reason(report)
    elif report.failed:
        outcome = "failed"
        longrepr = report.longrepr
        if isinstance(longrepr, str) and longrepr.startswith("[XPASS(strict)]"):
            reason = longrepr.removeprefix("[XPASS(strict)]").strip()
            found["message"] = (f"{STALE_DEVIATION} ({reason}): the check "
                                f"passes now; remove the deviation from the target's profile")
        else:
            found = _failure(call)
            if report.when != "call":
                found["message"] = f"{report.when} failed: {found.get('message', '')}"
    else:
        outcome = "warned" if data.warnings else "passed"
        if data.warnings:
            found["message"] = "; ".join(w.message for w in data.warnings)[:_TEXT_LIMIT]
    exchange = found.get("exchange")
    if exchange is None and data.exchanges:
        exchange = data.exchanges[-1]
    if exchange is None and data.warnings:
        exchange = next((w.exchange for w in data.warnings if w.exchange is not None), None)
    start = data.start if data.start is not None else call.start
    return {
        "target": target,
        "check_id": info.id,
        "test": item.nodeid,
        "title": info.title,
        "category": info.category,
        "level": info.level,
        "feature": info.feature,
        "surface": info.surface,
        "outcome": outcome,
        "started_at": utc_iso(start),
        "duration_s": round(max(call.stop - start, 0.0), 6),
        "message": found.get("message"),
        "expected": found.get("expected"),
        "observed": found.get("observed"),
        "warnings": [w.message for w in data.warnings],
        "exchange": exchange_dict(exchange),
    }
