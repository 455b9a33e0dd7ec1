"""Anthropic Messages stream grammar: event names, order, blocks, usage, errors (STR-A*)."""

from __future__ import annotations

from gatecheck.checks import anthropic as ac
from gatecheck.checks import cases, check, expect, warn
from gatecheck.checks import streaming as st
from gatecheck.checks.support import (
    body_for,
    capture_stream,
    conforms,
    directive,
    headers_for,
    response_json,
)

_SCHEMAS = {"message_start": "anthropic/message-start",
            "content_block_start": "anthropic/content-block-start",
            "content_block_delta": "anthropic/content-block-delta",
            "content_block_stop": "anthropic/content-block-stop",
            "message_delta": "anthropic/message-delta", "message_stop": "anthropic/message-stop",
            "ping": "anthropic/ping", "error": "anthropic/error-event"}


def _stream(client, model, record_exchange, **kw):
    captured = capture_stream(client, "anthropic",
                              body_for("anthropic", model, stream=True, **kw))
    record_exchange(captured.exchange)
    st.stream_opened(captured.status, captured.headers, captured.body, exchange=captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    stream = ac.read_anthropic_stream(captured.events)
    ac.stream_carries_events(stream, exchange=captured.exchange)
    return captured, stream


@check("STR-A1", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="Every event has an event: name equal to its data type")
def test_stra1_named_events(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    ac.events_are_named(stream, exchange=captured.exchange)
    for n, event in enumerate(stream.events):
        name = _SCHEMAS.get(str(event.type), "anthropic/stream-event")
        conforms(name, event.data, profile=profile, what=f"event {n} ({event.type})",
                 exchange=captured.exchange)


@check("STR-A2", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="Event order: message_start, blocks start/delta/stop, message_delta, message_stop")
def test_stra2_order(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    ac.event_order_is_valid(stream, exchange=captured.exchange)


@check("STR-A2", level="MUST", category="Streaming", surface="anthropic", feature="tools",
       title="Event order holds for a text + tool_use stream")
def test_stra2_order_tools(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange, tools=True)
    ac.event_order_is_valid(stream, exchange=captured.exchange)


@check("STR-A3", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="message_start is a full Message with the real input_tokens")
def test_stra3_message_start(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    ac.message_start_is_complete(stream, strict=profile == "strict", exchange=captured.exchange)


@check("STR-A4", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="Delta types match their block types")
def test_stra4_delta_types(client, target, chat_model, record_exchange):
    with cases() as case:
        for tools in (False, True) if target.claims("tools") else (False,):
            captured, stream = _stream(client, chat_model, record_exchange, tools=tools)
            with case("text and tool_use" if tools else "text"):
                ac.delta_types_match_blocks(stream, exchange=captured.exchange)


@check("STR-A5", level="MUST", category="Streaming", surface="anthropic", feature="tools",
       title="tool_use partial_json assembles to the non-streamed input")
def test_stra5_tool_input(client, chat_model, target, record_exchange):
    mock = directive(args='{"city": "Paris"}') if target.claims("mock-directives") else None
    captured, stream = _stream(client, chat_model, record_exchange, tools=True, mock=mock)
    blocks = ac.tool_use_blocks_assemble(stream, exchange=captured.exchange)
    expect(bool(blocks), "forced tool_choice streamed no tool_use block",
           expected="a tool_use block", observed=f"{len(stream.events)} events",
           exchange=captured.exchange)
    response = client.request("POST", "/v1/messages", headers=headers_for("anthropic"),
                              json=body_for("anthropic", chat_model, tools=True, mock=mock))
    record_exchange(response.exchange)
    message = response_json(response, "the non-streamed message")
    content = message.get("content") if isinstance(message, dict) else None
    inputs = [b.get("input") for b in content or [] if isinstance(b, dict)
              and b.get("type") == "tool_use"]
    streamed = [b["input"] for _, b in sorted(blocks.items())]
    expect(streamed == inputs, "streamed tool input differs from the non-streamed one",
           expected=repr(inputs), observed=repr(streamed), exchange=response.exchange)


@check("STR-A6", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="message_delta carries stop_reason, stop_sequence and cumulative output_tokens")
def test_stra6_message_delta(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    ac.message_delta_is_complete(stream, strict=profile == "strict", exchange=captured.exchange)


# Paced, so the upstream fails after a gateway that relays as it reads has sent its first
# bytes; one that had not may answer with a plain error instead (STR-1), judged as such.
FAILING = {"after": 3, "tokens": 12, "ttft": 30, "itl": 30}


def _failed(client, chat_model, record_exchange, fault):
    captured = capture_stream(client, "anthropic",
                              body_for("anthropic", chat_model, stream=True,
                                       mock=directive(fault=fault, **FAILING)))
    record_exchange(captured.exchange)
    if not st.opened_as_stream(captured.status, captured.headers):
        st.failed_before_first_byte(captured.status, captured.headers, captured.body,
                                    exchange=captured.exchange)
        return
    ac.stream_error_is_reported(ac.read_anthropic_stream(captured.events),
                                exchange=captured.exchange)


@check("STR-A7", level="MUST", category="Streaming", surface="anthropic",
       feature="mock-upstream", title="An upstream reset mid-stream ends with event: error")
def test_stra7_upstream_reset(client, chat_model, record_exchange):
    _failed(client, chat_model, record_exchange, "reset")


@check("STR-A7", level="MUST", category="Streaming", surface="anthropic",
       feature="mock-upstream", title="An upstream error event reaches the client as one")
def test_stra7_upstream_error_event(client, chat_model, record_exchange):
    _failed(client, chat_model, record_exchange, "error-event")


@check("STR-A8", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="Unknown event types are tolerated (reported as WARN)")
def test_stra8_unknown_events(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    unknown = ac.unknown_event_types(stream)
    if unknown:
        warn(f"unknown Anthropic event types: {', '.join(unknown)}", exchange=captured.exchange)


@check("STR-A9", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="No data: [DONE] on the Anthropic surface")
def test_stra9_no_done(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    ac.no_done_marker(stream, exchange=captured.exchange)
