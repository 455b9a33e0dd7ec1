"""Reports built from results.jsonl and load runs: Markdown, self-contained HTML, comparisons."""

from __future__ import annotations

from gatecheck.report._model import RunMeta
from gatecheck.report.compare import (
    compare,
    render_comparison_html,
    render_comparison_markdown,
)
from gatecheck.report.html import render_html
from gatecheck.report.markdown import render_markdown

__all__ = ["RunMeta", "compare", "render_comparison_html", "render_comparison_markdown",
           "render_html", "render_markdown"]
