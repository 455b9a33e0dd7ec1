"""A target that stopped answering: its remaining checks are inconclusive at once.

A gateway may stall every API request while its health routes answer (issue 12). Each check
then waits out its client's timeouts (30 s a read) and its budget, and a run of 180 checks
would end only at its deadline. So each process watches the answers its checks get: after
``STALLS_IN_A_ROW`` requests in a row to a target got no answer at all (a timeout before the
status line), the next check first asks the target one cheap question, ``GET`` on its API's
``/models`` with a short timeout. Any HTTP answer (a 401 or 404 too) means the target still
answers, and the count starts again: a check that makes a patient gateway wait on a hanging
upstream (ERR-12) stalls a request or two on purpose. No answer either: the target stopped
answering, and every check still to run on it is inconclusive, saying so, instead of
waiting for it. The checks that met the stalls keep their own verdicts.

Per process: xdist workers each find it out (within a check or two of each other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gatecheck import ClientTimeoutError, GatewayClient, HarnessError, Timeouts
from gatecheck.targets import TargetConfig

__all__ = ["PROBE_TIMEOUT_S", "STALLS_IN_A_ROW", "StallWatch", "stalled"]

STALLS_IN_A_ROW = 2
PROBE_TIMEOUT_S = 10.0
_PROBE_MAX_BYTES = 64 << 10  # the probe needs an answer, not its body


def stalled(exchange: Any) -> bool:
    """Whether an exchange got no answer at all: a timeout before the status line."""
    error = getattr(exchange, "error", None) or ""
    return (exchange.status is None and not exchange.response_bytes
            and ("timeout" in error or "deadline" in error))


def probe(target: TargetConfig) -> str | None:
    """None when the target answers GET <api>/models at all, else what happened."""
    surface = "openai" if target.has_surface("openai") else next(iter(target.surfaces))
    base = target.api_base_url(surface)
    timeouts = Timeouts(connect=PROBE_TIMEOUT_S, read=PROBE_TIMEOUT_S, total=PROBE_TIMEOUT_S)
    try:
        with GatewayClient(base, timeouts=timeouts, max_response_bytes=_PROBE_MAX_BYTES) as client:
            client.request("GET", "/models")
    except ClientTimeoutError:
        return f"GET {base}/models got none within {PROBE_TIMEOUT_S:g} s either"
    except HarnessError:
        return None  # it answered something (too much, off its origin, not HTTP we read)
    return None


@dataclass
class StallWatch:
    """Per target: stalled requests in a row, and why it was found to have stopped."""

    probe: Callable[[TargetConfig], str | None] = probe
    in_a_row: dict[str, int] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)  # the last stalled request's error
    stopped: dict[str, str] = field(default_factory=dict)

    def saw(self, name: str, exchange: Any) -> None:
        """Note one exchange of a check on target ``name``."""
        if stalled(exchange):
            self.in_a_row[name] = self.in_a_row.get(name, 0) + 1
            self.last[name] = f"{exchange.method} {exchange.url}: {exchange.error}"
        elif exchange.status is not None:
            self.in_a_row[name] = 0

    def verdict(self, target: TargetConfig) -> str | None:
        """Before a check on ``target``: None to run it, else why it is inconclusive."""
        name = target.name
        if name in self.stopped:
            return self.stopped[name]
        n = self.in_a_row.get(name, 0)
        if n < STALLS_IN_A_ROW:
            return None
        why = self.probe(target)
        if why is None:
            self.in_a_row[name] = 0
            return None
        self.stopped[name] = (
            f"not run: target {name!r} stopped answering: {n} requests in a row got no answer "
            f"(the last: {self.last.get(name, '?')}), and {why}")
        return self.stopped[name]
