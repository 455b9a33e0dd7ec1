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


def _written_run(tmp_path, *, warmup_s: float, sent: int, per_s: float):
    """A run written as the load users write it: samples.jsonl (warm-up included) and the
    summary of the requests after the warm-up."""
    import orjson

    from gatecheck import Stamps
    from gatecheck.load import summarize, write_samples
    from gatecheck.load._samples import sample_from

    started = 1_800_000_000.0
    samples = []
    for i in range(sent):
        ttft = 100 + (i * 37) % 50  # spread, deterministic
        stamps = Stamps(send_ns=0, headers_ns=1_000_000, content_ns=[ttft * 1_000_000],
                        end_ns=(ttft + 80) * 1_000_000, output_tokens=1)
        samples.append(sample_from(stamps, t=started + i / per_s, kind="stream", ok=True,
                                   status=200, error=None, in_tokens=1, node="n"))
    summary = summarize(samples, run={"scenario": "stream", "run_time_s": sent / per_s},
                        started=started, warmup_s=warmup_s)
    load_dir = tmp_path / "load"
    load_dir.mkdir()
    write_samples(load_dir / "samples.jsonl", samples)
    (load_dir / "summary.json").write_bytes(orjson.dumps(summary))
    return load_dir, summary


def test_charts_count_what_the_tables_count(tmp_path):
    # 120 requests sent, the first 20 during the warm-up: the table says 100, so must the
    # histogram (it said 120), and the rate chart must average the table's requests/s.
    from markupsafe import Markup

    from gatecheck import default_redactor
    from gatecheck.report.performance import histogram_bins, over_time, performance, read_load

    load_dir, summary = _written_run(tmp_path, warmup_s=2.0, sent=120, per_s=10.0)
    assert summary["latency_ms"]["ttft"]["count"] == 100
    load = read_load(load_dir, default_redactor())
    assert len(load.points) == 100
    bins, _, _ = histogram_bins([p.ttft for p in load.points if p.ttft is not None],
                                summary["latency_ms"]["ttft"]["p99"])
    assert sum(n for _, _, n in bins) == summary["latency_ms"]["ttft"]["count"]
    series = over_time(load, "ttft")
    window = series["window"][1] - series["window"][0]
    assert window == pytest.approx(summary["throughput"]["window_s"], abs=1e-3)
    mean = sum(series["ok_rate"]) / len(series["ok_rate"])
    assert mean == pytest.approx(summary["throughput"]["requests_per_s"], rel=1e-3)
    assert series["window"][0] == pytest.approx(2.0)  # the chart starts after the warm-up
    perf = performance(load)
    captions = [caption for _, caption in perf.figures]
    assert "100 successful requests." in captions
    assert any(f"averages {summary['throughput']['requests_per_s']:,.1f}/s" in c
               for c in captions)
    assert all(isinstance(svg, Markup) for svg, _ in perf.figures)


def _capacity_run() -> LoadRun:
    def step(users: int, p99: float, met: bool, error_rate: float = 0.0) -> dict:
        return {"users": users, "start_s": 0.0, "window_s": 8.0, "requests": 10 * users,
                "ok": 10 * users, "failed": 0, "error_rate": error_rate,
                "requests_per_s": 1.25 * users, "ttft_ms": {"count": 10, "p50": 100.0,
                                                            "p99": 120.0},
                "e2e_ms": {"count": 10, "p50": 300.0, "p99": 350.0},
                "overhead_ms": {"ttft": {"count": 10, "p50": p99 / 4, "p99": p99},
                                "itl": {"count": 10, "p50": 0.0, "p99": 0.1},
                                "e2e": {"count": 10, "p50": 1.0, "p99": 2.0}},
                "met": met, "checks": []}

    own = {"count": 40, "p50": 0.4, "p90": 1.0, "p99": 3.0, "p99.9": 3.5, "max": 4.0}
    return LoadRun({
        "run": {"scenario": "capacity", "workload": "closed", "users": 8},
        "requests": {"total": 150, "ok": 150, "failed": 0, "error_rate": 0.0, "errors": {}},
        "throughput": {"requests_per_s": 5.0, "window_s": 30.0},
        "latency_ms": {"ttft": {"count": 150, "p50": 100.0, "p99": 130.0}},
        "overhead": {"matched": 40, "unmatched": 0, "ttft": own, "itl": own, "e2e": own,
                     "floor_ms": {"ttft": 0.3, "itl": 0.0, "e2e": 0.4,
                                  "measured": "2026-12-06T19:00:00Z"}},
        "capacity": {"slo": ["overhead.ttft.p99<10ms", "error_rate<1%"], "step_s": 10.0,
                     "cap_s": 60.0, "ceiling": 8,
                     "steps": [step(1, 1.0, True), step(2, 2.0, True), step(4, 4.0, True),
                               step(8, 25.0, False, 0.02), step(6, 8.0, True),
                               step(7, 12.0, False)],
                     "result": {"users": 6, "bracket": [6, 7], "steps": 6,
                                "stopped": "bracketed within the resolution"}},
        "warnings": []})


def test_the_overhead_and_the_capacity_search_are_in_both_reports():
    from gatecheck.report.performance import performance

    load = _capacity_run()
    perf = performance(load)
    keys = [svg.split('data-chart="')[1].split('"')[0] for svg, _ in perf.figures]
    assert keys == ["perf-capacity", "perf-capacity-errors"]
    capacity_svg = str(perf.figures[0][0])
    assert "SLO overhead.ttft.p99&lt;10ms" in capacity_svg  # the bound, drawn as a guide
    assert "the highest that met the SLO: 6 users" in perf.figures[0][1]
    md = render_load_markdown(load)
    assert "### Gateway overhead" in md
    assert "| overhead.ttft (added to the time to first token) | 40 | 0.40 |" in md
    assert "floor subtracted: ttft 0.300 ms, itl 0.000 ms, e2e 0.400 ms" in md
    assert "**6 concurrent users** met `overhead.ttft.p99<10ms` and `error_rate<1%`" in md
    assert "| 8 | 80 | 0 | 10.0 | 6.25 | 25.0 | 120 | 2.00% | missed |" in md
    html = render_html([], META, load=load)
    assert "<h3>Gateway overhead</h3>" in html
    assert "<h3>Capacity at the SLO</h3>" in html
