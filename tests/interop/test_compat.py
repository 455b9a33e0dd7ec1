"""The interop session's matrix: rows per check variant, cells per gateway, pages written."""

from __future__ import annotations

import pytest

from gatecheck.compat import compat_rows, run_interop, write_compat
from gatecheck.results import CheckResult


def _result(target, test, outcome, message=None, check_id="AUTH-3"):
    return CheckResult(target=target, check_id=check_id, test=test, title="t",
                       category="Authentication", level="MUST", outcome=outcome,
                       message=message)


def test_rows_join_the_same_check_across_gateways_without_the_target_parameter():
    runs = {
        "reference": [_result("reference", "s/test_a.py::test_x[openai-reference]", "passed")],
        "litellm": [_result("litellm", "s/test_a.py::test_x[openai-litellm]", "failed",
                            "wrong key: 400 no_db_connection\nmore")],
    }
    (row,) = compat_rows(runs)
    assert row.variant == "test_x[openai]"
    assert row.cells["reference"].outcome == "passed"
    assert row.cells["reference"].why == ""
    assert row.cells["litellm"].why == "wrong key: 400 no_db_connection more"


def test_the_pages_say_every_cell_and_escape_what_gateways_sent(tmp_path):
    runs = {"portkey": [_result("portkey", "s/t.py::test_y[portkey]", "failed", "<script>x")]}
    paths = write_compat(tmp_path, compat_rows(runs), ["portkey"], {"portkey": {"run_s": 3}},
                         {"portkey": "../run/report.html"})
    html = (tmp_path / "compat.html").read_text()
    md = (tmp_path / "compat.md").read_text()
    assert [p.name for p in paths] == ["compat.md", "compat.html"]
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html
    assert "failed" in md
    assert "<script>" not in md
    assert (tmp_path / "figures.json").is_file()


def test_an_unknown_gateway_fails_before_installing_anything(tmp_path):
    from gatecheck import UsageError

    with pytest.raises(UsageError, match="unknown target 'kong'"):
        run_interop(["reference", "kong"], out=tmp_path)
    assert not (tmp_path / "interop").exists()


def _perf(**over):
    perf = {
        "measured": "2026-12-07 01:00 UTC", "cores": 2, "python": "3.11.7",
        "load_average": 1.25, "streams": 20, "directive": "ttft=50 itl=10 tokens=16",
        "slo": "overhead.ttft.p99<10ms,error_rate<1%", "perf_s": 61.4,
        "floor_ms": {"ttft": 0.563, "itl": 0.003, "e2e": 0.813},
        "stream_1": {"ttft_p50": 0.714, "ttft_p99": 7.739, "ok": 25, "failed": 0},
        "stream_n": {"ttft_p50": 16.44, "ttft_p99": 109.1, "ok": 480, "failed": 0},
        "capacity": {"users": 7, "bracket": [7, 8], "steps": 6,
                     "stopped": "bracketed within the resolution"},
        "chat": {"requests_per_s": 1834.6, "ok": 11000, "failed": 0},
    }
    return {**perf, **over}


def test_the_performance_table_shows_each_gateway_s_figures_and_how_to_read_them():
    from gatecheck.compat import PerfRow, perf_table

    figures = {
        "reference": {"perf": _perf()},
        "litellm": {"version": "1.106.2", "perf": _perf(
            load_average=2.4, perf_s=83.0,
            stream_n={"ttft_p50": 41.0, "ttft_p99": 230.5, "ok": 380, "failed": 3},
            capacity={"users": 64, "bracket": [64, None], "steps": 7, "stopped":
                      "the highest load tried met the SLO (raise --users to look further)"},
            chat={"requests_per_s": 212.25, "ok": 1200, "failed": 0})},
        "portkey": {"perf": _perf(capacity={"users": 3, "bracket": [3, None], "steps": 3,
                                            "stopped": "the time cap ended the search"},
                                  stream_1={"ok": 0, "failed": 25})},
    }
    table = perf_table(figures, ["reference", "litellm", "portkey"])
    assert table is not None
    assert table.streams == 20
    assert table.slo == "overhead.ttft.p99<10ms and error_rate<1%"
    assert table.model == "ttft=50 itl=10 tokens=16"
    assert table.rows == (
        PerfRow("reference", "0.71 / 7.74", "16.44 / 109.10", "7", "1,835", "61.4 s", ""),
        PerfRow("litellm", "0.71 / 7.74", "41.00 / 230.50", "≥ 64", "212", "83 s",
                "N streams: 3 of 383 failed; the highest load tried met the SLO"),
        PerfRow("portkey", "\u2013", "16.44 / 109.10", "≥ 3", "1,835", "61.4 s",
                "1 stream: 25 of 25 failed; the time cap ended the search"),
    )
    assert table.measured == (
        "Measured 2026-12-07 01:00 UTC on this machine (2 cores, Python 3.11.7, load average "
        "1.25-2.4 at each gateway's start); load generator floor subtracted from added ttft: "
        "0.563 ms (gatecheck calibrate). The figures are this machine's at this moment: "
        "compare ratios within one run, not across runs or machines.")


def test_the_performance_table_says_what_did_not_run():
    from gatecheck.compat import perf_table

    assert perf_table({"reference": {"run_s": 3}}, ["reference"]) is None  # --no-perf
    figures = {"reference": {"perf": _perf(floor_ms=None)},
               "portkey": {"perf": {"error": "portkey did not start within 60 s"}},
               "litellm": {"perf": _perf(capacity={"users": None, "steps": 1,
                                                   "stopped": "no load met the SLO"})}}
    table = perf_table(figures, ["reference", "litellm", "portkey"])
    assert table is not None
    assert [(r.target, r.capacity, r.note) for r in table.rows] == [
        ("reference", "7", ""), ("litellm", "none", "no load met the SLO"),
        ("portkey", "\u2013", "error: portkey did not start within 60 s")]
    assert table.rows[2].ttft_one == table.rows[2].requests_per_s == "\u2013"
    assert "floor subtracted from added ttft: none (no gatecheck calibrate here)" in (
        table.measured)
    assert "load average 1.25 at each gateway's start" in table.measured


def test_the_pages_carry_the_performance_table_only_when_it_ran(tmp_path):
    runs = {"reference": [_result("reference", "s/t.py::test_y[reference]", "passed")]}
    rows = compat_rows(runs)
    write_compat(tmp_path, rows, ["reference"], {"reference": {"perf": _perf()}}, {})
    md, html = (tmp_path / "compat.md").read_text(), (tmp_path / "compat.html").read_text()
    assert "## Performance" in md
    assert ("| reference | 0.71 / 7.74 | 16.44 / 109.10 | 7 | 1,835 | 61.4 s |  |"
            in md.splitlines())
    assert "`overhead.ttft.p99<10ms and error_rate<1%`" in md
    assert 'id="performance"' in html
    assert '<td class="num">16.44 / 109.10</td>' in html
    assert "overhead.ttft.p99&lt;10ms and error_rate&lt;1%" in html
    assert "compare ratios within one run" in md
    assert "compare ratios within one run" in html
    write_compat(tmp_path, rows, ["reference"], {"reference": {"run_s": 3}}, {})
    assert "Performance" not in (tmp_path / "compat.md").read_text()
    assert 'id="performance"' not in (tmp_path / "compat.html").read_text()


@pytest.mark.load
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_session_s_performance_step_measures_the_reference_and_fills_the_table(tmp_path):
    import orjson

    from gatecheck.load import PerfConfig

    # A few seconds of load: the step's shape, not its figures (timings are never asserted).
    perf = PerfConfig(streams=2, window_s=1.0, warmup_s=0.25, step_s=1.0, capacity_cap_s=3.0,
                      capacity_users=2)
    code = run_interop(["reference"], out=tmp_path, keyword="test_health1_liveness",
                       perf=perf)
    assert code == 0
    figures = orjson.loads((tmp_path / "interop" / "figures.json").read_bytes())
    measured = figures["reference"]["perf"]
    # 6 s of load, four Locust starts and the reference's: a sanity bound, not a figure
    assert perf.load_s < measured["perf_s"] < 120
    assert measured["stream_1"]["users"] == 1
    assert measured["stream_n"]["users"] == 2
    for step in ("stream_1", "stream_n"):
        run = measured[step]
        assert run["ok"] > 0
        assert run["n"] == run["ok"]
        assert isinstance(run["ttft_p50"], float)
        assert isinstance(run["ttft_p99"], float)
    capacity = measured["capacity"]
    assert capacity["ceiling"] == 2
    assert 1 <= capacity["steps"] <= 4
    assert capacity["stopped"]
    assert measured["chat"]["requests_per_s"] > 0
    run_dir = tmp_path / figures["reference"]["run"]
    for step, run in measured["runs"].items():  # each load run beside the suites' run
        assert (run_dir / "perf" / run / "load" / "summary.json").is_file(), step
    md = (tmp_path / "interop" / "compat.md").read_text()
    (row,) = [line for line in md.splitlines() if line.startswith("| reference | ")
              and " / " in line]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "reference"
    assert "\u2013" not in cells[1:5]
    assert "Measured " in md
    assert 'id="performance"' in (
        tmp_path / "interop" / "compat.html").read_text()
