"""The load generator watching itself: its CPU use and how late its event loop wakes up.

When the client saturates, every figure it measures grows with its own queueing, not the
target's latency. Each load process runs one of these greenlets; the readings travel with
the samples and ``_summary.client_health`` turns them into warnings.
"""

from __future__ import annotations

import time

import gevent
import psutil  # type: ignore[import-untyped]  # locust's own dependency; no stubs here

__all__ = ["HealthMonitor"]

TICK_S = 0.25  # loop-lag probe period
CPU_EVERY = 4  # a CPU reading every 4 ticks (about once a second)
WARMUP_TICKS = 4  # the first second is spawning users and first connections: not kept


class HealthMonitor:
    """Collects CPU % and loop-lag readings (ms) until stopped; drain() hands out new ones."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.lag: list[float] = []
        self._greenlet: gevent.Greenlet | None = None
        self._process = psutil.Process()

    def start(self) -> None:
        if self._greenlet is None:
            self._process.cpu_percent(None)  # the first call only sets the baseline
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def drain(self) -> tuple[list[float], list[float]]:
        cpu, lag = self.cpu, self.lag
        self.cpu, self.lag = [], []
        return cpu, lag

    def _run(self) -> None:
        tick = 0
        while True:  # bounded by the run: stop() kills it at test_stop / quitting
            before = time.perf_counter()
            gevent.sleep(TICK_S)
            lag = round(max(0.0, time.perf_counter() - before - TICK_S) * 1000, 3)
            tick += 1
            if tick <= WARMUP_TICKS:
                continue
            self.lag.append(lag)
            if tick % CPU_EVERY == 0:
                self.cpu.append(self._process.cpu_percent(None))
