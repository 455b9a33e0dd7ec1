"""Every quirk a target can declare is read by a check: profiles cannot rot into data.

A quirk field that no suite or check reads would describe a behaviour nothing verifies;
it either gets wired to the check that should read it or leaves the schema (the house
review found fourteen such fields).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from gatecheck.targets import (
    CircuitBreakerConfig,
    HealthConfig,
    LimitsConfig,
    QuirksConfig,
    RateLimitsConfig,
)

ROOT = Path(__file__).resolve().parents[1]
QUIRKS = ROOT / "src" / "gatecheck" / "targets" / "_quirks.py"


def _attributes_read() -> set[str]:
    names: set[str] = set()
    files = [*(ROOT / "suites").glob("*.py"), *(ROOT / "src" / "gatecheck").rglob("*.py")]
    for path in files:
        if path == QUIRKS:  # the dataclasses themselves do not count as readers
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                names.add(node.attr)
    return names


def test_every_quirk_field_is_read_somewhere():
    read = _attributes_read()
    assert "poll_path" in read  # HealthConfig.poll_path is how `deep` is read
    read.add("deep")
    unread = [f"{config.__name__}.{field.name}"
              for config in (QuirksConfig, HealthConfig, RateLimitsConfig,
                             CircuitBreakerConfig, LimitsConfig)
              for field in dataclasses.fields(config) if field.name not in read]
    assert unread == []
