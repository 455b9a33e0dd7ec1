"""Time bounds of a run: a deadline for the whole run and a budget for each check.

A target is untrusted: it may stall every request, drip its answers, never end a stream. The
client timeouts bound each request; these bound the checks and the run (issue 12):

- the run's deadline (``--max-time``): a check not started when it has passed is
  inconclusive at once, naming it (``RunClock.overdue``), so a run against a stalling target
  ends soon after it, with its reports;
- a check's budget (``--check-budget``), capped by the time left to the deadline: when it
  runs out, the check is inconclusive ("gatecheck's time budget ... ran out").

Why pytest-timeout, and why through its hook. pytest-timeout (a well-kept plugin) decides
when a check's clock runs: its ``timeout`` marker (a suite may give one check a larger
budget), arming it around setup, call and teardown and disarming it after, never firing under
a debugger. What happens when the clock runs out is gatecheck's, through pytest-timeout's
``pytest_timeout_set_timer`` hook, because neither of its own methods fits: its signal method
raises ``pytest.fail``, a failure that blames the target for gatecheck's budget, and one
Hypothesis catches as a falsifying example and shrinks by running the slow check again with
no clock; its thread method ends the process, and the run its report. Here SIGALRM raises
``Inconclusive``, a skip, which Hypothesis re-raises at once and the SDKs do not catch. The
client deadline (``gatecheck._bounds.set_deadline``) is per request and bounds socket waits
only, not a check's own loops and sleeps, so it cannot be a check's budget.

Signals reach the main thread only. xdist workers run checks in theirs (execnet's
main_thread_only model); a check run from another thread gets no budget, never pytest-timeout's
thread method: its client timeouts still bound every request.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gatecheck.checks import Inconclusive, info_of

__all__ = ["ENV_DEADLINE", "CheckBudget", "RunClock"]

ENV_DEADLINE = "GATECHECK_RUN_DEADLINE"  # the controller's deadline (epoch s), for workers
_RETRY_S = 0.25  # an alarm between two phases (in pytest's own hooks) waits for the next one


@dataclass(slots=True)
class RunClock:
    """The run's deadline (``time.time()``, shared with xdist workers) and a check's budget."""

    max_time: float | None  # seconds, None: no deadline
    check_budget: float | None  # seconds, None: no per-check budget
    deadline: float | None = None
    # Set by `gatecheck run`, whose clock started before the suites did: the deadline is its,
    # and the messages still name the --max-time the user gave.
    given_deadline: float | None = None

    def start(self, now: float | None = None) -> None:
        """Start the run's clock (the controller, at session start)."""
        if self.max_time is None:
            return
        self.deadline = (self.given_deadline if self.given_deadline is not None
                         else (time.time() if now is None else now) + self.max_time)

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    def overdue(self) -> str | None:
        """Why a check may not start any more, or None while there is time."""
        left = self.left()
        if left is None or left > 0:
            return None
        return (f"not run: the run's deadline passed (--max-time {self.max_time:g} s); "
                f"raise --max-time to run every check")

    def marker_seconds(self) -> float | None:
        """The clock pytest-timeout arms for a check (capped again when armed)."""
        return self.check_budget if self.check_budget is not None else self.max_time

    def limit(self, seconds: float) -> tuple[float, str]:
        """How long a check may run from now, and what to say when it runs out."""
        budget = (f"gatecheck's time budget of {seconds:g} s for this check ran out "
                  f"(--check-budget)")
        left = self.left()
        if left is not None and left < seconds:
            return max(left, 0.01), (f"the run's deadline (--max-time {self.max_time:g} s) "
                                     f"passed while this check ran")
        return seconds, budget


class CheckBudget:
    """pytest-timeout's timer hooks for gatecheck's checks (other tests keep its own)."""

    def __init__(self, clock: RunClock) -> None:
        self.clock = clock
        self._reason: str | None = None  # set while a check's clock runs
        self._in_phase = False
        self._restore: tuple[Any, float, float] | None = None

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seconds = self.clock.marker_seconds()
        if seconds is None:
            return
        for item in items:  # a check that names its own timeout keeps it
            if info_of(item) is not None and item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(seconds))

    @pytest.hookimpl(optionalhook=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        if info_of(item) is None:
            return None  # not a check: pytest-timeout's own timer
        if threading.current_thread() is not threading.main_thread():
            return True  # no budget rather than pytest-timeout's process-ending thread method
        seconds, self._reason = self.clock.limit(float(settings.timeout))
        # Restored on cancel: an enclosing run (gatecheck's own tests run the plugin inside
        # pytest-timeout's timer) keeps its own clock.
        started = time.monotonic()
        self._restore = (signal.getsignal(signal.SIGALRM),
                         signal.getitimer(signal.ITIMER_REAL)[0], started)
        signal.signal(signal.SIGALRM, self._ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return True

    @pytest.hookimpl(optionalhook=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        if self._restore is None:
            return None
        handler, remaining, started = self._restore
        self._restore = self._reason = None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, handler)
        if remaining > 0:  # the enclosing clock, less the time this check took
            signal.setitimer(signal.ITIMER_REAL,
                             max(remaining - (time.monotonic() - started), 0.001))
        return True

    def _ring(self, signum: int, frame: Any) -> None:
        reason = self._reason
        if reason is None:
            return
        if not self._in_phase or _debugging():
            # In pytest's own reporting between two phases, or at a breakpoint: try again
            # shortly rather than break pytest or the debugging session.
            signal.setitimer(signal.ITIMER_REAL, _RETRY_S)
            return
        self._reason = None  # once: the check's cleanup must not be interrupted in turn
        raise Inconclusive(reason, final=True)  # final: no case of the check runs on

    @contextlib.contextmanager
    def _phase(self) -> Iterator[None]:
        self._in_phase = True
        try:
            yield
        finally:
            self._in_phase = False

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        with self._phase():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        with self._phase():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        with self._phase():
            return (yield)


def _debugging() -> bool:
    try:
        from pytest_timeout import is_debugging  # type: ignore[import-untyped]
    except ImportError:
        return False
    return bool(is_debugging())
