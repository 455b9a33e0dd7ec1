"""The Markdown report: a pure function from results.jsonl records (and a load run) to text.

Every figure comes from the view (:mod:`gatecheck.report._view`): counted from outcomes,
with failures carrying what was expected, what came back and a redacted curl to
reproduce. ``templates/report.md.j2`` lays it out; target text is Markdown-escaped there
(no raw HTML, no broken table, no unbalanced fence, control characters shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatecheck.report._model import RunMeta
from gatecheck.report._view import report_view
from gatecheck.report.page import render
from gatecheck.report.performance import LoadRun

__all__ = ["RunMeta", "render_markdown"]


def render_markdown(results: Sequence[dict[str, Any]], meta: RunMeta,
                    load: LoadRun | None = None) -> str:
    """Render report.md. Pure: the same records, meta and load always give the same text.

    With a load run the performance section follows; with a load run and no records it
    is a load report.
    """
    return render("report.md.j2", view=report_view(results, meta, load)).rstrip() + "\n"
