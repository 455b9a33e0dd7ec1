"""Exact percentiles and their independence from how samples were split across workers."""

from __future__ import annotations

import random

import pytest

from gatecheck.load import Sample, SampleBook, describe, percentile, summarize


def test_nearest_rank_percentiles_on_one_to_a_thousand():
    ordered = [float(v) for v in range(1, 1001)]
    assert percentile(ordered, 50) == 500.0
    assert percentile(ordered, 90) == 900.0
    assert percentile(ordered, 99) == 990.0
    assert percentile(ordered, 99.9) == 999.0
    assert percentile(ordered, 100) == 1000.0


def test_percentile_is_always_a_measured_value_never_an_interpolation():
    assert percentile([10.0, 20.0], 50) == 10.0
    assert percentile([10.0, 20.0], 51) == 20.0
    assert percentile([7.0], 99.9) == 7.0


@pytest.mark.parametrize("p", [0, -1, 100.5])
def test_percentile_outside_range_is_refused(p):
    with pytest.raises(ValueError):
        percentile([1.0], p)


def test_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_describe_skips_none_and_reports_every_figure():
    d = describe([3.0, None, 1.0, 2.0])
    assert d == {"count": 3, "mean": 2.0, "min": 1.0, "p50": 2.0, "p90": 3.0, "p99": 3.0,
                 "p99.9": 3.0, "max": 3.0}
    assert describe([])["p99"] is None
    assert describe([])["count"] == 0


def _sample(i: int, ttft: float) -> Sample:
    return Sample(t=1000.0 + i / 100, kind="stream", ok=True, status=200, ttft=ttft,
                  itl=ttft / 10, e2e=ttft * 5, out_tokens=50, events=50, bursts=50,
                  node=f"w{i % 3}")


def test_merging_worker_reports_gives_the_percentiles_of_the_union():
    rng = random.Random(7)
    samples = [_sample(i, rng.lognormvariate(5, 0.5)) for i in range(2000)]
    workers = [SampleBook() for _ in range(3)]
    for s in samples:
        rng.choice(workers).add(s)
    master = SampleBook()
    # Reports arrive interleaved, each with only the rows not yet shipped.
    for _ in range(3):
        for book in workers:
            master.receive(book.drain())
    assert len(master.samples) == len(samples)
    assert all(book.drain() == [] for book in workers)  # nothing shipped twice
    merged = summarize(master.samples, run={})["latency_ms"]["ttft"]
    truth = sorted(s.ttft for s in samples)  # type: ignore[type-var]
    assert merged["p50"] == round(percentile(truth, 50), 3)
    assert merged["p99"] == round(percentile(truth, 99), 3)
    assert merged["p99.9"] == round(percentile(truth, 99.9), 3)
    assert merged["count"] == 2000


def test_rows_survive_the_trip_to_the_master_unchanged():
    s = Sample(t=1.5, kind="chat", ok=False, status=503, error="status 503: busy", e2e=2.0,
               node="h:1")
    assert Sample.from_row(s.to_row()) == s
