"""Open-loop arrivals: intended send times at a set rate, constant or Poisson, seeded.

A closed-loop generator waits for each answer before it sends again, so a slow gateway is
measured less often exactly when it is slow (coordinated omission). The pacer fixes the
schedule in advance instead: arrival ``i`` is due at ``start + offset_i`` whatever happened
before. Users claim arrivals in order and wait for their due time; when every user is busy
the next arrival is claimed late, and the lateness (schedule lag) is measured, not hidden.

Across processes the one schedule is dealt out: process ``k`` of ``n`` takes arrivals
``i`` with ``i % n == k``, so the union over processes is exactly the configured schedule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

__all__ = ["Arrival", "ArrivalKind", "Pacer"]

ArrivalKind = Literal["constant", "poisson"]


@dataclass(frozen=True, slots=True)
class Arrival:
    index: int  # position in the whole run's schedule
    due_ns: int  # intended send time, on the perf_counter_ns clock


class Pacer:
    """The schedule of one process: ``claim()`` hands out the next arrival, in order.

    Args:
        rate: arrivals per second over the whole run (all processes together).
        kind: "constant" (every 1/rate s) or "poisson" (exponential gaps of mean 1/rate, from
            ``random.Random(seed)``: the same seed gives the same schedule).
        start_ns: perf_counter_ns of arrival 0's due time.
        process_index / processes: this process's share of the schedule.
        max_lag_ns: with the "drop" overload policy, arrivals already later than this when
            claimed are skipped and counted in ``dropped`` (k6's dropped iterations); None
            sends every arrival however late ("queue": the lag is reported instead).
    """

    __slots__ = ("_next", "_rng", "_t", "dropped", "kind", "max_lag_ns", "process_index",
                 "processes", "rate", "start_ns")

    def __init__(
        self, rate: float, kind: ArrivalKind = "constant", *, start_ns: int, seed: int = 0,
        process_index: int = 0, processes: int = 1, max_lag_ns: int | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        if kind not in ("constant", "poisson"):
            raise ValueError(f"unknown arrival kind {kind!r}")
        if not 0 <= process_index < processes:
            raise ValueError(f"process index {process_index} outside 0..{processes - 1}")
        self.rate, self.kind, self.start_ns = rate, kind, start_ns
        self.process_index, self.processes = process_index, processes
        self.max_lag_ns = max_lag_ns
        self.dropped = 0
        self._rng = random.Random(seed)
        self._next = 0  # index of the next arrival of the whole schedule
        self._t = 0.0  # its offset from start, in seconds (poisson: running sum of gaps)

    def _advance(self) -> Arrival:
        index, offset = self._next, self._t
        self._next += 1
        if self.kind == "constant":
            self._t = self._next / self.rate  # no running sum: no float drift over a long run
        else:
            self._t += self._rng.expovariate(self.rate)
        return Arrival(index, self.start_ns + round(offset * 1e9))

    def claim(self, now_ns: int) -> Arrival:
        """The next arrival of this process (skipping the ones it must drop)."""
        while True:
            arrival = self._advance()
            if arrival.index % self.processes != self.process_index:
                continue  # another process's arrival; poisson still draws its gap
            if self.max_lag_ns is not None and now_ns - arrival.due_ns > self.max_lag_ns:
                self.dropped += 1
                continue
            return arrival
