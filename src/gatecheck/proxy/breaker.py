"""A circuit breaker per provider: closed -> open after N failures -> one half-open probe.

What counts, and what does not (seed-systems §2, the claude-proxy breaker got each wrong):

- Only the upstream's own failures open it: 5xx, 529, timeouts, connection errors. A 4xx
  (a client's bad request, an unknown model, a 429) is an answer from a working upstream
  and resets the count, so bad clients can never open the breaker for everyone.
- A client request counts once, after its retries on that provider, so one request
  retried three times is one failure, not three. A stream's verdict is its status: a
  failure after the 200 (a cut, an idle timeout) ends that stream with an error event
  but does not count here.
- After the cool-down exactly ONE request goes through as a probe (half-open); the rest are
  refused until the probe's outcome is known. Success closes the breaker, failure opens it
  for another cool-down. A probe that ends without an outcome (the client left) hands the
  probe to the next request.
- State changes happen synchronously on the event loop, with no ``await`` between the
  check and the update, so concurrent requests cannot race it (the seed recorded failures
  in a spawned task).

``clock`` is injectable: tests move time instead of sleeping through the cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["CircuitBreaker", "Permit", "State"]

State = Literal["closed", "open", "half_open"]
STATE_VALUES: dict[State, int] = {"closed": 0, "open": 1, "half_open": 2}


class Permit:
    """Leave to send one request; ``probe`` when it is the half-open probe."""

    __slots__ = ("done", "probe")

    def __init__(self, probe: bool) -> None:
        self.probe = probe
        self.done = False


class CircuitBreaker:
    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self.state: State = "closed"
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self.times_opened = 0
        self._probing = False

    def _set(self, state: State) -> None:
        if state != self.state:
            self.state = state
            if self._on_change is not None:
                self._on_change(state)

    def retry_after(self) -> float:
        """Seconds until the next probe may go (0 when requests may go now)."""
        if self.state == "closed" or self.opened_at is None:
            return 0.0
        return max(self.opened_at + self.cooldown - self._clock(), 0.0)

    def try_acquire(self) -> Permit | None:
        """A permit, or None while open (or while another request is the probe)."""
        if self.state == "closed":
            return Permit(False)
        if self.state == "open" and self.retry_after() > 0:
            return None
        if self._probing:
            return None
        self._probing = True
        self._set("half_open")
        return Permit(True)

    def success(self, permit: Permit) -> None:
        """The upstream answered (2xx-4xx): it works."""
        if permit.done:
            return
        permit.done = True
        self.consecutive_failures = 0
        if permit.probe:
            self._probing = False
        if self.state != "closed":
            self.opened_at = None
            self._set("closed")

    def failure(self, permit: Permit) -> None:
        """5xx, 529, a timeout or a connection error."""
        if permit.done:
            return
        permit.done = True
        self.consecutive_failures += 1
        if permit.probe:
            self._probing = False
            self._open()
        elif self.state == "closed" and self.consecutive_failures >= self.threshold:
            self._open()

    def release(self, permit: Permit) -> None:
        """The request ended with no verdict (cancelled): a probe goes back to the pool."""
        if not permit.done:
            permit.done = True
            if permit.probe:
                self._probing = False

    def _open(self) -> None:
        self.opened_at = self._clock()
        self.times_opened += 1
        self._set("open")

    def snapshot(self) -> dict[str, Any]:
        """What /health shows."""
        state = self.state
        if state == "open" and self.retry_after() == 0:
            state = "half_open"  # the next request will be the probe
        return {
            "state": state,
            "consecutive_failures": self.consecutive_failures,
            "threshold": self.threshold,
            "cooldown_s": self.cooldown,
            "retry_after_s": round(self.retry_after(), 3),
            "times_opened": self.times_opened,
        }
