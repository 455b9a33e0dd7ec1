"""Streaming on both surfaces: status and type, pre-stream errors, framing, delivery (STR-1..4)."""

from __future__ import annotations

from gatecheck.checks import ConformanceFailure, cases, check, expect
from gatecheck.checks import openai as oc
from gatecheck.checks import streaming as st
from gatecheck.checks.support import body_for, capture_stream, directive

# The mock paces 12 tokens 40 ms apart: 440 ms from first to last content event.
PACING = {"ttft": 50, "itl": 40, "tokens": 12}


def _opened(client, surface, model, record_exchange):
    captured = capture_stream(client, surface, body_for(surface, model, stream=True))
    record_exchange(captured.exchange)
    st.stream_opened(captured.status, captured.headers, captured.body, exchange=captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    return captured


@check("STR-1", level="MUST", category="Streaming", surface="openai", feature="streaming",
       title="stream:true answers 200 text/event-stream (OpenAI)")
def test_str1_opened_openai(client, chat_model, record_exchange):
    _opened(client, "openai", chat_model, record_exchange)


@check("STR-1", level="MUST", category="Streaming", surface="anthropic", feature="streaming",
       title="stream:true answers 200 text/event-stream (Anthropic)")
def test_str1_opened_anthropic(client, chat_model, record_exchange):
    _opened(client, "anthropic", chat_model, record_exchange)


@check("STR-1", level="MUST", category="Streaming", feature="streaming",
       title="Errors known before the first byte are plain non-2xx JSON, not a 200 stream")
def test_str1_errors_before_stream(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            body = body_for(surface, "gatecheck-no-such-model", stream=True)
            captured = capture_stream(client, surface, body)
            record_exchange(captured.exchange)
            with case(surface):
                expect(captured.status >= 400 and not captured.events,
                       f"unknown model with stream:true answered {captured.status} on {surface}",
                       expected="a 4xx JSON error before any stream",
                       observed=f"{captured.status}, {len(captured.events)} events",
                       exchange=captured.exchange, cause="stream-grammar")
                expect(str(captured.headers.get("content-type", "")).startswith(
                           "application/json"),
                       "pre-stream error is not application/json",
                       expected="Content-Type: application/json",
                       observed=repr(captured.headers.get("content-type")),
                       exchange=captured.exchange, cause="error-content-type")


@check("STR-2", level="MUST", category="Streaming", surface="openai", feature="streaming",
       title="Every data payload is JSON or [DONE] (no re-emitted comments)")
def test_str2_framing(client, chat_model, record_exchange):
    captured = _opened(client, "openai", chat_model, record_exchange)
    oc.stream_payloads_are_json(oc.read_openai_stream(captured.events),
                                exchange=captured.exchange)


@check("STR-3", level="SHOULD", category="Streaming", surface="openai", feature="streaming",
       title="No SSE id: fields on the OpenAI surface (openai-python keep-alive crash)")
def test_str3_no_ids(client, chat_model, record_exchange):
    captured = _opened(client, "openai", chat_model, record_exchange)
    oc.stream_has_no_event_ids(oc.read_openai_stream(captured.events),
                               exchange=captured.exchange)


def _incremental(client, target, surface, model, record_exchange):
    paced = target.claims("mock-directives")
    body = body_for(surface, model, stream=True, max_tokens=16,
                    text="Count from one to twenty in words.",
                    mock=directive(**PACING) if paced else None)
    spread = (PACING["tokens"] - 1) * PACING["itl"] if paced else None
    # A timing judgement: one retry, so a test machine that stalls the reader for the whole
    # stream cannot fail it; a buffering gateway bursts every time.
    for attempt in (1, 2):
        captured = _opened_body(client, surface, body, record_exchange)
        expect(captured.stamps is not None, "no timing for the stream", expected="stamps",
               observed="none", exchange=captured.exchange)
        try:
            st.delivery_is_incremental(captured.stamps, expected_spread_ms=spread,
                                       exchange=captured.exchange)
            return
        except ConformanceFailure:
            if attempt == 2:
                raise


def _opened_body(client, surface, body, record_exchange):
    captured = capture_stream(client, surface, body)
    record_exchange(captured.exchange)
    st.stream_opened(captured.status, captured.headers, captured.body, exchange=captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    return captured


@check("STR-4", level="SHOULD", category="Streaming", surface="openai", feature="streaming",
       title="Content is delivered incrementally, not in one burst (OpenAI)")
def test_str4_incremental_openai(client, target, chat_model, record_exchange):
    _incremental(client, target, "openai", chat_model, record_exchange)


@check("STR-4", level="SHOULD", category="Streaming", surface="anthropic", feature="streaming",
       title="Content is delivered incrementally, not in one burst (Anthropic)")
def test_str4_incremental_anthropic(client, target, chat_model, record_exchange):
    _incremental(client, target, "anthropic", chat_model, record_exchange)


@check("HDR-7", level="SHOULD", category="Streaming", feature="streaming",
       title="Streams carry no Content-Length (not buffered)")
def test_hdr7_not_buffered(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            with case(surface):
                captured = _opened_body(client, surface, body_for(surface, model, stream=True),
                                        record_exchange)
                st.stream_is_not_buffered(captured.headers, exchange=captured.exchange)
