"""The hand-written SVG charts and the plot data behind them (ticks, buckets, bins)."""

from __future__ import annotations

import re

import pytest

from gatecheck.report._svg import Series, fmt, histogram, line_chart, nice_ticks, strip
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


def test_over_time_buckets_by_send_time_and_rates_the_partial_last_bucket():
    points = tuple(Point(t=1000.0 + i * 0.5, ok=i % 10 != 9, ttft=100.0 + i, e2e=500.0)
                   for i in range(20))  # 10 s of sends, every 10th failed
    load = LoadRun({"run": {"started": None}, "latency_ms": {"ttft": {"count": 18}}}, points)
    series = over_time(load, "ttft")
    assert series["width"] == 1  # 0.25 s would cut 10 s into 40, but 20 sends need 1 s
    assert len(series["x"]) == len(series["p50"]) == len(series["ok_rate"])
    assert sum(r for r in series["ok_rate"] if r is not None) == pytest.approx(18, abs=1)
    assert series["p50"][0] == 100.0


def test_over_time_runs_to_the_window_end_without_a_false_spike_at_the_end():
    # 2.5 req/s from 0.3 s to 5.1 s of a 6 s run whose start is written to the whole second;
    # requests sent after 5.1 s were still in flight at the stop (no sample). Ending the
    # buckets at the last send made its sliver of a bucket read 10 req/s.
    started = 1_800_000_000.0
    points = tuple(Point(t=started + 0.3 + i * 0.4, ok=True, ttft=50.0, e2e=900.0)
                   for i in range(13))
    run = {"started": "2027-01-15T08:00:00Z", "run_time_s": 6}
    load = LoadRun({"run": run, "latency_ms": {"ttft": {"count": 13}}}, points)
    series = over_time(load, "ttft")
    assert series["width"] == 1  # two sends per bucket on average, not 0.25 s combs
    rates = [r for r in series["ok_rate"] if r is not None]
    assert max(rates) <= 3.0
    assert series["x"][-1] > 6.0  # the window reaches start + run time (+ the lost second)
    assert series["ok_rate"][-1] is None  # a final bucket under half covered is left out
    assert series["p50"][-1] is None  # buckets with no send have no percentile
    assert sum(rates) == pytest.approx(13)  # 1 s buckets: every send counted once
    # Without a run time the last send ends the window; a thin last bucket is still left out.
    bare = over_time(LoadRun({"run": {}, "latency_ms": {}}, points), "ttft")
    assert max(r for r in bare["ok_rate"] if r is not None) < 4.0  # was 16


def test_over_time_scales_a_final_bucket_by_the_part_the_window_covers():
    started = 1_800_000_000.0
    points = tuple(Point(t=started + i * 0.5, ok=True, ttft=50.0, e2e=90.0) for i in range(80))
    run = {"started": "2027-01-15T08:00:00.000Z", "run_time_s": 41}
    series = over_time(LoadRun({"run": run, "latency_ms": {}}, points), "ttft")
    assert series["width"] == 2
    assert series["x"][-1] == 41.0  # [40, 42) covers 1 s of the window
    assert series["ok_rate"][-1] == 0.0  # no send after 39.5 s: no false spike, no gap
    assert set(series["ok_rate"][:-1]) == {2.0}


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
