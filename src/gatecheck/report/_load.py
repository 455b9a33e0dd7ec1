"""Kept for ``report/command.py`` until it imports from ``gatecheck.report.performance``."""

from __future__ import annotations

from gatecheck.report.performance import LoadRun, find_load, read_load

__all__ = ["LoadRun", "find_load", "read_load"]
