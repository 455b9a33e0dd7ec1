"""The gateway's overhead: joining the mock's timings by nonce, and the arithmetic on them.

Synthetic stamps and rows only: no figure here was measured, so every one is exact.
"""

from __future__ import annotations

import orjson
import pytest

from gatecheck import Stamps
from gatecheck.load import GroundTruth, Sample, overhead, read_floor, self_check, summarize
from gatecheck.load._calibration import floor_from, write_calibration
from gatecheck.load._samples import sample_from
from gatecheck.mock._timings import FIELDS

MS = 1_000_000


def _sample(nonce: str, *, ttft: float, itl: float, e2e: float, ok: bool = True) -> Sample:
    n = 5
    send = 0
    first = int(ttft * MS)
    step = int(itl * MS)
    stamps = Stamps(send_ns=send, headers_ns=MS, content_ns=[first + i * step for i in range(n)],
                    end_ns=int(e2e * MS), output_tokens=n)
    return sample_from(stamps, t=100.0, kind="stream", ok=ok, status=200 if ok else 500,
                       error=None if ok else "status 500", in_tokens=3, node="n", nonce=nonce)


def _row(seq: int, nonce: str, *, ttft: float | None, itl: float | None,
         e2e: float) -> list[object]:
    return [seq, nonce, 200, 0.5, ttft, itl, e2e, 5]


def test_rows_join_samples_in_either_order():
    truth = GroundTruth()
    early = _sample("a", ttft=101.0, itl=10.5, e2e=143.0)
    truth.expect([early])  # the sample first (one process: the usual order)
    assert truth.waiting == 1
    assert truth.absorb(FIELDS, [_row(1, "a", ttft=100.0, itl=10.0, e2e=140.0),
                                 _row(2, "b", ttft=100.0, itl=10.0, e2e=140.0)]) == 1
    assert (early.mock_ttft, early.mock_itl, early.mock_e2e) == (100.0, 10.0, 140.0)
    assert truth.waiting == 0
    late = _sample("b", ttft=103.0, itl=10.0, e2e=150.0)
    truth.expect([late])  # the row first (a worker's samples arrive seconds later)
    assert late.mock_e2e == 140.0
    unmarked = _sample("x", ttft=1, itl=1, e2e=5)
    unmarked.nonce = None
    truth.expect([unmarked])
    assert unmarked.mock_e2e is None


def test_overhead_is_client_minus_mock_minus_the_floor():
    samples = [_sample(f"n{i}", ttft=100.0 + i, itl=10.0, e2e=150.0 + 2 * i) for i in range(4)]
    for s in samples:
        s.mock_ttft, s.mock_itl, s.mock_e2e = 100.0, 9.5, 150.0
    failed = _sample("f", ttft=500, itl=10, e2e=900, ok=False)  # failures carry no overhead
    unmatched = _sample("u", ttft=100, itl=10, e2e=150)
    gateway = overhead([*samples, failed, unmatched], {"ttft": 0.5, "itl": 0.25, "e2e": 1.0})
    assert gateway is not None
    assert (gateway["matched"], gateway["unmatched"]) == (4, 1)
    assert gateway["added"]["ttft"]["p50"] == 1.0  # added: 0, 1, 2, 3 -> nearest rank p50 = 1
    assert gateway["ttft"]["p50"] == 0.5  # minus the floor
    assert gateway["ttft"]["max"] == 2.5
    assert gateway["itl"]["p50"] == pytest.approx(0.25)  # 10 - 9.5 - 0.25
    assert gateway["e2e"]["max"] == 5.0  # 156 - 150 - 1
    assert gateway["mock"]["ttft"]["p50"] == 100.0
    assert overhead([Sample(t=1, kind="chat", ok=True)]) is None  # none marked


def test_the_summary_carries_the_overhead_and_warns_about_unmatched_requests():
    matched = _sample("m", ttft=101, itl=10, e2e=150)
    matched.mock_ttft, matched.mock_itl, matched.mock_e2e = 100.0, 10.0, 149.0
    summary = summarize([matched, _sample("u", ttft=1, itl=1, e2e=5)], run={})
    assert summary["overhead"]["e2e"]["p50"] == 1.0
    assert summary["overhead"]["floor_ms"] is None
    assert any("1 of 2 successful requests have no timing from the mock" in w
               for w in summary["warnings"])
    plain = _sample("x", ttft=1, itl=1, e2e=5)
    plain.nonce = None  # a run without a mock behind the target: no overhead section
    assert "overhead" not in summarize([plain], run={})


def test_polls_read_every_page_count_lost_rows_and_survive_a_failed_read():
    pages = {0: {"fields": FIELDS, "rows": [_row(3, "c", ttft=1, itl=1, e2e=2)]},
             3: {"fields": FIELDS, "rows": []}}
    truth = GroundTruth()
    read = truth.poll(lambda path: orjson.dumps(pages[int(path.split("since=")[1].split("&")[0])]))
    assert (read, truth.cursor, truth.lost) == (1, 3, 2)  # rows 1 and 2 were overwritten

    def broken(path: str) -> bytes:
        raise ConnectionError("refused")

    assert truth.poll(broken) == 0
    assert truth.error == "ConnectionError: refused"
    assert truth.cursor == 3


def test_calibration_floor_is_the_p50_of_added_figures_and_round_trips(tmp_path):
    samples = [_sample(f"n{i}", ttft=100.2 + i / 10, itl=10.0, e2e=150.4) for i in range(3)]
    for s in samples:
        s.mock_ttft, s.mock_itl, s.mock_e2e = 100.0, 10.0, 150.0
    summary = summarize(samples, run={"users": 3})
    assert floor_from(summary) == {"ttft": pytest.approx(0.3), "itl": 0.0,
                                   "e2e": pytest.approx(0.4)}
    ok, line = self_check(summary)
    assert ok is True
    assert "within 1 ms of 0" in line
    path = tmp_path / "calibration.json"
    assert write_calibration(path, summary) is not None
    floor = read_floor(path)
    assert floor is not None
    assert floor["ttft"] == pytest.approx(0.3)
    assert floor["users"] == 3
    assert read_floor(tmp_path / "none.json") is None


def test_a_self_check_over_a_millisecond_fails_and_a_bad_file_is_refused(tmp_path):
    slow = _sample("s", ttft=103.0, itl=10, e2e=160)
    slow.mock_ttft, slow.mock_itl, slow.mock_e2e = 100.0, 10.0, 150.0
    ok, line = self_check(summarize([slow], run={}))
    assert ok is False
    assert "NOT within" in line
    assert self_check(summarize([], run={}))[0] is None
    bad = tmp_path / "calibration.json"
    bad.write_text("{}")
    from gatecheck import UsageError

    with pytest.raises(UsageError, match="not a calibration file"):
        read_floor(bad)


def test_accuracy_bounds_are_a_share_of_the_true_value_or_a_floor_in_ms():
    from gatecheck.load import ACCURACY, accuracy_checks

    truth = {"ttft": 200.0, "itl": 20.0}
    summary = {"latency_ms": {"ttft": {"p50": 201.9}, "itl": {"p50": 20.3}}}
    (ttft, itl) = accuracy_checks(truth, summary)
    assert ttft[:2] == ("ttft", True)  # +1.9 ms of ±2 ms (1 % of 200)
    assert ttft[2] == ("accuracy: ttft p50 201.90 ms, true 200.00 ms: +1.90 ms (+0.95 %), "
                       "within ±2.00 ms (1 % or 2 ms, the larger)")
    assert itl[:2] == ("itl", False)  # +0.3 ms of ±0.2 ms
    assert "NOT within ±0.20 ms" in itl[2]
    # a fast model: the absolute floor, since the mock's timer has millisecond resolution
    fast = accuracy_checks({"ttft": 30.0, "itl": 5.0},
                           {"latency_ms": {"ttft": {"p50": 28.2}, "itl": {"p50": 5.1}}})
    assert [(name, ok) for name, ok, _ in fast] == [("ttft", True), ("itl", True)]
    slow = accuracy_checks({"ttft": 1000.0, "itl": 50.0},
                           {"latency_ms": {"ttft": {"p50": 1009.0}, "itl": {"p50": 50.6}}})
    assert [ok for _, ok, _ in slow] == [True, False]  # ±10 ms, ±0.5 ms
    missing = accuracy_checks(truth, {"latency_ms": {"ttft": {"count": 0}}})
    assert [ok for _, ok, _ in missing] == [False, False]
    assert missing[0][2].startswith("accuracy: ttft p50 not measured (true 200.00 ms)")
    assert set(ACCURACY) == {"ttft", "itl"}
