"""Hooks gatecheck's pytest plugin adds (registered in pytest_addhooks, as xdist newhooks.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_gatecheck_result(config: pytest.Config, record: dict[str, Any]) -> None:
    """Called on the controller for each finished check x target, before it is written.

    ``record`` is the results.jsonl object (already redacted); a plugin may read it (live
    dashboards, extra reports) but must not change it.
    """
