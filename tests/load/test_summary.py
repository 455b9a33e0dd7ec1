"""summary.json figures on synthetic samples: CO correction, buffering, client health."""

from __future__ import annotations

from pathlib import Path

from gatecheck import Stamps
from gatecheck.load import (
    DEFINITIONS,
    PERCENTILES,
    Sample,
    buffering,
    client_health,
    read_samples,
    summarize,
    write_samples,
)
from gatecheck.load._samples import content_bursts, sample_from

MS = 1_000_000


def _stream_stamps(*, send: int, intended: int | None, ttft_ms: int, itl_ms: int,
                   n: int) -> Stamps:
    first = send + ttft_ms * MS
    content = [first + i * itl_ms * MS for i in range(n)]
    return Stamps(send_ns=send, headers_ns=send + MS, content_ns=content,
                  end_ns=content[-1] + MS, intended_ns=intended, output_tokens=n)


def _sample(stamps: Stamps, kind: str = "stream") -> Sample:
    return sample_from(stamps, t=100.0, kind=kind, ok=True, status=200, error=None,
                       in_tokens=10, node="n")


def test_sample_uses_the_core_formulas():
    s = _sample(_stream_stamps(send=0, intended=None, ttft_ms=200, itl_ms=20, n=50))
    assert s.ttfb == 1.0
    assert s.ttft == 200.0
    assert s.itl == 20.0
    assert s.e2e == 200.0 + 49 * 20 + 1
    assert s.events == 50
    assert s.bursts == 50
    assert s.out_tokens == 50
    assert s.lag is None
    assert s.ttft_i is None


def test_latency_from_intended_send_adds_the_schedule_lag():
    # Sent 300 ms late: service latency hides it, response latency does not.
    s = _sample(_stream_stamps(send=1_300 * MS, intended=1_000 * MS, ttft_ms=200, itl_ms=20,
                               n=10))
    assert s.lag == 300.0
    assert s.ttft == 200.0
    assert s.ttft_i == 500.0
    assert s.e2e_i == s.e2e + 300.0  # type: ignore[operator]
    summary = summarize([s], run={}, open_loop={"rate_per_s": 5.0, "dropped": 2})
    lat = summary["latency_ms"]
    assert lat["ttft_from_intended"]["p50"] == 500.0
    assert lat["schedule_lag"]["p99"] == 300.0
    assert summary["open_loop"]["late"] == 1
    assert summary["open_loop"]["dropped"] == 2
    assert summary["open_loop"]["send_rate_per_s"] is None  # one send: no rate
    assert any("schedule lag" in w for w in summary["warnings"])


def test_closed_loop_summary_has_no_open_loop_figures():
    s = _sample(_stream_stamps(send=0, intended=None, ttft_ms=50, itl_ms=5, n=10))
    summary = summarize([s], run={"scenario": "stream"})
    assert "open_loop" not in summary
    assert "schedule_lag" not in summary["latency_ms"]
    assert summary["definitions"] is DEFINITIONS
    assert summary["requests"] == {"total": 1, "ok": 1, "failed": 0, "unfinished": None,
                                   "warmup_excluded": 0, "error_rate": 0.0, "errors": {},
                                   "unfinished_at_stop": None}


def test_content_bursts_split_on_gaps_of_a_millisecond():
    assert content_bursts([]) == 0
    assert content_bursts([0, 0, 0]) == 1
    assert content_bursts([0, MS - 1, 2 * MS]) == 2
    assert content_bursts([i * 20 * MS for i in range(5)]) == 5


def test_buffering_detector_fires_on_one_burst_and_not_on_a_real_stream():
    real = [_sample(_stream_stamps(send=0, intended=None, ttft_ms=200, itl_ms=20, n=50))
            for _ in range(10)]
    burst = _stream_stamps(send=0, intended=None, ttft_ms=1180, itl_ms=0, n=50)
    fake = [_sample(burst) for _ in range(10)]
    assert buffering(real)["suspected"] is False
    assert buffering(real)["buffered"] == 0
    verdict = buffering(fake)
    assert verdict["suspected"] is True
    assert verdict["buffered_fraction"] == 1.0
    assert verdict["ttft_over_e2e_p50"] > 0.99
    summary = summarize(fake, run={})
    assert any("buffering suspected" in w for w in summary["warnings"])


def test_buffering_detector_does_not_judge_short_or_instant_streams():
    # A zero-latency upstream sends everything at once: nothing to judge, nothing flagged.
    instant = [_sample(_stream_stamps(send=0, intended=None, ttft_ms=1, itl_ms=0, n=50))]
    short = [_sample(_stream_stamps(send=0, intended=None, ttft_ms=500, itl_ms=0, n=3))]
    assert buffering(instant)["judged"] == 0
    assert buffering(short)["judged"] == 0
    assert buffering(instant + short)["suspected"] is False


def test_buffering_detector_also_fires_when_the_first_content_comes_at_the_end():
    # Replayed after buffering with small gaps: many bursts, but ttft / e2e ~ 0.97.
    replayed = [_sample(_stream_stamps(send=0, intended=None, ttft_ms=3000, itl_ms=2, n=50))
                for _ in range(4)]
    verdict = buffering(replayed)
    assert verdict["buffered_one_burst"] == 0
    assert verdict["buffered_ttft_ratio"] == 4
    assert verdict["buffered"] == 4
    assert verdict["suspected"] is True
    assert any("streams were buffered" in w for w in summarize(replayed, run={})["warnings"])


def test_a_slow_first_token_before_a_short_answer_is_not_buffering():
    # ttft / e2e ~ 0.95 but only 10 content events, each its own burst: a real stream.
    slow_start = [_sample(_stream_stamps(send=0, intended=None, ttft_ms=3000, itl_ms=20, n=10))
                  for _ in range(4)]
    verdict = buffering(slow_start)
    assert verdict["judged"] == 4
    assert verdict["ttft_over_e2e_p50"] > 0.9
    assert verdict["buffered"] == 0
    assert verdict["suspected"] is False


def _numeric_figures(node, path=()):
    """(path, value) of every number in a JSON-like tree (booleans are verdicts, not figures)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_figures(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from _numeric_figures(value, path)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def test_every_figure_in_summary_json_has_its_definition():
    stream = [_sample(_stream_stamps(send=0, intended=5 * MS, ttft_ms=100, itl_ms=10, n=20))
              for _ in range(3)]
    failed = Sample(t=100.5, kind="chat", ok=False, status=500, error="status 500: boom")
    stages = [{"stage": 0, "users": 1, "start_s": 0.0, "end_s": 2.0}]
    health = {"n": {"cpu": [20.0] * 5, "lag": [0.5] * 5}}
    summary = summarize(
        [*stream, failed], run={"users": 3, "duration_s": 10.0}, health=health,
        open_loop={"rate_per_s": 5.0, "arrival": "poisson", "seed": 1, "overload": "drop",
                   "max_lag_ms": 100.0, "dropped": 0},
        stages=stages, started=99.0, begun=5)
    stats = {"count", "mean", "min", "max"} | {f"p{p:g}" for p in PERCENTILES}
    keyed_by_data = {"errors", "processes"}  # entries named by an error text / a process
    figures = list(_numeric_figures({k: v for k, v in summary.items() if k != "run"}))
    assert len(figures) > 100  # every section above is there
    undefined = set()
    for path, _ in figures:
        names = [k for i, k in enumerate(path) if not (i and path[i - 1] in keyed_by_data)]
        name = names[-2] if names[-1] in stats else names[-1]
        if name not in DEFINITIONS:
            undefined.add(".".join(path))
    assert undefined == set()
    assert "percentiles" in DEFINITIONS  # what the stat keys mean


def test_client_health_warns_on_sustained_cpu_and_loop_lag_only():
    calm = {"a": {"cpu": [20.0] * 10, "lag": [0.5] * 20}}
    busy = {"b": {"cpu": [95.0] * 10, "lag": [15.0] * 20}}
    one_stall = {"c": {"cpu": [20.0] * 10, "lag": [0.5] * 19 + [80.0]}}
    assert client_health(calm, schedule_lag_p99=None, reference_ms=None)["ok"] is True
    assert client_health(one_stall, schedule_lag_p99=None, reference_ms=None)["ok"] is True
    report = client_health(busy, schedule_lag_p99=None, reference_ms=None)
    assert report["ok"] is False
    assert len(report["warnings"]) == 2
    assert report["processes"]["b"]["cpu_percent"]["p90"] == 95.0


def test_schedule_lag_threshold_scales_with_the_measured_latency():
    # 10 % of a 1 s ttft is 100 ms: 50 ms of lag is fine there, not against a 100 ms ttft.
    assert client_health({}, schedule_lag_p99=50.0, reference_ms=1000.0)["ok"] is True
    report = client_health({}, schedule_lag_p99=50.0, reference_ms=100.0)
    assert report["ok"] is False
    assert report["schedule_lag_threshold_ms"] == 10.0


def test_failures_are_counted_and_kept_out_of_latency():
    good = _sample(_stream_stamps(send=0, intended=None, ttft_ms=100, itl_ms=10, n=10))
    bad = Sample(t=100.5, kind="stream", ok=False, status=0, error="ConnectionRefusedError",
                 e2e=0.3)
    summary = summarize([good, bad, bad], run={}, begun=5)
    req = summary["requests"]
    assert (req["total"], req["ok"], req["failed"], req["unfinished"]) == (3, 1, 2, 2)
    assert req["errors"] == {"ConnectionRefusedError": 2}
    assert summary["latency_ms"]["e2e"]["count"] == 1


def test_output_tokens_come_from_usage_and_missing_usage_is_reported():
    with_usage = _sample(_stream_stamps(send=0, intended=None, ttft_ms=100, itl_ms=10, n=10))
    stamps = _stream_stamps(send=0, intended=None, ttft_ms=100, itl_ms=10, n=10)
    stamps.output_tokens = None  # the gateway sent no usage: never counted from chunks
    without = _sample(stamps)
    summary = summarize([with_usage, without], run={})
    assert summary["tokens"]["usage_missing"] == 1
    assert summary["tokens"]["output_tokens"]["count"] == 1
    assert summary["tokens"]["content_events"]["count"] == 2
    per_request = summary["tokens"]["output_tokens_per_s_per_request"]
    assert per_request["count"] == 1
    assert per_request["p50"] == round(10 / (with_usage.e2e / 1000), 3)  # type: ignore[operator]
    assert any("no usage" in w for w in summary["warnings"])


def test_samples_round_trip_through_jsonl(tmp_path: Path):
    samples = [_sample(_stream_stamps(send=0, intended=5, ttft_ms=100, itl_ms=10, n=10)),
               Sample(t=1.0, kind="chat", ok=False, error="status 500: boom")]
    path = tmp_path / "samples.jsonl"
    write_samples(path, samples)
    assert list(read_samples(path)) == samples


def test_ramp_stages_group_requests_by_send_time():
    samples = [Sample(t=100.0 + i, kind="chat", ok=True, status=200, e2e=10.0 * (i + 1))
               for i in range(4)]
    stages = [{"stage": 0, "users": 1, "start_s": 0.0, "end_s": 2.0},
              {"stage": 1, "users": 2, "start_s": 2.0, "end_s": 4.0}]
    out = summarize(samples, run={}, stages=stages, started=100.0)["stages"]
    assert [s["requests"] for s in out] == [2, 2]
    assert out[1]["e2e_ms"]["p50"] == 30.0


def test_written_outputs_go_through_the_redactor(tmp_path: Path, monkeypatch):
    from gatecheck.load import LoadSettings, SampleBook
    from gatecheck.load._writer import write_outputs

    monkeypatch.setenv("LOAD_TEST_KEY", "gk-live-secret-value-123456")
    book = SampleBook()
    # Gateways quote the key back in 401 bodies; the host may carry one in its query.
    book.add(Sample(t=1.0, kind="chat", ok=False, status=401,
                    error="status 401: Incorrect API key provided: gk-live-secret-value-123456"))
    book.add(Sample(t=2.0, kind="chat", ok=False, status=401,
                    error="status 401: bad key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"))
    settings = LoadSettings(auth="bearer", auth_env="LOAD_TEST_KEY")
    path = write_outputs(tmp_path, book, settings,
                         run={"host": "http://127.0.0.1:1/v1?api_key=gk-live-secret-value-123456"})
    written = path.read_text() + (tmp_path / "samples.jsonl").read_text()
    assert "gk-live-secret-value-123456" not in written
    assert "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" not in written
    assert "[REDACTED]" in written
    assert "Incorrect API key provided" in written  # the message itself is kept


def test_warmup_requests_are_left_out_of_every_figure():
    samples = [Sample(t=100.0 + i, kind="chat", ok=True, status=200, e2e=1000.0 if i < 2 else 10.0)
               for i in range(6)]
    summary = summarize(samples, run={}, started=100.0, warmup_s=2.0, begun=7)
    assert summary["requests"]["warmup_excluded"] == 2
    assert summary["requests"]["total"] == 4
    assert summary["requests"]["unfinished"] == 1  # counted over the whole run
    assert summary["latency_ms"]["e2e"]["max"] == 10.0
