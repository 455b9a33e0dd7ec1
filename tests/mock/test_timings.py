"""The mock's ground truth: nonce markers, stopwatch arithmetic, and GET /_mock/timings."""

from __future__ import annotations

import orjson
import pytest

from gatecheck.mock import MockConfig
from gatecheck.mock._timings import FIELDS, Stopwatch, TimingLog, split_nonce
from tests.mock.test_app import _asgi_client


@pytest.mark.parametrize(("raw", "nonce", "rest"), [
    (b'{"c":"hi [[nonce:ab12]]"}', "ab12", b'{"c":"hi"}'),
    (b'{"c":"[[nonce:x_-9]] hi"}', "x_-9", b'{"c":" hi"}'),
    (b'{"c":"hi"}', None, b'{"c":"hi"}'),
    (b'{"c":"hi [[nonce:]]"}', None, b'{"c":"hi [[nonce:]]"}'),  # empty: not ours
    (b'{"c":"hi [[nonce:a b]]"}', None, b'{"c":"hi [[nonce:a b]]"}'),  # bad character
    (b'{"c":"hi [[nonce:' + b"a" * 65 + b']]"}', None, b'{"c":"hi [[nonce:' + b"a" * 65
     + b']]"}'),  # too long
    (b'{"c":"hi [[nonce:ab', None, b'{"c":"hi [[nonce:ab'),  # never closed
])
def test_split_nonce_takes_out_only_a_well_formed_marker(raw, nonce, rest):
    assert split_nonce(raw) == (nonce, rest)


def test_two_marked_bodies_leave_the_same_cache_key():
    one = split_nonce(b'{"m":[{"content":"story [[mock ttft=5]] [[nonce:0001]]"}]}')
    two = split_nonce(b'{"m":[{"content":"story [[mock ttft=5]] [[nonce:0002]]"}]}')
    assert one[1] == two[1]
    assert (one[0], two[0]) == ("0001", "0002")


def test_stopwatch_rows_use_the_timing_model_formulas(monkeypatch):
    # Synthetic stamps (ns): headers at +1 ms, content writes at +100, +110 (2 events), +130.
    base = 1_000_000_000
    stamps = iter([base + 1_000_000, base + 100_000_000, base + 110_000_000,
                   base + 130_000_000])
    monkeypatch.setattr("gatecheck.mock._timings.time.perf_counter_ns", lambda: next(stamps))
    watch = Stopwatch("n1", start_ns=base)
    watch.status = 200
    watch.wrote(0)  # headers
    watch.wrote(1)  # first content event
    watch.wrote(2)  # two more in one write
    watch.wrote(1, end=True)  # the last, with the end of the stream
    row = dict(zip(FIELDS, watch.row(7), strict=True))
    assert row == {"seq": 7, "nonce": "n1", "status": 200, "ttfb": 1.0, "ttft": 100.0,
                   # (last - first) / (events - 1) = (130 - 100) / 3
                   "itl": 10.0, "e2e": 130.0, "content_events": 4}


def test_timing_log_is_a_bounded_ring_with_a_nonce_index():
    log = TimingLog(3)
    for i in range(5):
        log.add(Stopwatch(f"n{i}", 0))
    page = orjson.loads(log.render(since=0))
    assert [r[1] for r in page["rows"]] == ["n2", "n3", "n4"]
    assert (page["total"], page["dropped"], page["next"]) == (5, 2, 5)
    assert orjson.loads(log.render(since=4))["rows"][0][1] == "n4"
    assert orjson.loads(log.render(since=5))["rows"] == []
    assert orjson.loads(log.render(nonce="n0"))["rows"] == []  # evicted with its row
    assert orjson.loads(log.render(nonce="n3"))["rows"][0][0] == 4
    assert [r[1] for r in orjson.loads(log.render(since=2, limit=1))["rows"]] == ["n2"]


def _marked(content: str, stream: bool = True) -> dict[str, object]:
    body: dict[str, object] = {"model": "mock-chat", "stream": stream, "max_tokens": 64,
                               "messages": [{"role": "user", "content": content}]}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def test_marked_requests_are_timed_and_unmarked_ones_are_not():
    with _asgi_client(MockConfig()) as client:
        for i in range(2):
            body = _marked(f"tell me [[mock ttft=30 itl=5 tokens=4]] [[nonce:req{i}]]")
            assert client.post("/v1/chat/completions", json=body).status_code == 200
        client.post("/v1/chat/completions", json=_marked("tell me [[mock tokens=2]]"))
        plain = _marked("tell me [[nonce:plain]]", stream=False)
        assert client.post("/v1/chat/completions", json=plain).status_code == 200
        page = client.get("/_mock/timings").json()
        rows = [dict(zip(page["fields"], r, strict=True)) for r in page["rows"]]
        assert [r["nonce"] for r in rows] == ["req0", "req1", "plain"]
        stream = rows[0]
        assert stream["status"] == 200
        assert stream["content_events"] == 4
        # lower bounds only: the mock sleeps at least this long (no timing asserted above)
        assert stream["ttft"] >= 30
        assert stream["e2e"] >= 30 + 3 * 5
        assert stream["ttfb"] <= stream["ttft"] <= stream["e2e"]
        assert rows[2]["ttft"] is None
        assert rows[2]["e2e"] is not None
        # the marker never reached the plan: the log's prompt and the reply are unmarked
        log = client.get("/_mock/log").json()["entries"]
        assert "[[nonce" not in log[0]["prompt"]
        one = client.get("/_mock/timings", params={"nonce": "req1"}).json()["rows"]
        assert [r[1] for r in one] == ["req1"]
        client.post("/_mock/reset")
        assert client.get("/_mock/timings").json()["total"] == 0


def test_a_marked_request_that_faults_is_timed_with_its_status():
    with _asgi_client(MockConfig()) as client:
        body = _marked("x [[mock fault=429]] [[nonce:f1]]", stream=False)
        assert client.post("/v1/chat/completions", json=body).status_code == 429
        row = client.get("/_mock/timings", params={"nonce": "f1"}).json()["rows"][0]
        assert row[2] == 429


def test_timings_endpoint_ignores_bad_query_values():
    with _asgi_client(MockConfig()) as client:
        page = client.get("/_mock/timings", params={"since": "-3", "limit": "lots"})
        assert page.status_code == 200
        assert page.json()["rows"] == []
