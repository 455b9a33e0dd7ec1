"""Declaring conformance checks: the ``@check`` decorator, its registry, failures and warnings.

Suites in ``suites/`` mark each test with ``@check(...)``; judging functions raise
ConformanceFailure (through ``expect``) or record a WARN with ``warn``. The pytest plugin
(``gatecheck.pytest.plugin``) reads the marks to skip, xfail and write results.
"""

from __future__ import annotations

from gatecheck.checks._failures import (
    BEHAVIOUR,
    Cases,
    ConformanceFailure,
    ConformanceWarning,
    ExchangeLike,
    Inconclusive,
    cases,
    collect_observations,
    collect_warnings,
    expect,
    inconclusive,
    note_behaviour,
    observe,
    warn,
)
from gatecheck.checks._registry import (
    CATEGORIES,
    CHECKS,
    LEVELS,
    MARK,
    CheckInfo,
    Level,
    Registry,
    check,
    info_of,
)

__all__ = [
    "BEHAVIOUR",
    "CATEGORIES",
    "CHECKS",
    "LEVELS",
    "MARK",
    "Cases",
    "CheckInfo",
    "ConformanceFailure",
    "ConformanceWarning",
    "ExchangeLike",
    "Inconclusive",
    "Level",
    "Registry",
    "cases",
    "check",
    "collect_observations",
    "collect_warnings",
    "expect",
    "inconclusive",
    "info_of",
    "note_behaviour",
    "observe",
    "warn",
]
