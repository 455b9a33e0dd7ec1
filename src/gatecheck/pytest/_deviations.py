"""Which outcomes each declared deviation met in a run, to flag deviations nothing verifies.

A deviation whose checks were all skipped (a feature or surface the target does not claim)
is strict-xfail in name only: the run can never notice that the gateway fixed it. The
controller feeds every result through a ``DeviationLedger``; skipped results that a
deviation covers get a ``note``, and the terminal summary warns about deviations that met
skipped checks only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from gatecheck.protocols import Surface
from gatecheck.results import CheckResult
from gatecheck.targets import Deviation, TargetConfig

__all__ = ["DeviationLedger", "UnverifiedDeviation"]


@dataclass(frozen=True, slots=True)
class UnverifiedDeviation:
    """A deviation of ``target`` whose every matching check was skipped in this run."""

    target: str
    key: str  # as written in targets.toml: "ERR-4" or "ERR-1:openai"
    tests: tuple[str, ...]  # the skipped test functions it covered

    def line(self) -> str:
        return (f"gatecheck: warning: target {self.target!r}: known deviation {self.key} "
                f"met only skipped checks ({', '.join(self.tests)}), so no run can verify "
                f"it; remove it from targets.toml or claim what the checks need")


def test_function(nodeid: str) -> str:
    """``suites/test_x.py::test_y[target]`` -> ``test_y`` (what deviations name)."""
    return nodeid.rpartition("::")[2].partition("[")[0]


class DeviationLedger:
    """Outcomes per (target, deviation) over a run's records."""

    def __init__(self, targets: Mapping[str, TargetConfig]) -> None:
        self._targets = targets
        self._met: dict[tuple[str, str], dict[str, set[str]]] = {}

    def deviation_of(self, result: CheckResult) -> Deviation | None:
        """The deviation covering this result's check on its target, if any."""
        target = self._targets.get(result.target)
        if target is None:
            return None
        surface = cast("Surface | None", result.surface)
        return target.deviation(result.check_id, surface, test_function(result.test))

    def note(self, result: CheckResult) -> CheckResult:
        """Count ``result``; a skipped result that a deviation covers comes back with a note."""
        deviation = self.deviation_of(result)
        if deviation is None:
            return result
        met = self._met.setdefault((result.target, deviation.key), {})
        met.setdefault(result.outcome, set()).add(test_function(result.test))
        if result.outcome != "skipped":
            return result
        return dataclasses.replace(
            result, note=f"known deviation {deviation.key} not verified: its check was skipped")

    def unverified(self) -> list[UnverifiedDeviation]:
        """Deviations that met checks in this run, all of them skipped.

        A target without its secret skips everything for that reason alone: its
        deviations are not dead, the run just could not reach it, so it is left out.
        """
        found = []
        for (name, key), met in sorted(self._met.items()):
            target = self._targets.get(name)
            if target is None or target.missing_secret is not None or set(met) != {"skipped"}:
                continue
            found.append(UnverifiedDeviation(name, key, tuple(sorted(met["skipped"]))))
        return found
