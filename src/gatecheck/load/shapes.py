"""Step shapes for the ramp scenario: equal user steps up to ``-u`` across ``-t``.

Latency that bends at some concurrency shows up as one stage whose ttft or e2e jumps; the
summary reports every stage on its own (``stages`` in summary.json).
"""

from __future__ import annotations

import locust  # noqa: F401  (first: gevent patches sockets before anything else is imported)
from locust import LoadTestShape

from typing import Any

from gatecheck.load._options import plan_stages

__all__ = ["StepShape", "plan_stages"]


class StepShape(LoadTestShape):
    """Reads -u (top user count), -r (spawn rate), -t (total time) and --gatecheck-steps."""

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
        for stage in self.stages():
            if elapsed < stage["end_s"]:
                return stage["users"], spawn_rate
        return None

