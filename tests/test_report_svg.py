"""The hand-written SVG charts and the plot data behind them (ticks, buckets, bins)."""

from __future__ import annotations

import re

import pytest

from gatecheck.report import Series, line_chart
from gatecheck.report._svg import fmt, histogram, nice_ticks, strip
from gatecheck.report.performance import LoadRun, Point, bucket_width, histogram_bins, over_time


@pytest.mark.parametrize(("lo", "hi", "ticks"), [
    (0, 9.3, [0, 2, 4, 6, 8, 10]),
    (0, 1234, [0, 250, 500, 750, 1000, 1250]),
    (0.0, 0.07, [0, 0.02, 0.04, 0.06, 0.08]),
    (5, 5, [5, 6, 7, 8, 9, 10]),  # a flat series still gets an axis
])
def test_nice_ticks_cover_the_range_with_round_steps(lo, hi, ticks):
    assert nice_ticks(lo, hi) == pytest.approx(ticks)


def test_fmt_is_short():
    assert [fmt(v) for v in (0, 0.25, 12.5, 250, 1500, 12000)] == [
        "0", "0.25", "12.5", "250", "1.5k", "12k"]


def test_line_chart_breaks_lines_at_gaps_and_is_deterministic():
    series = [Series("p50", [(0, 1.0), (1, 2.0), (2, None), (3, 4.0), (4, 5.0)])]
    svg = line_chart("k", series, title="t <&>", x_label="x", y_label="y")
    assert svg == line_chart("k", series, title="t <&>", x_label="x", y_label="y")
    assert svg.count("<polyline") == 2  # the None splits the line
    assert "t &lt;&amp;&gt;" in svg
    assert "<&>" not in svg
    assert line_chart("k", [Series("empty", [(0, None)])], title="t", x_label="x",
                      y_label="y") == ""


def test_histogram_draws_one_bar_per_non_empty_bin_and_its_marks():
    svg = histogram("h", [(0, 10, 3), (10, 20, 0), (20, 30, 5)], title="t", x_label="ms",
                    marks=[(15.0, "p50 15 ms")])
    assert len(re.findall(r"<rect ", svg)) == 2
    assert "p50 15 ms" in svg


def test_histogram_bins_count_every_value_and_clip_outliers():
    values = [float(v) for v in range(1, 101)] + [10_000.0]
    bins, clipped, edge = histogram_bins(values, p99=100.0)
    assert sum(n for _, _, n in bins) == len(values)
    assert clipped == 1
    assert edge >= 150.0
    assert bins[-1][1] == pytest.approx(edge)


def test_bucket_width_keeps_at_most_forty_buckets():
    assert bucket_width(5) == 0.25
    assert bucket_width(45) == 2
    assert bucket_width(3600) == 120


def test_over_time_buckets_by_send_time_and_rates_every_request_once():
    points = tuple(Point(t=1000.0 + i * 0.5, ok=i % 10 != 9, ttft=100.0 + i, e2e=500.0)
                   for i in range(20))  # 10 s of sends, every 10th failed
    load = LoadRun({"run": {"started": None}, "latency_ms": {"ttft": {"count": 18}}}, points)
    series = over_time(load, "ttft")
    assert series["window"] == [0.0, 10.0]  # first send -> last completion (9.5 + 0.5 s)
    assert series["width"] == 1  # 0.25 s would cut 10 s into 40, but 20 sends need 1 s
    assert len(series["x"]) == len(series["p50"]) == len(series["ok_rate"]) == 10
    assert sum(series["ok_rate"]) * series["width"] == pytest.approx(18)
    assert sum(series["fail_rate"]) * series["width"] == pytest.approx(2)
    assert series["p50"][0] == 100.0


def _closed_loop(users: int, e2e_s: float, seconds: float) -> tuple[Point, ...]:
    """Every user sends at the same instant, again as soon as its answer ends."""
    start = 1_800_000_000.0
    cycles = int(seconds / e2e_s)
    return tuple(Point(t=start + c * e2e_s, ok=True, ttft=100.0, e2e=e2e_s * 1000)
                 for c in range(cycles) for _ in range(users))


def test_a_closed_loop_reads_its_steady_rate_not_a_sawtooth():
    # 10 users, 1.18 s per request: sends come in bursts of 10 every 1.18 s. Counted at
    # their send instant in 0.5 s buckets they read 20, 0, 20, 0 (the reported bug).
    points = _closed_loop(users=10, e2e_s=1.18, seconds=20.0)
    load = LoadRun({"run": {}, "latency_ms": {"ttft": {"count": len(points)}}}, points)
    series = over_time(load, "ttft")
    window = series["window"][1] - series["window"][0]
    steady = 10 / 1.18
    assert all(rate == pytest.approx(steady, rel=1e-6) for rate in series["ok_rate"])
    # the chart agrees with the table: its mean is ok requests / the summary's window
    assert sum(series["ok_rate"]) / len(series["ok_rate"]) == pytest.approx(
        len(points) / window)
    assert set(series["fail_rate"]) == {0.0}


def test_the_window_ends_at_the_last_completion_and_instant_requests_count_once():
    start = 1_800_000_000.0
    points = (Point(t=start, ok=True, ttft=None, e2e=None),  # no e2e: counted at its send
              Point(t=start + 1.0, ok=False, ttft=None, e2e=0.0),
              Point(t=start + 2.0, ok=True, ttft=None, e2e=3000.0))  # ends at +5 s
    run = {"started": "2027-01-15T08:00:00Z", "measured_from": start, "warmup_s": 0}
    series = over_time(LoadRun({"run": run, "latency_ms": {}}, points), "e2e")
    assert series["window"] == [0.0, 5.0]
    width = series["width"]
    assert sum(series["ok_rate"]) * width == pytest.approx(2)
    assert sum(series["fail_rate"]) * width == pytest.approx(1)
    assert series["x"][0] == pytest.approx(width / 2)


def test_strip_has_one_cell_per_run():
    svg = strip([("ok", "night 1: up"), ("bad", "night 2: 404"), ("nope", "?")])
    assert svg.count("<rect") == 3
    assert "#cf222e" in svg
    assert "night 2: 404" in svg
    assert strip([]) == ""


def test_page_shell_links_sections_and_other_pages():
    from gatecheck.report.page import Markup, page

    html = page("t", Markup("<p>x</p>"), nav=[("runs", "Runs"), ("../index.html", "Home")])
    assert '<a href="#runs">Runs</a>' in html
    assert '<a href="../index.html">Home</a>' in html
