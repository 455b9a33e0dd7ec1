"""Load shapes: the ramp's user steps (or straight line), and the capacity search's steps.

The ramp: equal user steps, or a straight line, up to ``-u`` across ``-t``.
Latency that bends at some concurrency shows up as one stage whose ttft or e2e jumps; the
summary reports every stage on its own (``stages`` in summary.json). With the linear ramp
(``--gatecheck-shape ramp``) the stages are the same time windows, each reported with the
user count it ends at.
"""

from __future__ import annotations

import locust
from locust import LoadTestShape

import math
import time
from pathlib import Path
from typing import Any

from gatecheck.load._calibration import read_floor
from gatecheck.load._capacity import (
    CLIENT_SLO,
    DEFAULT_SLO,
    CapacitySearch,
    Slo,
    judge,
    parse_slos,
    step_record,
)
from gatecheck.load._options import LoadSettings, plan_stages
from gatecheck.load._process import BOOK, poll_truth
from gatecheck.load._summary import summarize

__all__ = ["CapacityShape", "StepShape", "plan_stages"]


class StepShape(LoadTestShape):
    """Reads -u (top users), -r (spawn rate), -t (total time), --gatecheck-steps and -shape."""

    use_common_options = True

    def _options(self) -> Any:
        return None if self.runner is None else self.runner.environment.parsed_options

    def stages(self) -> list[dict[str, Any]]:
        options = self._options()
        users = int(getattr(options, "num_users", None) or 10)
        duration = float(getattr(options, "run_time", None) or 60)
        return plan_stages(users, duration, int(getattr(options, "gatecheck_steps", 5)))

    def tick(self) -> tuple[int, float] | None:
        options = self._options()
        spawn_rate = float(getattr(options, "spawn_rate", None) or 10)
        elapsed = float(self.get_run_time())  # type: ignore[no-untyped-call]
        stages = self.stages()
        if elapsed >= stages[-1]["end_s"]:
            return None
        if getattr(options, "gatecheck_shape", "step") == "ramp":
            top, end = stages[-1]["users"], stages[-1]["end_s"]
            return max(1, math.ceil(top * elapsed / end)), spawn_rate
        for stage in stages:
            if elapsed < stage["end_s"]:
                return stage["users"], spawn_rate
        return None



class CapacityShape(LoadTestShape):
    """The capacity search: steps of users, each judged against the SLO (see ``_capacity``).

    Reads -u (the most users to try), -t (the time cap), --gatecheck-slo and
    --gatecheck-step-duration. Each step runs ``step`` seconds at its user count; it is
    judged on the requests that finished in it after the first ``settle`` seconds (users
    starting, requests of the step before still in flight), from the exact samples joined
    to the mock's timings. With workers, the step runs on for one worker report interval
    so their last samples have arrived when it is judged.
    """

    use_common_options = True
    scenario = "capacity"

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._search: CapacitySearch | None = None
        self._slos: tuple[Slo, ...] = ()
        self._steps: list[dict[str, Any]] = []
        self._current: tuple[int, float, float] | None = None  # users, start (run s, epoch)
        self._timed_out = False
        self._floor: dict[str, Any] | None = None
        self.step_s = 10.0
        self.settle_s = 2.0
        self.grace_s = 0.0
        self.cap_s = 300.0

    def _setup(self) -> None:
        options = None if self.runner is None else self.runner.environment.parsed_options
        settings = LoadSettings.from_options(options) if options is not None else LoadSettings()
        self._slos = parse_slos(settings.slo or (DEFAULT_SLO if settings.mock_url
                                                 else CLIENT_SLO))
        self._search = CapacitySearch(ceiling=max(1, int(getattr(options, "num_users", 0)
                                                         or 64)))
        self._floor = read_floor(Path(settings.calibration)) if settings.calibration else None
        self.step_s = settings.step_duration
        self.settle_s = min(max(1.0, 0.2 * self.step_s), self.step_s / 2)
        master = isinstance(self.runner, locust.runners.MasterRunner)
        self.grace_s = locust.runners.WORKER_REPORT_INTERVAL + 1.0 if master else 0.0
        self.cap_s = float(getattr(options, "run_time", None) or 300)

    def tick(self) -> tuple[int, float] | None:
        elapsed = float(self.get_run_time())  # type: ignore[no-untyped-call]
        if self._search is None:
            self._setup()
        if self._current is not None:
            users, begun, _ = self._current
            if elapsed < begun + self.step_s + self.grace_s:
                return users, float(users)
            self._judge()
        return self._begin(elapsed)

    def _begin(self, elapsed: float) -> tuple[int, float] | None:
        assert self._search is not None
        users = self._search.next_load()
        self._current = None
        if users is None:
            return None
        if elapsed + self.step_s + self.grace_s > self.cap_s - 1.0:  # 1 s for the stop
            self._timed_out = True
            return None
        self._current = (users, elapsed, time.time())
        return users, float(users)

    def _judge(self) -> None:

        assert self._search is not None
        assert self._current is not None
        users, begun, wall = self._current
        environment = self.runner.environment if self.runner is not None else None
        if environment is not None:
            poll_truth(environment)
        lo, hi = wall + self.settle_s, wall + self.step_s
        window = [s for s in BOOK.samples
                  if lo <= s.t + (s.e2e or 0.0) / 1000.0 < hi]
        summary = summarize(window, run={"users": users}, floor=self._floor)
        met, checks = judge(summary, self._slos)
        self._search.record(users, met)
        self._steps.append(step_record(users, begun, self.step_s - self.settle_s, summary,
                                       met, checks))

    def report(self) -> dict[str, Any]:
        """summary.json's ``capacity``: the SLO, every step, and the answer."""
        assert self._search is not None or not self._steps
        search = self._search or CapacitySearch(ceiling=1)
        return {"slo": [s.text for s in self._slos], "step_s": self.step_s,
                "settle_s": self.settle_s, "cap_s": self.cap_s, "ceiling": search.ceiling,
                "steps": self._steps, "result": search.outcome(timed_out=self._timed_out)}
