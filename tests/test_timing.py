"""The timing model: each formula on synthetic stamps, and the stream meter on both surfaces."""

from __future__ import annotations

import json

import pytest

from gatecheck import (
    SseEvent,
    Stamps,
    StreamMeter,
    Usage,
    content_gaps,
    e2e,
    e2e_from_intended,
    is_content_event,
    itl,
    schedule_lag,
    tpot_decode,
    tpot_e2e,
    ttfb,
    ttft,
    ttft_from_intended,
)

MS = 1_000_000


def ev(data: object, t_ms: int = 0, event: str | None = None) -> SseEvent:
    text = data if isinstance(data, str) else json.dumps(data)
    return SseEvent(event, text, None, None, t_ms * MS)


def chunk(**delta: object) -> dict[str, object]:
    return {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def test_formulas_on_synthetic_stamps():
    s = Stamps(send_ns=1000 * MS, headers_ns=1050 * MS, content_ns=[1200 * MS, 1230 * MS,
               1290 * MS], end_ns=1400 * MS, output_tokens=8)
    assert ttfb(s) == 50.0
    assert ttft(s) == 200.0
    assert itl(s) == 45.0  # (1290 - 1200) / 2
    assert e2e(s) == 400.0
    assert tpot_e2e(s) == 50.0


def test_named_variants_other_tools_use():
    s = Stamps(send_ns=0, content_ns=[100 * MS, 110 * MS, 140 * MS], end_ns=190 * MS,
               output_tokens=10)
    assert tpot_decode(s) == 10.0  # (190 - 100) / 9
    assert content_gaps(s) == [10.0, 30.0]
    assert tpot_decode(Stamps(send_ns=0, content_ns=[1], end_ns=2, output_tokens=1)) is None
    assert content_gaps(Stamps(send_ns=0, content_ns=[1])) == []


def test_undefined_values_are_none_not_zero():
    s = Stamps(send_ns=0)
    assert (ttfb(s), ttft(s), itl(s), e2e(s), tpot_e2e(s)) == (None,) * 5
    one = Stamps(send_ns=0, content_ns=[5 * MS], end_ns=9 * MS, output_tokens=0)
    assert ttft(one) == 5.0
    assert itl(one) is None  # needs two content events
    assert tpot_e2e(one) is None  # needs output tokens > 0
    assert tpot_e2e(Stamps(send_ns=0, end_ns=9 * MS)) is None


def test_intended_send_time():
    s = Stamps(send_ns=130 * MS, intended_ns=100 * MS, content_ns=[200 * MS], end_ns=300 * MS)
    assert schedule_lag(s) == 30.0
    assert ttft_from_intended(s) == 100.0
    assert e2e_from_intended(s) == 200.0
    assert ttft(s) == 70.0
    plain = Stamps(send_ns=0, content_ns=[1], end_ns=2)
    assert (schedule_lag(plain), ttft_from_intended(plain), e2e_from_intended(plain)) == (
        None, None, None)


@pytest.mark.parametrize(("delta", "expected"), [
    ({"role": "assistant"}, False),
    ({"role": "assistant", "content": ""}, False),
    ({"content": None}, False),
    ({}, False),
    ({"content": "hi"}, True),
    ({"reasoning": "think"}, True),
    ({"reasoning_content": "think"}, True),
    ({"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]}, True),
    ({"tool_calls": []}, False),
    ({"refusal": "no"}, True),
])
def test_openai_content_events(delta, expected):
    assert is_content_event("openai", ev(chunk(**delta))) is expected


def test_openai_legacy_completion_text_is_content():
    assert is_content_event("openai", ev({"choices": [{"index": 0, "text": "hi"}]}))
    assert not is_content_event("openai", ev({"choices": [{"index": 0, "text": ""}]}))


@pytest.mark.parametrize("data", ["[DONE]", "not json", "", "[1,2]", '{"choices": 3}',
                                  '{"choices": [1, {"delta": "x"}]}'])
def test_openai_odd_data_is_not_content(data):
    assert is_content_event("openai", ev(data)) is False


@pytest.mark.parametrize(("event", "payload", "expected"), [
    ("message_start", {"type": "message_start", "message": {"usage": {}}}, False),
    ("ping", {"type": "ping"}, False),
    ("content_block_start", {"type": "content_block_start", "index": 0}, False),
    ("content_block_delta", {"type": "content_block_delta",
                             "delta": {"type": "text_delta", "text": "x"}}, True),
    (None, {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}}, True),
    (None, {"type": "ping"}, False),
    ("message_stop", {"type": "message_stop"}, False),
])
def test_anthropic_content_events(event, payload, expected):
    assert is_content_event("anthropic", ev(payload, event=event)) is expected


def test_openai_stream_meter():
    meter = StreamMeter("openai", send_ns=0)
    meter.on_headers(20 * MS)
    events = [
        ev(chunk(role="assistant", content=""), 100),  # role-only frame: not content
        ev(chunk(content="Hel"), 110),
        ev(chunk(content="lo"), 130),
        ev(chunk(tool_calls=[{"index": 0}]), 150),
        ev({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None}, 160),
        ev({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4,
                                     "prompt_tokens_details": {"cached_tokens": 3}}}, 170),
        ev("[DONE]", 171),
        ev("garbage", 172),
    ]
    for event in events:
        meter.on_event(event)
    meter.on_end(180 * MS)
    s = meter.stamps
    assert meter.content_events == 3
    assert meter.events == 8
    assert meter.bad_events == 1
    assert meter.finished
    assert ttfb(s) == 20.0
    assert ttft(s) == 110.0
    assert itl(s) == 20.0
    assert e2e(s) == 180.0
    assert meter.usage == Usage(input_tokens=9, output_tokens=4, cache_read_input_tokens=3)
    assert s.output_tokens == 4
    assert tpot_e2e(s) == 45.0


def test_anthropic_stream_meter_merges_usage_max_wins():
    meter = StreamMeter("anthropic", send_ns=0)
    events = [
        ev({"type": "message_start", "message": {"usage": {
            "input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 10,
            "cache_creation_input_tokens": 5}}}, 50, "message_start"),
        ev({"type": "ping"}, 55, "ping"),
        ev({"type": "content_block_start", "index": 0}, 60, "content_block_start"),
        ev({"type": "content_block_delta", "delta": {"text": "a"}}, 70, "content_block_delta"),
        ev({"type": "content_block_delta", "delta": {"text": "b"}}, 100, "content_block_delta"),
        ev({"type": "content_block_stop", "index": 0}, 101, "content_block_stop"),
        ev({"type": "message_delta", "usage": {"output_tokens": 12}}, 110, "message_delta"),
        ev({"type": "message_stop"}, 111, "message_stop"),
    ]
    for event in events:
        meter.on_event(event)
    meter.on_end(120 * MS)
    assert meter.content_events == 2
    assert ttft(meter.stamps) == 70.0
    assert itl(meter.stamps) == 30.0
    assert meter.usage == Usage(25, 12, 10, 5)
    assert meter.stamps.output_tokens == 12
    assert meter.finished


def test_anthropic_later_smaller_count_does_not_lower_usage():
    meter = StreamMeter("anthropic", send_ns=0)
    meter.on_event(ev({"type": "message_start", "message": {"usage": {"input_tokens": 30}}},
                      event="message_start"))
    meter.on_event(ev({"type": "message_delta", "usage": {"input_tokens": 0,
                                                          "output_tokens": 7}},
                      event="message_delta"))
    assert (meter.usage.input_tokens, meter.usage.output_tokens) == (30, 7)


def test_meter_survives_odd_shapes():
    for surface in ("openai", "anthropic"):
        meter = StreamMeter(surface, send_ns=0)  # type: ignore[arg-type]
        for data in ("[DONE]", "{", "null", "[]", '"str"', '{"usage": 5}',
                     '{"type": "message_start", "message": 3}',
                     '{"type": "message_delta", "usage": {"output_tokens": true}}'):
            meter.on_event(ev(data))
        assert meter.content_events == 0
        assert meter.usage.output_tokens is None


def test_usage_from_bodies():
    assert Usage.from_openai({"prompt_tokens": 3, "completion_tokens": 5}) == Usage(3, 5)
    assert Usage.from_openai(None) == Usage()
    assert Usage.from_anthropic({"input_tokens": 3, "output_tokens": 5,
                                 "cache_creation_input_tokens": 2}) == Usage(3, 5, None, 2)


def resp(kind: str, t_ms: int = 0, *, named: bool = True, **data: object) -> SseEvent:
    return ev({"type": kind, **data}, t_ms, kind if named else None)


def test_responses_content_events_are_the_deltas_of_generated_output():
    assert is_content_event("responses", resp("response.output_text.delta", delta="Hi"))
    assert is_content_event("responses", resp("response.function_call_arguments.delta",
                                              delta='{"'))
    assert is_content_event("responses", resp("response.reasoning_text.delta", delta="so"))
    # without the `event:` line the data's type decides, as for Anthropic
    assert is_content_event("responses", resp("response.output_text.delta", named=False,
                                              delta="Hi"))
    for kind in ("response.created", "response.in_progress", "response.output_item.added",
                 "response.content_part.added", "response.output_text.done",
                 "response.completed"):
        assert not is_content_event("responses", resp(kind, delta="x"))
    assert not is_content_event("responses", resp("response.output_text.delta", delta=""))


def test_the_meter_on_a_responses_stream():
    meter = StreamMeter("responses", send_ns=0)
    usage = {"input_tokens": 9, "output_tokens": 3, "total_tokens": 12,
             "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 1}}
    for event in [resp("response.created", 5, response={"usage": None}),
                  resp("response.output_item.added", 6),
                  resp("response.output_text.delta", 40, delta="a"),
                  resp("response.output_text.delta", 60, delta=" b"),
                  resp("response.output_text.delta", 80, delta=" c"),
                  resp("response.completed", 90, response={"usage": usage})]:
        meter.on_event(event)
    assert meter.finished
    assert (ttft(meter.stamps), itl(meter.stamps)) == (40.0, 20.0)  # the first text delta
    assert meter.stamps.output_tokens == 3
    assert (meter.usage.input_tokens, meter.usage.cache_read_input_tokens,
            meter.usage.cache_creation_input_tokens) == (9, 4, 1)


def test_a_failed_responses_stream_still_ends_the_meter_without_usage():
    meter = StreamMeter("responses", send_ns=0)
    meter.on_event(resp("response.output_text.delta", 10, delta="a"))
    meter.on_event(resp("response.failed", 20, response={"status": "failed", "usage": None}))
    assert meter.finished
    assert meter.stamps.output_tokens is None


def test_the_timing_model_knows_the_responses_events_by_their_wire_names():
    # the core sits below the protocols, so it names them itself; this holds them together
    from gatecheck import _timing
    from gatecheck.protocols.responses import wire

    assert wire.CONTENT_EVENTS == _timing._RESPONSES_CONTENT
    assert wire.TERMINAL_EVENTS == _timing._RESPONSES_END
