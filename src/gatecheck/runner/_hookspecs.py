"""Hooks gatecheck's pytest plugin adds (registered in pytest_addhooks, as xdist newhooks.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gatecheck.runner._events import RunEvent


@pytest.hookspec
def pytest_gatecheck_event(config: pytest.Config, event: RunEvent) -> None:
    """Called on the controller for each event of a run (see gatecheck.runner._events).

    RunStarted, then one CheckFinished per check x target (its ``record`` is the
    results.jsonl object, already redacted), then RunFinished. Listeners read; they must
    not change the event.
    """
