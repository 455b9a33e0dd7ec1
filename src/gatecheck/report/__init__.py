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
from gatecheck.report._model import (
    RunMeta,
    Tally,
    is_inconclusive,
    is_stale_deviation,
    overall_status,
    tally,
)
from gatecheck.report._svg import Series, line_chart
from gatecheck.report.allure import build_allure
from gatecheck.report.compare import (
    compare,
    render_comparison_html,
    render_comparison_markdown,
)
from gatecheck.report.html import render_html
from gatecheck.report.markdown import render_markdown
from gatecheck.report.performance import LoadRun, find_load

__all__ = [
    "DEFAULT_FORMATS", "FORMATS", "LoadRun", "RunMeta", "Series", "Tally", "build_allure",
    "compare", "find_load", "is_inconclusive", "is_stale_deviation", "line_chart", "load_run",
    "overall_status",
    "parse_formats", "render_comparison_html", "render_comparison_markdown", "render_html",
    "render_markdown", "tally", "write_comparison", "write_report",
]
