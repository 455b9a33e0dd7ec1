"""The event stream of a conformance run (after schemathesis ``engine/events.py``).

The controller emits ``RunStarted``, one ``CheckFinished`` per check x target (its record
is the results.jsonl object, already redacted), then the terminal ``RunFinished``, through
the ``pytest_gatecheck_event`` hook. results.jsonl is written by a listener of that hook
like any other consumer (a live dashboard, another report).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["CheckFinished", "RunEvent", "RunFinished", "RunStarted"]


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEvent:
    """Base of every event: a unique id and when it happened (epoch seconds)."""

    id: str = field(default_factory=_new_id)
    timestamp: float = field(default_factory=time.time)
    is_terminal: ClassVar[bool] = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(RunEvent):
    """Targets are selected, started and probed; checks are about to run."""

    run_id: str
    profile: str
    targets: Mapping[str, str | None]  # name -> base URL (None: not started)
    unreachable: Mapping[str, str]  # name -> why the start-of-session probe failed


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFinished(RunEvent):
    """One check x target has an outcome."""

    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(RunEvent):
    """The last event of a run: outcome counts over every CheckFinished."""

    is_terminal: ClassVar[bool] = True
    counts: Mapping[str, int]
