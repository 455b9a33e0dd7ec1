"""Capacity at an SLO: the SLO grammar, judging a step, and a search that always ends."""

from __future__ import annotations

import math

import pytest

from gatecheck import UsageError
from gatecheck.load import CapacitySearch, judge, parse_slos
from gatecheck.load._capacity import MAX_STEPS, step_record


def test_slos_parse_units_and_bounds():
    slos = parse_slos("overhead.ttft.p99<10ms, ttft.p99.9<=0.5s ,error_rate<1%,e2e.max<900")
    assert [(s.figure, s.limit, s.inclusive) for s in slos] == [
        ("overhead.ttft.p99", 10.0, False), ("ttft.p99.9", 500.0, True),
        ("error_rate", 0.01, False), ("e2e.max", 900.0, False)]
    assert [s.text for s in slos] == ["overhead.ttft.p99<10ms", "ttft.p99.9<=500ms",
                                      "error_rate<1%", "e2e.max<900ms"]
    assert [s.needs_mock for s in slos] == [True, False, False, False]
    assert parse_slos("error_rate<0.05")[0].limit == 0.05


@pytest.mark.parametrize("text", ["", "ttft<5ms", "overhead.ttfb.p99<5ms", "ttft.p98<5ms",
                                  "ttft.p99>5ms", "ttft.p99<5%", "error_rate<5ms", "ttft.p99<"])
def test_bad_slos_are_one_line_usage_errors(text):
    with pytest.raises(UsageError) as info:
        parse_slos(text)
    assert "\n" not in str(info.value)


def _summary(total: int, error_rate: float | None, ttft_p99: float | None,
             overhead_p99: float | None = None) -> dict:
    return {"requests": {"total": total, "ok": total, "failed": 0, "error_rate": error_rate},
            "latency_ms": {"ttft": {"count": total, "p50": 1.0, "p99": ttft_p99}},
            "overhead": {"ttft": {"count": total, "p50": 0.1, "p99": overhead_p99}}}


def test_a_step_meets_the_slo_only_when_every_figure_is_measured_and_under():
    slos = parse_slos("overhead.ttft.p99<10ms,error_rate<1%")
    met, checks = judge(_summary(50, 0.0, 90.0, 9.99), slos)
    assert met is True
    assert [c["value"] for c in checks] == [9.99, 0.0]
    assert judge(_summary(50, 0.0, 90.0, 10.0), slos)[0] is False  # strict bound
    assert judge(_summary(50, 0.02, 90.0, 1.0), slos)[0] is False
    assert judge(_summary(50, 0.0, 90.0, None), slos)[0] is False  # not measured: missed
    assert judge(_summary(0, None, None, None), parse_slos("error_rate<1%"))[0] is False
    assert judge(_summary(5, 0.0, 10.0), parse_slos("ttft.p99<=10ms"))[0] is True


def _search(capacity: int, ceiling: int, start: int = 1) -> CapacitySearch:
    search = CapacitySearch(ceiling=ceiling, start=start)
    for _ in range(1000):  # far more than any search takes: the test is that it ends
        load = search.next_load()
        if load is None:
            return search
        assert 1 <= load <= ceiling
        search.record(load, load <= capacity)
    raise AssertionError("the search did not end")


@pytest.mark.parametrize("ceiling", [1, 2, 7, 64, 1000])
def test_the_search_ends_for_every_capacity_and_brackets_it(ceiling):
    for capacity in range(0, ceiling + 2):
        search = _search(capacity, ceiling)
        steps = len(search.history)
        # doubling up to the ceiling, then halving the bracket: O(log ceiling) steps
        assert steps <= 2 * math.ceil(math.log2(ceiling + 1)) + 2 <= MAX_STEPS
        found = search.passed
        if capacity == 0:
            assert found is None
            assert search.outcome()["stopped"] == "no load met the SLO"
        elif capacity >= ceiling:
            assert found == ceiling
            assert "raise --users" in search.outcome()["stopped"]
        else:
            assert found is not None
            assert found <= capacity < search.failed
            assert search.failed - found <= max(1, math.floor(found * search.resolution))


def test_a_start_above_the_capacity_searches_downwards():
    search = _search(capacity=5, ceiling=100, start=40)
    assert [load for load, _ in search.history][:4] == [40, 20, 10, 5]
    assert search.passed == 5


def test_the_time_cap_is_said_in_the_outcome():
    search = CapacitySearch(ceiling=100)
    for load in (1, 2, 4):
        search.record(load, True)
    assert search.outcome(timed_out=True)["stopped"] == "the time cap ended the search"
    assert search.outcome(timed_out=True)["users"] == 4


def test_a_step_record_keeps_what_the_chart_draws():
    summary = _summary(40, 0.025, 120.0, 4.5)
    summary["latency_ms"]["e2e"] = {"count": 40, "p50": 300.0, "p99": 350.0}
    record = step_record(8, 12.0, 8.0, summary, False, [])
    assert record["users"] == 8
    assert record["requests_per_s"] == 5.0  # 40 ok / 8 s window
    assert record["overhead_ms"]["ttft"] == {"count": 40, "p50": 0.1, "p99": 4.5}
    assert record["error_rate"] == 0.025
    assert record["met"] is False
