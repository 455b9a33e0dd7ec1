"""The HTML report and the run comparison: snapshots for fixed runs, plus their rules.

Fixtures: tests/data/report/run_a and run_b (results.jsonl and a ramp load run), made by
tests/data/report/make_fixtures.py.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from gatecheck import default_redactor
from gatecheck.cli import main
from gatecheck.report import RunMeta, load_run
from gatecheck.report.compare import compare, render_comparison_html, render_comparison_markdown
from gatecheck.report.html import render_html, status_word
from gatecheck.report.performance import LoadRun, find_load, read_load
from gatecheck.results import read_results

DATA = Path(__file__).parent / "data" / "report"


class HtmlSnapshot(SingleFileSnapshotExtension):
    """One reviewable .html file per snapshot (open it in a browser to review a change)."""

    _write_mode = WriteMode.TEXT
    file_extension = "html"


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


@pytest.fixture
def run_a(tmp_path) -> Path:
    path = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a", path)
    return path


@pytest.fixture
def run_b(tmp_path) -> Path:
    path = tmp_path / "20261122T101500Z-reference"
    shutil.copytree(DATA / "run_b", path)
    return path


def _render(path: Path) -> str:
    records, meta, load = load_run(path)
    return render_html(records, meta, load)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def test_html_report_matches_snapshot(run_a, snapshot):
    assert _render(run_a) == snapshot(extension_class=HtmlSnapshot)


def test_html_is_pure_and_order_independent(run_a):
    records, meta, load = load_run(run_a)
    first = render_html(records, meta, load)
    assert render_html(list(reversed(records)), meta, load) == first
    assert render_html(records, meta, load) == first


def test_html_is_self_contained_and_fetches_nothing(run_a):
    text = _render(run_a)
    tags = _tags(text)
    names = [t for t, _ in tags]
    assert names.count("script") == 1
    assert names.count("style") == 1
    assert "link" not in names
    assert "img" not in names
    assert "iframe" not in names
    for tag, attrs in tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (tag, href)
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp
    assert "default-src 'none'" in (csp[0]["content"] or "")
    assert "url(" not in text
    assert "@import" not in text


def test_html_escapes_what_the_target_sent(run_a):
    text = _render(run_a)
    # ERR-6's fixture body is an HTML error page with a script in it.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert len(re.findall(r"<script", text)) == 1


def test_html_has_the_report_md_shape_and_more(run_a):
    text = _render(run_a)
    for heading in ("Findings", "Executive summary", "Test Results Overview",
                    "Checks by category", "Performance", "How to reproduce"):
        assert f"<h2>{heading}</h2>" in text
    assert 'role="status"><strong>FAIL</strong>' in text
    assert "Test date<b>2026-11-21 10:15:00 UTC</b>" in text
    assert "Target<b>reference at http://127.0.0.1:8080/v1</b>" in text
    # one overview row per category present, with its status pill
    overview = text.split('id="overview-table"')[1].split("</table>")[0]
    assert overview.count("<tr>") == 1 + 12  # head + categories
    assert '<a href="#cat-3">Authentication</a></td><td><span class="pill bad">FAIL' in overview
    # failures open to expected / observed / exchange / curl, in a row of their own
    evidence = text.split('id="check-7-ev"')[1].split("</tr>")[0]
    for part in ("Expected", "Observed", "Request (redacted)", "Response (redacted)",
                 "curl -sS -X POST", "Bearer $GATECHECK_API_KEY"):
        assert part in evidence
    # the filter bar offers exactly the outcomes, levels and categories present
    assert '<option value="xfailed">known deviation</option>' in text
    assert '<option value="MAY">MAY</option>' in text
    assert 'data-outcome="failed" data-level="MUST" data-category="Errors"' in text


def test_performance_section_has_figures_verdicts_and_plots(run_a):
    text = _render(run_a)
    perf = text.split('<section id="performance">')[1].split("</section>")[0]
    for figure in ("requests/s (successful)", "error rate (7 of 322)", "output tokens/s",
                   "<code>ttft</code>", "<code>itl</code>", "<code>e2e</code>", "p99.9",
                   "Buffering", "streams flow", "Load generator health", "Ramp stages",
                   "status 429"):
        assert figure in perf, figure
    charts = re.findall(r'data-chart="([a-z-]+)"', perf)
    assert charts == ["perf-time", "perf-rate", "perf-hist", "perf-rps-users",
                      "perf-lat-users"]
    # the histogram's marks are the summary's exact percentiles
    assert "p50 411 ms" in perf
    assert "p99 512 ms" in perf


def test_status_word_drops_the_icon():
    assert status_word("❌ FAIL") == "FAIL"
    assert status_word("⚠️ PASS WITH WARNINGS") == "PASS WITH WARNINGS"
    assert status_word("NO CHECKS RAN") == "NO CHECKS RAN"


def test_load_only_run_gets_a_load_report(tmp_path):
    run_dir = tmp_path / "20261121T101500Z-reference"
    shutil.copytree(DATA / "run_a" / "load", run_dir / "load")
    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<h1>gatecheck load report: reference</h1>" in html
    # 7 of 322 requests got a 429: under the 5 % limit, so a warning, not a clean run
    assert 'class="banner warn" role="status"><strong>RUN WITH ERRORS' in html
    assert "All checks" not in html
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# gatecheck load report: reference")
    assert "| ttft (time to first token) | 315 | 411 | 454 | 512 | 561 | 561 |" in md


def test_report_md_gains_the_performance_section(run_a):
    assert main(["report", str(run_a), "--format", "md"]) == 0
    md = (run_a / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# gatecheck conformance report: reference")
    assert "## Performance" in md
    assert "| 16 | 170 | 7 | 10.9 | 424 | 552 |" in md
    assert not (run_a / "report.html").exists()


def test_report_command_formats_and_out(run_a, tmp_path, capsys):
    out = tmp_path / "elsewhere"
    assert main(["report", str(run_a), "--format", "html", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert main(["report", str(run_a), "--format", "md,pdf"]) == 2
    assert "--format 'md,pdf'" in capsys.readouterr().err


def test_samples_that_are_not_samples_are_a_usage_error(run_a, capsys):
    (run_a / "load" / "samples.jsonl").write_text('{"t": 1, "ok": true}\n{"ok": 1}\n')
    assert main(["report", str(run_a)]) == 2
    assert "samples.jsonl:2: not a sample record" in capsys.readouterr().err


def test_comparison_matches_snapshots(run_a, run_b, snapshot):
    a, b = load_run(run_a), load_run(run_b)
    result = compare(a[0], b[0], a[1], b[1], a[2], b[2])
    assert render_comparison_html(result) == snapshot(extension_class=HtmlSnapshot)
    assert render_comparison_markdown(result) == snapshot(extension_class=MarkdownSnapshot)


def test_comparison_classifies_flips(run_a, run_b):
    a, b = load_run(run_a), load_run(run_b)
    result = compare(a[0], b[0], a[1], b[1], a[2], b[2])
    kinds = {c.record["check_id"]: c.kind for c in result.changes}
    assert kinds == {"AUTH-1": "regressed", "ERR-6": "fixed", "W-8": "changed",
                     "LIM-5": "new", "CORS-1": "removed"}
    assert result.unchanged == 20
    ttft_p50 = next(d for d in result.latency if (d.metric, d.stat) == ("ttft", "p50"))
    assert ttft_p50.verdict == "worse"
    assert ttft_p50.delta > 0
    error_rate = next(d for d in result.throughput if d.metric == "error rate")
    assert error_rate.higher_is_worse
    assert error_rate.verdict == "better"


def test_comparison_of_a_run_with_itself_has_no_changes(run_a):
    a = load_run(run_a)
    result = compare(a[0], a[0], a[1], a[1], a[2], a[2])
    assert result.changes == ()
    assert result.unchanged == 24
    assert all(d.verdict == "same" for d in (*result.latency, *result.throughput))
    assert "NO REGRESSION" in render_comparison_html(result)


def test_report_command_compares_two_runs(run_a, run_b, tmp_path, capsys):
    assert main(["report", str(run_a), str(run_b)]) == 0
    assert (run_b / "comparison.html").is_file()
    assert (run_b / "comparison.md").is_file()
    out = tmp_path / "cmp"
    assert main(["report", str(run_a), str(run_b), "--out", str(out), "--format", "md"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["comparison.md"]
    assert main(["report", str(run_a), str(tmp_path / "missing")]) == 2
    assert "missing: no such run directory" in capsys.readouterr().err


def test_read_load_redacts_the_summary(run_a):
    summary = (run_a / "load" / "summary.json").read_text(encoding="utf-8")
    leaked = "sk-live-" + "a1B2" * 10
    (run_a / "load" / "summary.json").write_text(
        summary.replace('"status 429": 7', f'"status 401 for key {leaked}": 7'))
    load_dir = find_load(run_a)
    assert load_dir is not None
    load = read_load(load_dir, default_redactor())
    assert leaked not in str(load.summary)
    records = [r.to_json() for r in read_results(run_a / "results.jsonl")]
    assert leaked not in render_html(records, RunMeta.from_results(records), load)


def test_sparse_load_summaries_render_without_plots_that_need_samples():
    meta = RunMeta("r", None, None, (("t", None),), None)
    empty = render_html([], meta, LoadRun({}))
    assert "No successful request: no latency figures." in empty
    chat = LoadRun({"run": {"scenario": "chat"},
                    "latency_ms": {"ttft": {"count": 0}, "e2e": {"count": 3, "p50": 12.0,
                                                                 "p99": 30.0}},
                    "requests": {"total": 3, "failed": 0, "error_rate": 0.0}})
    text = render_html([], meta, chat)
    assert "e2e p50" in text  # no stream: e2e is the headline
    assert "No samples.jsonl beside summary.json" in text
    assert "<svg" not in text


def test_multi_target_runs_get_a_target_filter(run_a):
    records, _, _ = load_run(run_a)
    other = [{**r, "target": "litellm", "target_url": "http://127.0.0.1:4000/v1",
              "test": r["test"].replace("[reference]", "[litellm]")} for r in records]
    both = records + other
    text = render_html(both, RunMeta.from_results(both))
    assert '<select name="target" aria-label="Target">' in text
    assert "Target<b>litellm at http://127.0.0.1:4000/v1</b>" in text
    assert text.count('data-target="litellm"') == 24
    targets = text.split('id="targets-table"')[1].split("</table>")[0]
    assert targets.count("<tr>") == 3  # head + two targets
    assert "<td><code>litellm</code></td><td>http://127.0.0.1:4000/v1</td>" in targets


def test_open_loop_runs_plot_latency_from_the_intended_send():
    from gatecheck.report.performance import Point

    points = tuple(Point(t=100.0 + i * 0.1, ok=True, ttft=50.0, e2e=200.0,
                         ttft_i=50.0 + 10 * i, e2e_i=200.0 + 10 * i) for i in range(30))
    load = LoadRun({"run": {"scenario": "rate"},
                    "latency_ms": {"ttft": {"count": 30, "p50": 50.0, "p99": 50.0},
                                   "ttft_from_intended": {"count": 30, "p50": 200.0,
                                                          "p99": 340.0}},
                    "open_loop": {"rate_per_s": 10, "arrival": "constant", "sent": 30,
                                  "late": 25, "dropped": 0, "overload": "queue"}}, points)
    text = render_html([], RunMeta("r", None, None, (("t", None),), None), load)
    chart = text.split('data-chart="perf-time"')[1].split("</svg>")[0]
    assert "ttft p99 from intended send" in chart
    assert chart.count("<polyline") == 4
    assert "<h3>Open loop</h3>" in text


def test_report_md_with_a_load_run_matches_snapshot(run_a, snapshot):
    assert main(["report", str(run_a), "--format", "md"]) == 0
    text = (run_a / "report.md").read_text(encoding="utf-8")
    assert text == snapshot(extension_class=MarkdownSnapshot)


@pytest.mark.load
def test_gatecheck_load_writes_the_html_report(tmp_path):
    code = main(["load", "--target", "mock", "--scenario", "stream", "--duration", "2s",
                 "--users", "2", "--directive", "ttft=20 itl=5 tokens=10",
                 "--out", str(tmp_path)])
    assert code == 0
    # `gatecheck load` also points latest at the run: take the run from latest.txt
    run_dir = tmp_path / (tmp_path / "latest.txt").read_text(encoding="utf-8").strip() / "load"
    html = (run_dir.parent / "report.html").read_text(encoding="utf-8")
    assert "<h1>gatecheck load report: mock</h1>" in html
    assert 'data-chart="perf-hist"' in html
    assert (run_dir.parent / "report.md").read_text(encoding="utf-8").startswith(
        "# gatecheck load report: mock")
