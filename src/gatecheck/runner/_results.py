"""results.jsonl: one record per check x target, built on the worker, written by the controller.

The record travels from an xdist worker to the controller in the report's
``user_properties`` (the documented channel xdist serializes), under ``RECORD_KEY``; the
controller takes it out again before junitxml would print it as a property.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import IO, Any

import orjson

__all__ = [
    "OUTCOMES",
    "RECORD_KEY",
    "ResultsWriter",
    "merge_phase",
    "read_results",
    "redact_record",
    "redact_text",
]

OUTCOMES = ("passed", "failed", "warned", "skipped", "xfailed")
RECORD_KEY = "gatecheck.record"  # the user property that carries a phase's record

# Which outcome wins when phases disagree: a failing teardown spoils a pass.
_RANK = {"passed": 0, "warned": 1, "xfailed": 2, "skipped": 3, "failed": 4}


# Fields that come from the suites' code or the harness, never from the target: left as
# they are, so a title such as "accepts Authorization: Bearer" is not mangled by the
# redactor's header patterns. Everything else (messages, observed values, exchanges, URLs)
# is redacted.
STATIC_FIELDS = frozenset({
    "run_id", "target", "check_id", "test", "title", "category", "level", "feature",
    "surface", "outcome", "started_at", "duration_s", "profile",
})


# A curl names secrets as -H "header: $ENV_NAME" (double-quoted so the shell expands
# them); the redactor's header patterns would mask the name too, and a curl that says
# "[REDACTED]" no longer runs. Those arguments, which hold a name and never a value, are
# set aside around the pass.
_ENV_HEADER = re.compile(r'"[A-Za-z0-9-]+: (?:Bearer )?\$[A-Z_][A-Z0-9_]{0,127}"')


def redact_text(curl: str, redactor: Any) -> str:
    """``redactor.text`` that keeps curl's ``-H "name: $ENV"`` arguments readable."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"GATECHECKENVREF{len(kept) - 1}X"

    clean: str = redactor.text(_ENV_HEADER.sub(keep, curl))
    for index, original in enumerate(kept):
        clean = clean.replace(f"GATECHECKENVREF{index}X", original)
    return clean


def redact_record(record: dict[str, Any], redactor: Any = None) -> dict[str, Any]:
    """A copy of ``record`` with every target-derived field redacted."""
    if redactor is None:
        from gatecheck._redact import default_redactor

        redactor = default_redactor()
    out = {key: value if key in STATIC_FIELDS else redactor.obj(value)
           for key, value in record.items()}
    exchange = record.get("exchange")
    if isinstance(exchange, dict) and isinstance(exchange.get("curl"), str):
        out["exchange"]["curl"] = redact_text(exchange["curl"], redactor)
    return out


def attach_record(report: Any, record: dict[str, Any]) -> None:
    """Add ``record`` to ``report.user_properties`` (a new list: pytest shares the item's)."""
    report.user_properties = [*report.user_properties, (RECORD_KEY, record)]


def detach_record(report: Any) -> dict[str, Any] | None:
    """Take the record out of ``report.user_properties`` (pairs may arrive as lists)."""
    found: dict[str, Any] | None = None
    kept = []
    for pair in report.user_properties:
        if pair[0] == RECORD_KEY and isinstance(pair[1], dict):
            found = pair[1]
        else:
            kept.append(pair)
    if found is not None:
        report.user_properties = kept
    return found


def merge_phase(current: dict[str, Any] | None, phase: dict[str, Any]) -> dict[str, Any]:
    """Combine the record of one phase (setup/call/teardown) into the test's record."""
    if current is None:
        return phase
    if _RANK[phase["outcome"]] <= _RANK[current["outcome"]]:
        return current
    merged = dict(current)
    for key in ("outcome", "message", "expected", "observed"):
        merged[key] = phase.get(key)
    if phase.get("exchange") is not None:
        merged["exchange"] = phase["exchange"]
    return merged


def utc_iso(epoch_s: float) -> str:
    """An epoch time as an ISO 8601 UTC string with milliseconds."""
    stamp = dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ResultsWriter:
    """Appends redacted records to results.jsonl, one line each, flushed as they come.

    Registered as a pytest plugin, it listens to the run's events (``CheckFinished`` lines,
    closed at ``RunFinished``).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] | None = path.open("wb")
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise ValueError("results writer is closed")
        # Exchanges are redacted when built; this second pass catches secrets that reached a
        # message or an observed value through a check's own text.
        clean = redact_record(record)
        self._file.write(orjson.dumps(clean, option=orjson.OPT_SORT_KEYS) + b"\n")
        self._file.flush()
        self.count += 1

    def pytest_gatecheck_event(self, event: Any) -> None:
        from gatecheck.runner._events import CheckFinished

        if isinstance(event, CheckFinished):
            self.write(dict(event.record))
        elif event.is_terminal:
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_results(path: Path) -> list[dict[str, Any]]:
    """The records of a results.jsonl file (blank lines ignored)."""
    records: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(value, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            records.append(value)
    return records
