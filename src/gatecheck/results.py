"""The results contract: one typed record per check x target, the run's events, their file.

``results.jsonl`` holds one :class:`CheckResult` per line (``schemas/gatecheck/results-record.json``
describes it). The pytest plugin builds the records and emits the run's events; the writer
listens; reports, the comparison, the site and ``gatecheck run``'s exit status read the file
back with :func:`read_results`. Nothing else writes or parses a record.

Outcomes::

    passed        the check ran and the target met it
    warned        met, with a WARN finding (not a failure)
    failed        the target does not meet it (``stale``: a known deviation passes now)
    xfailed       a known deviation listed in the target's profile still reproduces
    skipped       not applicable: a feature or surface the target does not claim
    inconclusive  the harness could not judge (target unreachable, mock unreachable, a
                  missing secret, a setup error, the run's deadline): never the gateway's fault

Redaction happens once on the way out (the plugin redacts a record before it becomes an
event) and once on the way in (a file of unknown origin), never in between.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Final, Literal, cast, get_args

import orjson

from gatecheck._redact import Redactor, default_redactor, redact_curl
from gatecheck.schemas import validator

__all__ = [
    "CATEGORIES",
    "LEVELS",
    "OUTCOMES",
    "CaseResult",
    "CheckFinished",
    "CheckResult",
    "Level",
    "Outcome",
    "ResultsWriter",
    "RunEvent",
    "RunFinished",
    "RunStarted",
    "outcome_counts",
    "read_results",
    "utc_iso",
]

Level = Literal["MUST", "SHOULD", "MAY"]
Outcome = Literal["passed", "warned", "failed", "xfailed", "skipped", "inconclusive"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)

# The report's rows, in the order the report lists them (DESIGN.md).
CATEGORIES: Final = (
    "Health", "Keys", "Authentication", "Completions", "Streaming", "Models", "Errors",
    "Tokens", "CORS", "Aliases", "Limits", "Rate limits", "SDK compatibility", "Performance",
)

# Fields that come from the suites' code or the harness, never from the target: left as
# they are, so a title such as "accepts Authorization: Bearer" is not mangled by the
# redactor's header patterns. Everything else (messages, observed values, exchanges, URLs)
# is redacted.
_STATIC_FIELDS: Final = frozenset({
    "run_id", "target", "check_id", "test", "title", "category", "level", "feature",
    "surface", "outcome", "started_at", "duration_s", "profile", "stale", "cause",
})


def utc_iso(epoch_s: float) -> str:
    """An epoch time as an ISO 8601 UTC string with milliseconds."""
    stamp = dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResult:
    """One failed case of a check that tries several (a placement, a surface, a request)."""

    label: str
    message: str
    expected: Any = None
    observed: Any = None
    cause: str | None = None
    exchange: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["exchange"] = dict(self.exchange) if self.exchange is not None else None
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One check x target of a run: what was checked, the outcome, and the evidence."""

    target: str
    check_id: str
    test: str  # the pytest node id: suites/test_x.py::test_y[target]
    title: str
    category: str
    level: Level
    outcome: Outcome
    started_at: str | None = None
    duration_s: float = 0.0
    feature: str | None = None
    surface: str | None = None
    message: str | None = None
    expected: Any = None
    observed: Any = None
    warnings: tuple[str, ...] = ()
    exchange: Mapping[str, Any] | None = None  # redacted, with its curl
    run_id: str | None = None
    profile: str | None = None
    target_url: str | None = None
    note: str | None = None  # e.g. a known deviation its check could not verify
    stale: bool = False  # failed because a listed known deviation passes now
    cause: str | None = None  # what the failure shows, as a gatecheck.findings cause id
    cases: tuple[CaseResult, ...] = ()  # every failed case, when the check tried several
    # What the check saw for the report, not the verdict (gatecheck.checks.observe): e.g.
    # "models" (the ids listed), "usage" (the gateway's token figures), "timings".
    observations: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (the line results.jsonl holds)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["warnings"] = list(self.warnings)
        out["exchange"] = dict(self.exchange) if self.exchange is not None else None
        out["cases"] = [case.to_json() for case in self.cases]
        out["observations"] = dict(self.observations)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        """A record from its JSON form (validate it first: see :func:`read_results`)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["warnings"] = tuple(values.get("warnings") or ())
        values["cases"] = tuple(CaseResult(**case) for case in values.get("cases") or ())
        values["observations"] = dict(values.get("observations") or {})
        return cls(**values)

    def redacted(self, redactor: Redactor | None = None) -> CheckResult:
        """A copy with every target-derived field redacted (static fields left alone)."""
        redactor = redactor or default_redactor()
        changes: dict[str, Any] = {}
        for name, value in self.to_json().items():
            if name in _STATIC_FIELDS or value is None:
                continue
            clean = redactor.obj(value)
            if name == "exchange" and isinstance(value.get("curl"), str):
                clean["curl"] = redact_curl(value["curl"], redactor)
            if name == "cases":
                clean = tuple(_redacted_case(case, redactor) for case in self.cases)
            if name == "warnings":
                clean = tuple(clean)
            if clean != getattr(self, name):
                changes[name] = clean
        return dataclasses.replace(self, **changes) if changes else self


def _redacted_case(case: CaseResult, redactor: Redactor) -> CaseResult:
    exchange = redactor.obj(dict(case.exchange)) if case.exchange is not None else None
    if exchange is not None and isinstance(exchange.get("curl"), str):
        exchange["curl"] = redact_curl(case.exchange["curl"], redactor)  # type: ignore[index]
    return dataclasses.replace(case, message=redactor.text(case.message),
                               expected=redactor.obj(case.expected),
                               observed=redactor.obj(case.observed), exchange=exchange)


# -- the run's events (after schemathesis engine/events.py) ---------------------------------


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEvent:
    """Base of every event: a unique id and when it happened (epoch seconds)."""

    id: str = field(default_factory=_new_id)
    timestamp: float = field(default_factory=time.time)
    is_terminal: ClassVar[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(RunEvent):
    """Targets are selected, started and probed; checks are about to run."""

    run_id: str
    profile: str
    targets: Mapping[str, str | None]  # name -> base URL (None: not started)
    unreachable: Mapping[str, str]  # name -> why the start-of-session probe failed


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFinished(RunEvent):
    """One check x target has an outcome (the result is already redacted)."""

    result: CheckResult


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(RunEvent):
    """The last event of a run: outcome counts over every CheckFinished."""

    is_terminal: ClassVar[bool] = True
    counts: Mapping[str, int]


# -- the file ------------------------------------------------------------------------------


class ResultsWriter:
    """Appends records to results.jsonl, one line each, flushed as they come.

    Registered as a pytest plugin, it listens to the run's events (``CheckFinished`` lines,
    closed at ``RunFinished``).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] | None = path.open("wb")
        self.count = 0

    def write(self, result: CheckResult) -> None:
        if self._file is None:
            raise ValueError("results writer is closed")
        line = orjson.dumps(result.to_json(), option=orjson.OPT_SORT_KEYS, default=str)
        self._file.write(line + b"\n")
        self._file.flush()
        self.count += 1

    def pytest_gatecheck_event(self, event: RunEvent) -> None:
        if isinstance(event, CheckFinished):
            self.write(event.result)
        elif event.is_terminal:
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_results(path: Path, redactor: Redactor | None = None) -> list[CheckResult]:
    """The records of a results.jsonl file, validated and redacted (blank lines ignored).

    A line that is not a valid record is a ValueError naming the file, line and field.
    """
    check = validator("gatecheck/results-record")
    records: list[CheckResult] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
            error = next(iter(check.iter_errors(value)), None)
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "the record"
                raise ValueError(f"{path}:{number}: {where}: {error.message}")
            records.append(CheckResult.from_json(cast(dict[str, Any], value)).redacted(redactor))
    return records


def outcome_counts(results: Iterable[CheckResult]) -> dict[str, int]:
    """How many results had each outcome (every outcome listed, zeros included)."""
    counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts
