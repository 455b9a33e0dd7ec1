"""The ramp scenario's shape: equal user steps, or a straight line, up to ``-u`` across ``-t``.

Latency that bends at some concurrency shows up as one stage whose ttft or e2e jumps; the
summary reports every stage on its own (``stages`` in summary.json). With the linear ramp
(``--gatecheck-shape ramp``) the stages are the same time windows, each reported with the
user count it ends at.
"""

from __future__ import annotations

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)
from locust import LoadTestShape

import math
from typing import Any

from gatecheck.load._options import plan_stages

__all__ = ["StepShape", "plan_stages"]


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

