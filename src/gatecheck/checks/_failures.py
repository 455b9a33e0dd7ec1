"""Conformance failures and warnings: what a check raises when a target answers wrongly.

    AssertionError
    └── ConformanceFailure      a check failed: message, expected, observed, exchange
    UserWarning
    └── ConformanceWarning      a finding that does not fail the check (WARN outcome)
    pytest.skip.Exception
    └── Inconclusive            the harness could not judge (INCONCLUSIVE outcome)

Failures are AssertionErrors, not HarnessErrors: a wrong answer is a finding about the
target, not a fault of the harness (after schemathesis ``core/failures.py``). An
Inconclusive is neither: the check could not be judged (the mock it needs is unreachable,
the target is in a cool-down of its own making, a secret is missing); pytest shows it as a
skip, the results record it as ``inconclusive``, never as the target's failure.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import pytest

from gatecheck import ExchangeLike

__all__ = [
    "Cases",
    "ConformanceFailure",
    "ConformanceWarning",
    "ExchangeLike",
    "Inconclusive",
    "cases",
    "collect_observations",
    "collect_warnings",
    "expect",
    "inconclusive",
    "note_behaviour",
    "observe",
    "warn",
]


class ConformanceFailure(AssertionError):
    """A check failed: what was expected, what came back, and the exchange that showed it.

    ``check_id``, ``level``, ``title`` and ``target`` are filled in by the pytest plugin from
    the test's CheckInfo, so check functions only say what they saw.
    """

    def __init__(
        self, message: str, *, expected: str, observed: str,
        exchange: ExchangeLike | None = None, cause: str | None = None,
        cases: Sequence[ConformanceFailure] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.observed = observed
        self.exchange = exchange
        # What the failure shows of the target, as a cause id of gatecheck.findings (many
        # checks may witness one cause: one finding); None: judged from the observation.
        self.cause = cause
        self.case: str | None = None  # which case of a check that tries several
        self.cases: tuple[ConformanceFailure, ...] = tuple(cases)  # every case that failed
        self.check_id: str | None = None
        self.level: str | None = None
        self.title: str | None = None
        self.target: str | None = None

    def __str__(self) -> str:
        return f"{self.message}\n  expected: {self.expected}\n  observed: {self.observed}"


# Shown by pytest as gatecheck.checks.ConformanceFailure: the public name, not the module.
ConformanceFailure.__module__ = "gatecheck.checks"


def expect(
    condition: bool, message: str, *, expected: str, observed: str,
    exchange: ExchangeLike | None = None, cause: str | None = None,
) -> None:
    """Raise ConformanceFailure unless ``condition`` holds (suites use this, not ``assert``)."""
    __tracebackhide__ = True  # pytest shows the check's line, not this helper
    if not condition:
        raise ConformanceFailure(message, expected=expected, observed=observed,
                                 exchange=exchange, cause=cause)


class Cases:
    """The cases of a check that tries several (placements, surfaces, bad requests).

    Every case runs, and every failing one is recorded, so one defect cannot hide another::

        with cases() as case:
            for surface in target.surfaces:
                with case(f"{surface} malformed JSON"):
                    errors.status_in(...)

    At the end of the block the check fails once, carrying every failed case. A case that
    ends without a verdict (an error such as a timeout or a harness fault, or an
    ``inconclusive()``) neither hides the failures before it nor stops the cases after it:
    with failures the check fails and its message names the unjudged cases; without, the
    check ends as the first of them would have alone, naming every unjudged case. Only the
    run's clock (a final Inconclusive) and pytest's own outcomes stop the cases at once.
    """

    def __init__(self) -> None:
        self.failed: list[ConformanceFailure] = []
        self.unjudged: list[tuple[str, Exception | Inconclusive]] = []
        self.stopped: str | None = None  # why the block ended before its last case
        self.tried = 0

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        self.tried += 1
        try:
            yield
        except ConformanceFailure as failure:
            failure.case = label
            self.failed.append(failure)
        except Inconclusive as unjudged:
            if unjudged.final:
                raise
            self.unjudged.append((label, unjudged))
        except Exception as error:  # kept, and raised again by conclude() if nothing failed
            self.unjudged.append((label, error))

    def conclude(self) -> None:
        """Raise the one failure (or one carrying them all) when any case failed; else
        end the check as its unjudged cases call for."""
        __tracebackhide__ = True
        if not self.failed:
            self._conclude_unjudged()
            return
        if len(self.failed) == 1 and not self.unjudged and self.stopped is None:
            raise self.failed[0]
        first = self.failed[0]
        labels = ", ".join(str(f.case) for f in self.failed)
        told = [f"{len(self.failed)} of {self.tried} cases failed ({labels})"]
        if self.unjudged:
            told.append(self._unjudged_text())
        if self.stopped is not None:
            told.append(f"then the check stopped: {self.stopped}")
        raise ConformanceFailure(
            f"{'; '.join(told)}; first: {first.message}", expected=first.expected,
            observed=first.observed, exchange=first.exchange, cause=first.cause,
            cases=self.failed)

    def _conclude_unjudged(self) -> None:
        __tracebackhide__ = True
        if not self.unjudged:
            return
        errors = [(label, exc) for label, exc in self.unjudged
                  if not isinstance(exc, Inconclusive)]
        if not errors:
            inconclusive(self._unjudged_text())
        # The error itself, not a wrapper: the plugin tells the target's fault (a hang, a
        # body past the cap, an SDK that broke on the answer) from the harness's by it.
        label, error = errors[0]
        error.add_note(f"in case {label!r}")
        if len(self.unjudged) > 1:
            error.add_note(self._unjudged_text())
        raise error

    def _unjudged_text(self) -> str:
        """'2 of 4 cases ended without a verdict (a, b: ReadTimeout: timed out)'."""
        by_reason: dict[str, list[str]] = {}
        for label, exc in self.unjudged:
            reason = exc.reason if isinstance(exc, Inconclusive) else (
                f"{type(exc).__name__}: {str(exc) or '(no message)'}")
            by_reason.setdefault(reason, []).append(label)
        told = "; ".join(f"{', '.join(labels)}: {reason}" for reason, labels in by_reason.items())
        return f"{len(self.unjudged)} of {self.tried} cases ended without a verdict ({told})"


@contextmanager
def cases() -> Iterator[Cases]:
    """Run each ``with case(label):`` block of a check, then fail once with every failure."""
    __tracebackhide__ = True
    collector = Cases()
    try:
        yield collector
    except Inconclusive as stop:
        # The check's time ran out (or it gave up) after some cases had failed: those
        # failures stand, and the verdict says where the check stopped.
        if not collector.failed:
            raise
        collector.stopped = stop.reason
    collector.conclude()


class ConformanceWarning(UserWarning):
    """A WARN finding (e.g. an unknown Anthropic event type): reported, never failing."""

    def __init__(self, message: str, *, exchange: ExchangeLike | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange


# The collector of the check that is running. A lock rather than a ContextVar because a
# check may call warn() from a helper thread (e.g. a stream reader).
_lock = threading.Lock()
_active: list[ConformanceWarning] | None = None


@contextmanager
def collect_warnings() -> Iterator[list[ConformanceWarning]]:
    """Collect warn() calls made while the block runs (the plugin wraps each check in it)."""
    global _active
    collected: list[ConformanceWarning] = []
    with _lock:
        previous, _active = _active, collected
    try:
        yield collected
    finally:
        with _lock:
            _active = previous


def warn(message: str, *, exchange: ExchangeLike | None = None) -> None:
    """Record a WARN outcome for the running check without failing it.

    Outside a check run (unit tests of a check function) it is an ordinary
    ``warnings.warn``, so ``pytest.warns(ConformanceWarning)`` can observe it.
    """
    warning = ConformanceWarning(message, exchange=exchange)
    with _lock:
        target = _active
        if target is not None:
            target.append(warning)
            return
    warnings.warn(warning, stacklevel=2)


# What the running check measured or was told, for the report rather than the verdict: the
# models a target listed, the usage it reported, request timings. Same lock as warnings.
_observed: dict[str, Any] | None = None


@contextmanager
def collect_observations() -> Iterator[dict[str, Any]]:
    """Collect observe() calls made while the block runs (the plugin wraps each check)."""
    global _observed
    collected: dict[str, Any] = {}
    with _lock:
        previous, _observed = _observed, collected
    try:
        yield collected
    finally:
        with _lock:
            _observed = previous


def observe(name: str, value: Any) -> None:
    """Record a JSON-ready fact the running check saw (``observe("models", ids)``).

    Observations never change a verdict: the report shows them (the model list, token
    figures, timed requests) the way the hand-written reports did, but measured. A later
    observation of the same name replaces the earlier one. Outside a run it does nothing.
    """
    with _lock:
        if _observed is not None:
            _observed[name] = value


BEHAVIOUR = "behaviour"  # the observation note_behaviour() records


def note_behaviour(cause: str, message: str) -> None:
    """Record a behaviour of the target that fails nothing but its operator should know (a
    gateway with no credential of its own): the passing check's result names ``cause`` and
    ``message``, an info finding (``findings.OBSERVED_CAUSES``). Outside a run it does
    nothing."""
    observe(BEHAVIOUR, {"cause": cause, "message": message})


class Inconclusive(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The running check could not be judged; raised by :func:`inconclusive`.

    ``final``: the check must stop here (the run's clock ran out), even inside one of its
    cases; any other Inconclusive ends only the case it is raised in (:class:`Cases`).
    """

    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(f"inconclusive: {reason}")
        self.reason = reason
        self.final = final


Inconclusive.__module__ = "gatecheck.checks"


def inconclusive(reason: str) -> NoReturn:
    """End the running check as INCONCLUSIVE: the harness, not the target, is why."""
    __tracebackhide__ = True
    raise Inconclusive(reason)
