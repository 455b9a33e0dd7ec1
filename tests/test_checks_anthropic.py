"""Unit tests of the Anthropic judges on canned good and bad messages and event streams."""

from __future__ import annotations

import pytest

from gatecheck.checks import ConformanceFailure, ConformanceWarning
from gatecheck.checks import anthropic as ac
from tests._canned import ant_events, ev, message


def read(events):
    return ac.read_anthropic_stream(events)


def drop(events, kind):
    return [e for e in events if e.event != kind]


def test_good_message_passes():
    body = message(content=[{"type": "text", "text": "x"},
                            {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}],
                   stop_reason="tool_use")
    ac.message_is_well_formed(body)
    ac.stop_reason_is_valid(body["stop_reason"], body["stop_sequence"])
    ac.tool_use_input_is_object(body)


@pytest.mark.parametrize("change", [
    {"type": "msg"}, {"stop_reason": None}, {"usage": {"input_tokens": "3", "output_tokens": 1}},
    {"content": "Hi"},
])
def test_bad_message_fails_w5(change):
    with pytest.raises(ConformanceFailure):
        ac.message_is_well_formed(message(**change))


def test_stop_reason_rules_w6():
    with pytest.raises(ConformanceFailure):
        ac.stop_reason_is_valid("error", None)  # claude-proxy's translation
    with pytest.raises(ConformanceFailure):
        ac.stop_reason_is_valid("stop_sequence", None)
    with pytest.raises(ConformanceFailure):
        ac.stop_reason_is_valid("end_turn", "STOP")
    with pytest.warns(ConformanceWarning):
        ac.stop_reason_is_valid("some_future_reason", None)


def test_tool_input_as_string_fails_w7():
    body = message(content=[{"type": "tool_use", "id": "t", "name": "f", "input": '{"a": 1}'}])
    with pytest.raises(ConformanceFailure):
        ac.tool_use_input_is_object(body)


def test_good_stream_passes_grammar():
    s = read(ant_events(tool=True))
    ac.events_are_named(s)
    ac.event_order_is_valid(s)
    ac.message_start_is_complete(s)
    ac.delta_types_match_blocks(s)
    assert ac.tool_use_blocks_assemble(s)[1]["input"] == {"city": "Paris"}
    ac.message_delta_is_complete(s)
    ac.no_done_marker(s)
    assert ac.unknown_event_types(s) == []
    assert s.usage() == {"input_tokens": 25, "output_tokens": 15}
    assert s.text() == "Hi"


def test_data_only_or_mismatched_names_fail_str_a1():
    events = [ev(e.data) for e in ant_events()]
    with pytest.raises(ConformanceFailure):
        ac.events_are_named(read(events))
    events = ant_events()
    events[-1] = ev("{}", event="message_stop")  # the Puter worker's empty message_stop
    with pytest.raises(ConformanceFailure):
        ac.events_are_named(read(events))


@pytest.mark.parametrize("mangle", [
    lambda e: e[1:2] + e[:1] + e[2:],                      # block before message_start
    lambda e: e[:1] + e,                                    # duplicate message_start
    lambda e: drop(e, "content_block_start"),               # Puter: deltas only
    lambda e: drop(e, "message_stop"),
    lambda e: drop(e, "message_delta"),
    lambda e: e + e[-1:],                                   # two message_stop
])
def test_order_violations_fail_str_a2(mangle):
    with pytest.raises(ConformanceFailure):
        ac.event_order_is_valid(read(mangle(ant_events(tool=True))))


def test_negative_block_index_fails_str_a2():
    events = ant_events()
    events[3] = ev({"type": "content_block_delta", "index": -1,
                    "delta": {"type": "text_delta", "text": "x"}}, event="content_block_delta")
    with pytest.raises(ConformanceFailure, match="index"):
        ac.event_order_is_valid(read(events))


def test_zero_input_tokens_fails_str_a3():
    with pytest.raises(ConformanceFailure, match="input_tokens"):
        ac.message_start_is_complete(read(ant_events(usage_in=0)))


def test_thinking_delta_in_text_block_fails_str_a4():
    events = ant_events()
    events[3] = ev({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "hm"}},
                   event="content_block_delta")
    with pytest.raises(ConformanceFailure, match="thinking_delta"):
        ac.delta_types_match_blocks(read(events))


def test_partial_json_that_does_not_assemble_fails_str_a5():
    events = [e for e in ant_events(tool=True) if "ris" not in e.data]
    with pytest.raises(ConformanceFailure, match="partial_json"):
        ac.tool_use_blocks_assemble(read(events))


def test_message_delta_rules_str_a6():
    events = ant_events()
    events[-2] = ev({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                     "usage": {}}, event="message_delta")
    with pytest.raises(ConformanceFailure):
        ac.message_delta_is_complete(read(events))


def test_error_event_rules_str_a7():
    head = ant_events()[:4]
    err = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    ac.stream_error_is_reported(read([*head, ev(err, event="error")]))
    ac.event_order_is_valid(read([*head, ev(err, event="error")]))
    with pytest.raises(ConformanceFailure, match="error event"):
        ac.stream_error_is_reported(read(ant_events()))
    with pytest.raises(ConformanceFailure, match="named"):
        ac.stream_error_is_reported(read([*head, ev(err)]))  # MLflow: no event: error


def test_unknown_events_are_reported_not_failed_str_a8():
    events = [*ant_events()[:2], ev({"type": "future_thing"}, event="future_thing"),
              *ant_events()[2:]]
    s = read(events)
    ac.event_order_is_valid(s)
    assert ac.unknown_event_types(s) == ["future_thing"]


def test_done_marker_fails_str_a9():
    with pytest.raises(ConformanceFailure):
        ac.no_done_marker(read([*ant_events(), ev("[DONE]")]))


def test_stop_sequence_key_is_required_in_strict_only_w5_str_a3_str_a6():
    body = message()
    del body["stop_sequence"]
    ac.message_is_well_formed(body)  # sdk-compat: the SDK reads it as None
    with pytest.raises(ConformanceFailure, match="stop_sequence"):
        ac.message_is_well_formed(body, strict=True)
    events = ant_events()
    events[-2] = ev({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                     "usage": {"output_tokens": 15}}, event="message_delta")
    ac.message_delta_is_complete(read(events))
    with pytest.raises(ConformanceFailure, match="stop_sequence"):
        ac.message_delta_is_complete(read(events), strict=True)


def test_error_event_with_null_type_names_the_cause_str_a7():
    head = ant_events()[:4]
    err = {"type": "error", "error": {"type": None, "message": "upstream died"}}
    with pytest.raises(ConformanceFailure) as failure:
        ac.stream_error_is_reported(read([*head, ev(err, event="error")]))
    assert failure.value.cause == "error-type-null"
    with pytest.raises(ConformanceFailure) as silent:
        ac.stream_error_is_reported(read(head))
    assert silent.value.cause == "stream-cut-silently"
