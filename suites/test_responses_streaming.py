"""OpenAI Responses API streams: the typed event grammar, sequence numbers, assembly (RESP-S*).

A stream is judged event by event the way the official SDK's accumulator reads it (it raises
on an event for an item it was never told about, a changed identity, unfinished items at
the end) and the way the Open Responses compliance suite does (every event valid, the final
response valid and completed, a function call's added / delta / done events).
"""

from __future__ import annotations

import pytest

from gatecheck.checks import check, expect, tokens
from gatecheck.checks import responses as rc
from gatecheck.checks import streaming as st
from gatecheck.checks.support import capture_stream, conforms, directive, response_json
from gatecheck.protocols.responses.wire import RESPONSES_PATH, request_body

PATH = "/v1" + RESPONSES_PATH  # the client is rooted at the target root


def _stream(client, body, record_exchange):
    captured = capture_stream(client, "openai", {**body, "stream": True}, path=PATH,
                              wire="responses")
    record_exchange(captured.exchange)
    st.stream_opened(captured.status, captured.headers, captured.body, exchange=captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    return captured, rc.read_responses_stream(captured.events)


def _text_body(target, chat_model, **kw):
    mock = directive(text="one two three four five six") if target.claims(
        "mock-directives") else None
    return request_body(chat_model, mock=mock, **kw)


@check("RESP-S1", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: every event is a typed JSON object valid against the spec")
def test_resps1_events(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, request_body(chat_model), record_exchange)
    rc.events_are_named(stream, exchange=captured.exchange)
    for n, event in enumerate(stream.events):
        conforms("openai/response-stream-event", event.data, profile=profile,
                 what=f"event {n} ({event.type})", exchange=captured.exchange)


@check("RESP-S2", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: created first, items added / filled / done in turn, one end")
def test_resps2_order(client, chat_model, record_exchange):
    captured, stream = _stream(client, request_body(chat_model), record_exchange)
    rc.event_order_is_valid(stream, exchange=captured.exchange)


@check("RESP-S2", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: the grammar holds for a function-call stream")
def test_resps2_order_tools(client, target, chat_model, record_exchange):
    if not target.claims("tools"):
        pytest.skip(f"target {target.name!r} does not claim tools")
    captured, stream = _stream(client, request_body(chat_model, tools=True, max_output_tokens=64),
                               record_exchange)
    rc.event_order_is_valid(stream, exchange=captured.exchange)


@check("RESP-S3", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: sequence_number is on every event and increases")
def test_resps3_sequence_numbers(client, chat_model, record_exchange):
    captured, stream = _stream(client, request_body(chat_model), record_exchange)
    rc.sequence_numbers_increase(stream, exchange=captured.exchange)


@check("RESP-S4", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: text deltas add up to the done text and the final output")
def test_resps4_text_assembles(client, target, chat_model, record_exchange):
    body = _text_body(target, chat_model)
    captured, stream = _stream(client, body, record_exchange)
    texts = rc.text_deltas_assemble(stream, exchange=captured.exchange)
    expect(bool("".join(texts.values())), "the stream carried no output_text deltas",
           expected="response.output_text.delta events", observed=" ".join(stream.types()[:30]),
           exchange=captured.exchange)
    if target.claims("mock-directives"):  # a deterministic reply: stream == non-stream
        response = client.request("POST", PATH, json=body, surface="responses")
        record_exchange(response.exchange)
        whole = rc.output_text(response_json(response, "Response"))
        expect(stream.text() == whole, "the streamed text differs from the non-streamed one",
               expected=repr(whole), observed=repr(stream.text()), exchange=captured.exchange)


@check("RESP-S5", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: function-call arguments assemble to the done JSON object")
def test_resps5_arguments_assemble(client, target, chat_model, record_exchange):
    if not target.claims("tools"):
        pytest.skip(f"target {target.name!r} does not claim tools")
    mock = directive(args='{"location": "Paris"}') if target.claims("mock-directives") else None
    body = request_body(chat_model, text="What's the weather in Paris?", mock=mock, tools=True,
                        max_output_tokens=64)
    captured, stream = _stream(client, body, record_exchange)
    added = [d for d in stream.of_type(rc.EVENT.ITEM_ADDED)
             if (d.get("item") or {}).get("type") == "function_call"]
    done = [d for d in stream.of_type(rc.EVENT.ITEM_DONE)
            if (d.get("item") or {}).get("type") == "function_call"]
    expect(bool(added and done and stream.of_type(rc.EVENT.ARGS_DELTA)
                and stream.of_type(rc.EVENT.ARGS_DONE)),
           "the function call was not streamed as added, arguments delta/done and done events",
           expected="output_item.added (function_call), function_call_arguments.delta/.done, "
           "output_item.done", observed=" ".join(stream.types()[:30]),
           exchange=captured.exchange)
    calls = rc.arguments_assemble(stream, exchange=captured.exchange)
    if mock:
        expect(list(calls.values()) == [{"location": "Paris"}],
               "the streamed arguments are not the upstream's", expected="{'location': 'Paris'}",
               observed=repr(list(calls.values())), exchange=captured.exchange)


@check("RESP-S6", level="MUST", category="Streaming", surface="openai", feature="responses",
       title="Responses stream: the final response is valid and completed (Open Responses)")
def test_resps6_final_response(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, request_body(chat_model), record_exchange)
    final = stream.terminal()
    expect(final is not None, "no response.completed / .incomplete / .failed event",
           expected="a terminal event with the whole response",
           observed=" ".join(stream.types()[-4:]), exchange=captured.exchange)
    conforms("openai/response", final, profile=profile, what="the final response",
             exchange=captured.exchange)
    rc.status_is(final or {}, "completed", exchange=captured.exchange)
    rc.open_responses_fields_present(final or {}, exchange=captured.exchange)


def _failed(client, chat_model, record_exchange, fault):
    body = request_body(chat_model, mock=directive(fault=fault, after=4, tokens=12))
    captured, stream = _stream(client, body, record_exchange)
    rc.stream_failure_is_reported(stream, exchange=captured.exchange)


@check("RESP-S7", level="MUST", category="Streaming", surface="openai", feature="mock-upstream",
       title="Responses stream: an upstream reset ends in error / response.failed")
def test_resps7_upstream_reset(client, target, chat_model, record_exchange):
    if not target.claims("responses"):
        pytest.skip(f"target {target.name!r} does not claim responses")
    _failed(client, chat_model, record_exchange, "reset")


@check("RESP-S7", level="MUST", category="Streaming", surface="openai", feature="mock-upstream",
       title="Responses stream: an upstream error event reaches the client as a failure")
def test_resps7_upstream_error_event(client, target, chat_model, record_exchange):
    if not target.claims("responses"):
        pytest.skip(f"target {target.name!r} does not claim responses")
    _failed(client, chat_model, record_exchange, "error-event")


@check("RESP-T3", level="MUST", category="Tokens", surface="openai", feature="responses",
       title="Responses: the streamed usage equals the non-streamed usage")
def test_respt3_stream_equals_nonstream(client, target, chat_model, record_exchange):
    body = _text_body(target, chat_model)
    response = client.request("POST", PATH, json=body, surface="responses")
    record_exchange(response.exchange)
    reference = rc.usage_adds_up(response_json(response, "Response").get("usage"),
                                 exchange=response.exchange)
    captured, stream = _stream(client, body, record_exchange)
    streamed = rc.usage_adds_up((stream.terminal() or {}).get("usage"),
                                exchange=captured.exchange)
    # a real model's two answers may differ in length; the mock's reply is fixed
    keys = ("input_tokens", "output_tokens", "total_tokens") if target.claims(
        "mock-directives") else ("input_tokens",)
    tokens.usage_matches(streamed, reference, keys, "stream vs non-stream",
                         exchange=captured.exchange)
