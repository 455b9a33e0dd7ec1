"""Build the CheckResult of one test phase from pytest's report and call info."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai
import pytest

from gatecheck import ClientTimeoutError, ResponseTooLargeError, StreamError
from gatecheck.checks import (
    BEHAVIOUR,
    CheckInfo,
    ConformanceFailure,
    ConformanceWarning,
    ExchangeLike,
    Inconclusive,
)
from gatecheck.pytest._cooldown import Answer, CoolDown
from gatecheck.results import CaseResult, CheckResult, Outcome, utc_iso

__all__ = [
    "RECORD_KEY", "ItemData", "attach_result", "detach_result", "exchange_dict", "merge_phase",
    "phase_result",
]

_TEXT_LIMIT = 2000  # characters of a message or an unexpected exception kept in a record

# Which outcome wins when phases disagree: a failing teardown spoils a pass.
_RANK: dict[Outcome, int] = {"passed": 0, "warned": 1, "xfailed": 2, "skipped": 3,
                             "inconclusive": 4, "failed": 5}


@dataclass
class ItemData:
    """What a running check accumulates: its exchanges, warnings and start time."""

    start: float | None = None
    exchanges: list[Any] = field(default_factory=list)
    warnings: list[ConformanceWarning] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)  # every answer, for _cooldown
    cool_down: CoolDown | None = None  # the check met the gateway's own cool-down


def exchange_dict(exchange: ExchangeLike | None) -> dict[str, Any] | None:
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


# What the target did to the client: a hang past the deadline, a body past the size cap,
# a stream that could not be read. These are the target's failures, named as such; the SDKs
# raise them chained under their own errors, or as their own timeout errors.
_TARGET_FAULTS = (ClientTimeoutError, ResponseTooLargeError, StreamError)
_SDK_TIMEOUTS = (openai.APITimeoutError, anthropic.APITimeoutError)
# No answer at all (refused, reset): the target went away, which says nothing of its API.
_SDK_CONNECTION = (openai.APIConnectionError, anthropic.APIConnectionError)
_SDKS = ("openai", "anthropic")


def _target_fault(exc: BaseException) -> BaseException | None:
    """The target's fault ``exc`` is, or was raised from (an SDK error's cause chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (*_TARGET_FAULTS, *_SDK_TIMEOUTS)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _sdk_frame(exc: BaseException) -> str | None:
    """The innermost frame of an official SDK's that ``exc`` passed through, if any: the SDK
    broke on what the target sent (a body it could not parse, a stream it could not build)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.partition(".")[0] in _SDKS:
            found = f"{module}.{tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return found


def _cases(failures: list[ConformanceFailure]) -> tuple[CaseResult, ...]:
    return tuple(CaseResult(label=str(f.case) if f.case is not None else f"failure {n}",
                            message=f.message, expected=f.expected, observed=f.observed,
                            cause=f.cause, exchange=exchange_dict(f.exchange))
                 for n, f in enumerate(failures, 1))


def _conformance(exc: BaseException) -> list[ConformanceFailure]:
    """The conformance failures in ``exc``: itself, or those of an exception group (Hypothesis
    raises one when it finds several distinct failing examples)."""
    if isinstance(exc, ConformanceFailure):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        return [f for inner in exc.exceptions for f in _conformance(inner)]
    return []


def _failure(call: pytest.CallInfo[None] | None) -> tuple[Outcome, dict[str, Any]]:
    if call is None or call.excinfo is None:
        return "failed", {}
    exc = call.excinfo.value
    failures = _conformance(exc)
    if failures:
        first = failures[0]
        cases = first.cases if isinstance(exc, ConformanceFailure) else failures
        return "failed", {"message": first.message, "expected": first.expected,
                          "observed": first.observed, "exchange": first.exchange,
                          "cause": first.cause, "cases": _cases(list(cases))}
    if isinstance(exc, pytest.fail.Exception):
        return "failed", {"message": exc.msg}
    text = _text(exc)
    exchange = getattr(exc, "exchange", None)
    fault = _target_fault(exc)
    if fault is not None:
        where = _notes(exc) if fault is not exc else ""
        return "failed", {"message": f"the target's answer could not be used: {_text(fault)}"
                                     f"{where}"[:_TEXT_LIMIT],
                          "exchange": exchange or getattr(fault, "exchange", None)}
    sdk = _sdk_frame(exc)
    if sdk is not None and not isinstance(exc, _SDK_CONNECTION):
        return "failed", {"message": f"an official SDK failed on the target's answer: {text} "
                                     f"(in {sdk})"[:_TEXT_LIMIT], "cause": "sdk-breaks"}
    # Not a finding: the harness could not judge (a fixture or check broke, the target went
    # away mid-run). Say so rather than blame the target.
    return "inconclusive", {"message": f"error while checking: {text}", "exchange": exchange}


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc) or '(no message)'}{_notes(exc)}"[:_TEXT_LIMIT]


def _notes(exc: BaseException) -> str:
    """Where the error struck, as its notes say (checks.Cases adds "in case 'openai'")."""
    return "".join(f"; {note}" for note in getattr(exc, "__notes__", ()) if isinstance(note, str))


def phase_result(
    item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None],
    info: CheckInfo, target: str, data: ItemData,
) -> CheckResult | None:
    """The result of this phase, or None when the phase decides nothing (a passing setup)."""
    if report.passed and report.when != "call":
        return None
    found: dict[str, Any] = {}
    stale = False
    outcome: Outcome
    raised = call.excinfo.value if call.excinfo is not None else None
    if report.skipped and isinstance(raised, Inconclusive):
        outcome, found["message"] = "inconclusive", raised.reason
    elif report.skipped and hasattr(report, "wasxfail"):
        outcome, found["message"] = "xfailed", f"known deviation: {report.wasxfail}"
    elif report.skipped:
        outcome, found["message"] = "skipped", _skip_reason(report)
    elif report.failed:
        outcome = "failed"
        longrepr = report.longrepr
        if isinstance(longrepr, str) and longrepr.startswith("[XPASS(strict)]"):
            # A listed deviation whose check passes now: the run fails on it whatever the
            # check's level, so profiles cannot rot.
            reason = longrepr.removeprefix("[XPASS(strict)]").strip()
            stale = True
            found["message"] = (f"known deviation no longer reproduces ({reason}): the check "
                                f"passes now; remove the deviation from the target's profile")
        else:
            outcome, found = _failure(call)
            if report.when != "call":
                found["message"] = f"{report.when} failed: {found.get('message', '')}"
    else:
        outcome = "warned" if data.warnings else "passed"
        if data.warnings:
            found["message"] = "; ".join(w.message for w in data.warnings)[:_TEXT_LIMIT]
    behaviour = data.observations.get(BEHAVIOUR)
    # A cool-down waited out between a check's own requests (MockLog.past_cool_down) is
    # found from its "cool-down" observation (findings.derive_findings), whatever the verdict.
    if outcome in ("passed", "warned") and isinstance(behaviour, dict):
        found["cause"] = behaviour.get("cause")  # checks.note_behaviour: an info finding
        found["observed"] = behaviour.get("message")
        found.setdefault("message", behaviour.get("message"))
    if data.cool_down is not None and outcome in ("passed", "warned", "inconclusive"):
        found["cause"] = "cool-down"  # the gateway's own behaviour, seen; not this verdict
        found["observed"] = data.cool_down.describe()
        found.setdefault("message", found["observed"])
        found.setdefault("exchange", data.cool_down.answers[0].exchange)
    exchange = found.get("exchange")
    if exchange is None and data.exchanges:
        exchange = data.exchanges[-1]
    if exchange is None and data.warnings:
        exchange = next((w.exchange for w in data.warnings if w.exchange is not None), None)
    start = data.start if data.start is not None else call.start
    return CheckResult(
        target=target, check_id=info.id, test=item.nodeid, title=info.title,
        category=info.category, level=info.level, feature=info.feature, surface=info.surface,
        outcome=outcome, started_at=utc_iso(start),
        duration_s=round(max(call.stop - start, 0.0), 6), message=found.get("message"),
        expected=found.get("expected"), observed=found.get("observed"),
        warnings=tuple(w.message for w in data.warnings), exchange=exchange_dict(exchange),
        stale=stale, cause=found.get("cause"), cases=found.get("cases", ()),
        observations=dict(data.observations) if report.when == "call" else {},
    )


def merge_phase(current: CheckResult | None, phase: CheckResult) -> CheckResult:
    """Combine the result of one phase (setup/call/teardown) into the test's result."""
    if current is None:
        return phase
    if _RANK[phase.outcome] <= _RANK[current.outcome]:
        return current
    return dataclasses.replace(
        current, outcome=phase.outcome, message=phase.message, expected=phase.expected,
        observed=phase.observed, stale=phase.stale, cause=phase.cause, cases=phase.cases,
        exchange=phase.exchange if phase.exchange is not None else current.exchange,
        observations=current.observations or phase.observations)


# A phase's result travels from an xdist worker to the controller in the report's
# ``user_properties`` (the documented channel xdist serializes), as its JSON form under
# this key; the controller takes it out again before junitxml would print it as a property.
RECORD_KEY = "gatecheck.record"


def attach_result(report: pytest.TestReport, result: CheckResult) -> None:
    """Add ``result`` to ``report.user_properties`` (a new list: pytest shares the item's)."""
    report.user_properties = [*report.user_properties, (RECORD_KEY, result.to_json())]


def detach_result(report: pytest.TestReport) -> CheckResult | None:
    """Take the result out of ``report.user_properties`` (pairs may arrive as lists)."""
    found: dict[str, Any] | None = None
    kept = []
    for pair in report.user_properties:
        if pair[0] == RECORD_KEY and isinstance(pair[1], dict):
            found = pair[1]
        else:
            kept.append(pair)
    if found is None:
        return None
    report.user_properties = kept
    return CheckResult.from_json(found)
