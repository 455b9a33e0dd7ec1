"""Kept for ``report/command.py`` until it imports from ``markdown`` and ``performance``."""

from __future__ import annotations

from gatecheck.report._model import RunMeta
from gatecheck.report.markdown import render_markdown
from gatecheck.report.performance import LoadRun, render_load_markdown

__all__ = ["render_load_markdown", "render_load_report"]


def render_load_report(load: LoadRun, meta: RunMeta) -> str:
    """report.md for a run that has only a load summary (no conformance results)."""
    return render_markdown([], meta, load)
