"""The HTML report: a pure function from results.jsonl records (and a load run) to one page.

The page carries everything report.md has (header, executive summary, overview, detail per
category, issues by level, recommendations, how to reproduce) plus a filterable table of
every check whose failures open to the expectation, the observation, the redacted
exchange and a curl, and the performance section of a load run with inline SVG plots. It
is self-contained and deterministic: the same input gives the same bytes, with no "now".
Inputs must already be redacted (gatecheck.report.command does it); ``report.html.j2``
lays out the view (:mod:`gatecheck.report._view`) with autoescaping on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatecheck.report._format import status_word
from gatecheck.report._model import RunMeta
from gatecheck.report._view import report_view
from gatecheck.report.page import render
from gatecheck.report.performance import LoadRun

__all__ = ["render_html", "status_word"]


def render_html(results: Sequence[dict[str, Any]], meta: RunMeta,
                load: LoadRun | None = None) -> str:
    """Render the page. Pure: the same records, meta and load always give the same text."""
    return render("report.html.j2", view=report_view(results, meta, load))
