"""Reports built from results.jsonl and load runs: Markdown, self-contained HTML, comparisons."""

from __future__ import annotations

from gatecheck.report._build import (
    DEFAULT_FORMATS,
    FORMATS,
    load_run,
    parse_formats,
    write_comparison,
    write_report,
)
from gatecheck.report._model import RunMeta
from gatecheck.report.allure import build_allure
from gatecheck.report.compare import (
    compare,
    render_comparison_html,
    render_comparison_markdown,
)
from gatecheck.report.html import render_html
from gatecheck.report.markdown import render_markdown

__all__ = ["DEFAULT_FORMATS", "FORMATS", "RunMeta", "build_allure", "compare", "load_run",
           "parse_formats", "render_comparison_html", "render_comparison_markdown",
           "render_html", "render_markdown", "write_comparison", "write_report"]
