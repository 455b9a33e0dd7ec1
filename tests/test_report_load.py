"""The load report's verdict: FAIL on a run that lost its requests, WARN on any error."""

from __future__ import annotations

import pytest

from gatecheck.report import RunMeta
from gatecheck.report.html import render_html
from gatecheck.report.markdown import render_markdown
from gatecheck.report.performance import (
    ERROR_RATE_FAIL,
    LoadRun,
    load_verdict,
    render_load_markdown,
)

META = RunMeta("20261121T102432Z-reference", "2026-11-21T10:24:33Z", 6.0,
               (("reference", "http://127.0.0.1:8080"),), None)


def _load(total: int, failed: int, warnings: tuple[str, ...] = ()) -> LoadRun:
    return LoadRun({
        "run": {"scenario": "ramp", "workload": "closed", "started": "2026-11-21T10:24:33Z"},
        "requests": {"total": total, "ok": total - failed, "failed": failed,
                     "error_rate": failed / total if total else None,
                     "errors": {"status 502": failed} if failed else {}},
        "throughput": {"requests_per_s": (total - failed) / 6.0, "window_s": 6.0},
        "latency_ms": {"e2e": {"count": total - failed, "p50": 10.0, "p99": 20.0}},
        "warnings": list(warnings)})


@pytest.mark.parametrize(("total", "failed", "warnings", "status", "label"), [
    (16, 16, (), "fail", "LOAD RUN FAILED"),  # no request succeeded
    (0, 0, (), "fail", "LOAD RUN FAILED"),  # none completed at all
    (100, 6, (), "fail", "LOAD RUN FAILED"),  # 6 % > 5 %
    (100, 5, (), "warn", "RUN WITH ERRORS"),  # exactly at the limit: errors, not a failure
    (100, 1, ("buffering suspected",), "warn", "RUN WITH ERRORS"),
    (100, 0, ("buffering suspected",), "warn", "RUN WITH WARNINGS"),
    (100, 0, (), "pass", "LOAD RUN COMPLETE"),
])
def test_load_verdict(total, failed, warnings, status, label):
    verdict = load_verdict(_load(total, failed, warnings))
    assert (verdict.status, verdict.label) == (status, label)
    assert ERROR_RATE_FAIL == 0.05


def test_an_all_errors_run_gets_a_fail_banner_and_status():
    load = _load(16, 16)
    html = render_html([], META, load)
    assert 'class="banner bad" role="status"><strong>LOAD RUN FAILED</strong>' in html
    assert "LOAD RUN COMPLETE" not in html
    assert "no request succeeded: 16 of 16 requests failed (100.0%)" in html
    md = render_markdown([], META, load)
    assert "**Overall status:** ❌ FAIL: no request succeeded" in md
    assert "- Verdict: ❌ FAIL: no request succeeded" in md


def test_the_markdown_performance_section_has_the_banner_verdict():
    section = render_load_markdown(_load(200, 3))
    assert "- Verdict: ⚠️ WARN: 3 of 200 requests failed (1.5%)." in section
    assert "more than 5% failed" in section
    html = render_html([], META, _load(200, 3))
    assert 'class="banner warn" role="status"><strong>RUN WITH ERRORS</strong>' in html
    clean = render_html([], META, _load(200, 0))
    assert 'class="banner passed" role="status"' not in clean
    assert 'class="banner ok" role="status"><strong>LOAD RUN COMPLETE</strong>' in clean


def test_load_reports_write_dates_like_the_conformance_report():
    load = _load(100, 0)
    md = render_markdown([], META, load)
    assert "**Test date:** 2026-11-21 10:24:33 UTC  " in md
    html = render_html([], META, load)
    assert "6.0 s, from 2026-11-21 10:24:33 UTC" in html
    assert "Test date<b>2026-11-21 10:24:33 UTC</b>" in html
    for text in (md, html):
        assert "T10:24:33Z" not in text
