"""OpenAI Chat Completions stream grammar: chunks, [DONE], finish_reason, tools, usage (STR-O*)."""

from __future__ import annotations

from gatecheck.checks import check, errors, expect
from gatecheck.checks import openai as oc
from gatecheck.checks import streaming as st
from gatecheck.checks.support import body_for, capture_stream, conforms, directive


def _stream(client, model, record_exchange, **kw):
    captured = capture_stream(client, "openai", body_for("openai", model, stream=True, **kw))
    record_exchange(captured.exchange)
    st.stream_opened(captured.status, captured.headers, captured.body, exchange=captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    stream = oc.read_openai_stream(captured.events)
    oc.stream_carries_chunks(stream, exchange=captured.exchange)
    return captured, stream


USAGE = {"stream_options": {"include_usage": True}}


@check("STR-O1", level="MUST", category="Streaming", surface="openai", feature="streaming",
       title="Every chunk is a valid chat.completion.chunk with one id/created/model")
def test_stro1_chunks(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.chunks_are_well_formed(stream, strict=profile == "strict", exchange=captured.exchange)
    for n, chunk in enumerate(stream.chunks):
        conforms("openai/chat-completion-chunk", chunk, profile=profile, what=f"chunk {n}",
                 exchange=captured.exchange)


@check("STR-O2", level="MUST", category="Streaming", surface="openai", feature="streaming",
       title="The stream ends with data: [DONE] and nothing after it")
def test_stro2_done(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.stream_ends_with_done(stream, exchange=captured.exchange)


@check("STR-O3", level="SHOULD", category="Streaming", surface="openai", feature="streaming",
       title="Data-only events (no event: names)")
def test_stro3_data_only(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.stream_is_data_only(stream, exchange=captured.exchange)


@check("STR-O4", level="MUST", category="Streaming", surface="openai", feature="streaming",
       title="Exactly one final finish_reason per choice: stop, or length on truncation")
def test_stro4_finish_reason(client, chat_model, target, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.finish_reason_once_per_choice(stream, exchange=captured.exchange)
    mock = directive(tokens=40) if target.claims("mock-directives") else None
    captured, stream = _stream(client, chat_model, record_exchange, max_tokens=2, mock=mock,
                               text="Count from one to fifty in words.")
    oc.finish_reason_once_per_choice(stream, expected="length", exchange=captured.exchange)


@check("STR-O4", level="MUST", category="Streaming", surface="openai", feature="tools",
       title="A streamed tool call finishes with tool_calls")
def test_stro4_tool_calls(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange, tools=True)
    calls = oc.tool_call_fragments_assemble(stream, exchange=captured.exchange)
    oc.finish_reason_once_per_choice(stream, expected="tool_calls", has_tool_calls=bool(calls),
                                     exchange=captured.exchange)


@check("STR-O5", level="SHOULD", category="Streaming", surface="openai", feature="streaming",
       title="The first delta carries role assistant")
def test_stro5_role(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.first_delta_has_role(stream, exchange=captured.exchange)


@check("STR-O6", level="MUST", category="Streaming", surface="openai", feature="tools",
       title="Tool-call fragments carry id/type/name first and assemble to JSON arguments")
def test_stro6_tool_fragments(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange, tools=True)
    calls = oc.tool_call_fragments_assemble(stream, exchange=captured.exchange)
    expect(bool(calls), "forced tool_choice streamed no tool call", expected="one tool call",
           observed=f"{len(stream.chunks)} chunks, text {stream.text()!r}",
           exchange=captured.exchange)


@check("STR-O7", level="MUST", category="Streaming", surface="openai", feature="stream-usage",
       title="include_usage adds exactly one final usage chunk with choices []")
def test_stro7_usage_chunk(client, chat_model, profile, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange, **USAGE)
    oc.usage_chunk_is_last(stream, strict=profile == "strict", exchange=captured.exchange)
    # The other chunks' schema is STR-O1's business; the usage chunk is only seen here.
    conforms("openai/chat-completion-chunk", stream.chunks[-1], profile=profile,
             what="usage chunk", exchange=captured.exchange)


@check("STR-O8", level="SHOULD", category="Streaming", surface="openai", feature="streaming",
       title="Without include_usage: no usage and no empty-choices chunk")
def test_stro8_no_usage(client, chat_model, record_exchange):
    captured, stream = _stream(client, chat_model, record_exchange)
    oc.no_usage_without_include_usage(stream, exchange=captured.exchange)


@check("STR-O9", level="SHOULD", category="Streaming", surface="openai",
       title="stream_options with stream:false is a 400 invalid_request_error")
def test_stro9_stream_options_without_stream(client, chat_model, record_exchange):
    response = client.request("POST", "/v1/chat/completions",
                              json=body_for("openai", chat_model, **USAGE))
    record_exchange(response.exchange)
    errors.status_in(response, {400}, "stream_options without stream",
                     cause="stream-options-accepted")
    error = errors.error_object(response)
    expect(error.get("param") == "stream_options", "param does not name stream_options",
           expected='param "stream_options"', observed=repr(error.get("param")),
           exchange=response.exchange, cause="stream-options-accepted")


# Paced, so the upstream fails after a gateway that relays as it reads has sent its first
# bytes; one that had not may answer with a plain error instead (STR-1), judged as such.
FAILING = {"after": 3, "tokens": 12, "ttft": 30, "itl": 30}


def _failed_stream(client, chat_model, record_exchange, fault):
    captured = capture_stream(client, "openai",
                              body_for("openai", chat_model, max_tokens=16, stream=True,
                                       mock=directive(fault=fault, **FAILING)))
    record_exchange(captured.exchange)
    if not st.opened_as_stream(captured.status, captured.headers):
        st.failed_before_first_byte(captured.status, captured.headers, captured.body,
                                    exchange=captured.exchange)
        return
    oc.stream_error_is_reported(oc.read_openai_stream(captured.events),
                                exchange=captured.exchange)


@check("STR-O10", level="MUST", category="Streaming", surface="openai",
       feature="mock-upstream", title="An upstream reset mid-stream ends with an error event")
def test_stro10_upstream_reset(client, chat_model, record_exchange):
    _failed_stream(client, chat_model, record_exchange, "reset")


@check("STR-O10", level="MUST", category="Streaming", surface="openai",
       feature="mock-upstream", title="An upstream error event reaches the client as one")
def test_stro10_upstream_error_event(client, chat_model, record_exchange):
    _failed_stream(client, chat_model, record_exchange, "error-event")
