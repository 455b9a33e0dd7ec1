"""Hooks gatecheck's pytest plugin adds (registered in pytest_addhooks, as xdist newhooks.py)."""

from __future__ import annotations

import pytest

from gatecheck.results import RunEvent


@pytest.hookspec
def pytest_gatecheck_event(config: pytest.Config, event: RunEvent) -> None:
    """Called on the controller for each event of a run (see gatecheck.results).

    RunStarted, then one CheckFinished per check x target (its ``result`` is the
    results.jsonl record, already redacted), then RunFinished. Listeners read; they must
    not change the event.
    """
