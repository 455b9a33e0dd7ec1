"""The open-loop schedule: exact constant times, seeded Poisson, a split across processes."""

from __future__ import annotations

import itertools

import pytest

from gatecheck.load import Pacer

S = 1_000_000_000


def _take(pacer: Pacer, n: int) -> list[tuple[int, int]]:
    return [(a.index, a.due_ns) for a in (pacer.claim(0) for _ in range(n))]


def test_constant_rate_is_exactly_start_plus_i_over_rate():
    pacer = Pacer(4.0, "constant", start_ns=10 * S)
    assert _take(pacer, 5) == [(i, 10 * S + i * S // 4) for i in range(5)]


def test_constant_rate_does_not_drift_over_a_long_schedule():
    pacer = Pacer(3.0, "constant", start_ns=0)
    arrivals = _take(pacer, 300_001)
    assert arrivals[-1] == (300_000, 100_000 * S)


def test_poisson_is_seeded_and_has_the_configured_mean_rate():
    first = _take(Pacer(50.0, "poisson", start_ns=0, seed=3), 5000)
    again = _take(Pacer(50.0, "poisson", start_ns=0, seed=3), 5000)
    other = _take(Pacer(50.0, "poisson", start_ns=0, seed=4), 5000)
    assert first == again
    assert first != other
    span_s = first[-1][1] / S
    assert 5000 / span_s == pytest.approx(50.0, rel=0.05)
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(first)]
    assert min(gaps) >= 0


@pytest.mark.parametrize("kind", ["constant", "poisson"])
def test_processes_share_one_schedule_without_overlap(kind):
    whole = _take(Pacer(20.0, kind, start_ns=0, seed=9), 300)
    parts = [_take(Pacer(20.0, kind, start_ns=0, seed=9, process_index=k, processes=3), 100)
             for k in range(3)]
    assert sorted(a for part in parts for a in part) == whole
    assert all(index % 3 == k for k, part in enumerate(parts) for index, _ in part)


def test_drop_policy_skips_arrivals_that_are_already_too_late():
    pacer = Pacer(10.0, "constant", start_ns=0, max_lag_ns=S // 2)
    # At t = 2 s, arrivals 0..14 (due up to 1.4 s) are more than 0.5 s late.
    arrival = pacer.claim(2 * S)
    assert arrival.index == 15
    assert pacer.dropped == 15
    assert pacer.claim(2 * S).index == 16  # 1.6 s: 0.4 s late, still sent


def test_queue_policy_never_drops():
    pacer = Pacer(10.0, "constant", start_ns=0)
    assert pacer.claim(100 * S).index == 0
    assert pacer.dropped == 0


@pytest.mark.parametrize(("rate", "kind", "index", "count"),
                         [(0.0, "constant", 0, 1), (-1.0, "poisson", 0, 1),
                          (1.0, "burst", 0, 1), (1.0, "constant", 2, 2)])
def test_bad_pacer_arguments_are_refused(rate, kind, index, count):
    with pytest.raises(ValueError):
        Pacer(rate, kind, start_ns=0, process_index=index, processes=count)
