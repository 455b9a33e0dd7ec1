"""Anthropic extended thinking through the gateway: blocks, signatures, order (THINK-*).

A request with ``thinking: {type: enabled}`` gets ``thinking`` blocks (text + signature)
before the answer, maybe ``redacted_thinking`` blocks (opaque data); the client sends them
back unchanged in the next turn and the API verifies the signature. Whatever a gateway
changes in them on the way down or up breaks that turn. Over gatecheck's mock the blocks
the client gets are compared byte for byte with the ones the mock logged as sent, and the
mock refuses a changed block sent back (400), as the real API does.
"""

from __future__ import annotations

import pytest

from gatecheck.checks import anthropic as ac
from gatecheck.checks import check, expect, thinking
from gatecheck.checks import streaming as st
from gatecheck.checks.support import (
    PATHS,
    body_for,
    capture_stream,
    directive,
    headers_for,
    nonce,
    response_json,
)

THINKING = {"type": "enabled", "budget_tokens": 1024}


def _body(chat_model, target, *, mock=None, **extra):
    marker = nonce()
    text = f"Think, then say hello. {marker}"
    return marker, body_for("anthropic", chat_model, text=text, max_tokens=2048,
                            mock=mock if target.claims("mock-directives") else None,
                            thinking=THINKING, **extra)


def _post(client, body, record_exchange):
    response = client.request("POST", PATHS["anthropic"], json=body,
                              headers=headers_for("anthropic"))
    record_exchange(response.exchange)
    expect(response.status == 200, "a request with thinking enabled failed", expected="200",
           observed=f"{response.status} {response.text[:240]}", exchange=response.exchange)
    return response, response_json(response, "message")


def _sent(mock_log, marker):
    """The thinking-block digests the mock logged for the request holding ``marker``."""
    for entry in reversed(mock_log.entries()):
        if marker in str(entry.get("prompt")):
            return entry.get("thinking")
    return None


def _exact(mock_log, marker, blocks, exchange):
    if mock_log is None:
        return  # a real upstream: only the shape above can be judged
    sent = _sent(mock_log, marker)
    expect(sent is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=exchange)
    thinking.thinking_blocks_match(blocks, sent or [], exchange=exchange)


@check("THINK-1", level="MUST", category="Completions", surface="anthropic", feature="thinking",
       title="Thinking blocks (text and signature) reach the client first and unmodified")
def test_think1_blocks_unmodified(client, target, chat_model, mock_log, record_exchange):
    marker, body = _body(chat_model, target)
    response, message = _post(client, body, record_exchange)
    content = message.get("content")
    thinking.thinking_blocks_are_complete(content, exchange=response.exchange)
    blocks = thinking.thinking_blocks(content)
    expect(any(b.get("type") == "thinking" for b in blocks),
           "thinking was enabled but the message has no thinking block",
           expected="a thinking block", observed=str(content)[:300], exchange=response.exchange)
    _exact(mock_log, marker, blocks, response.exchange)


@check("THINK-2", level="MUST", category="Streaming", surface="anthropic", feature="thinking",
       title="Streamed thinking: thinking_delta events, then the signature, before the answer")
def test_think2_stream_order(client, target, chat_model, mock_log, record_exchange):
    marker, body = _body(chat_model, target, stream=True)
    captured = capture_stream(client, "anthropic", body)
    record_exchange(captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    stream = ac.read_anthropic_stream(captured.events)
    ac.event_order_is_valid(stream, exchange=captured.exchange)
    blocks = thinking.thinking_stream_blocks(stream.events, exchange=captured.exchange)
    expect(any(b.get("type") == "thinking" for b in blocks),
           "thinking was enabled but the stream has no thinking block",
           expected="a thinking block", observed=" ".join(str(e.type) for e in stream.events[:12]),
           exchange=captured.exchange)
    _exact(mock_log, marker, blocks, captured.exchange)


@check("THINK-3", level="MUST", category="Completions", surface="anthropic", feature="thinking",
       title="redacted_thinking blocks pass through unmodified (non-stream and stream)")
def test_think3_redacted(client, target, chat_model, mock_log, record_exchange):
    if not target.claims("mock-directives"):
        pytest.skip("redacted thinking cannot be asked for; it needs the mock's redacted=N")
    marker, body = _body(chat_model, target, mock=directive(redacted=1))
    response, message = _post(client, body, record_exchange)
    blocks = thinking.thinking_blocks(message.get("content"))
    thinking.thinking_blocks_are_complete(message.get("content"), exchange=response.exchange)
    expect(any(b.get("type") == "redacted_thinking" for b in blocks),
           "the upstream's redacted_thinking block did not reach the client",
           expected="a redacted_thinking block", observed=str(message.get("content"))[:300],
           exchange=response.exchange)
    _exact(mock_log, marker, blocks, response.exchange)
    marker, body = _body(chat_model, target, mock=directive(redacted=1), stream=True)
    captured = capture_stream(client, "anthropic", body)
    record_exchange(captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    streamed = thinking.thinking_stream_blocks(ac.read_anthropic_stream(captured.events).events,
                                               exchange=captured.exchange)
    _exact(mock_log, marker, streamed, captured.exchange)


@check("THINK-4", level="MUST", category="Completions", surface="anthropic", feature="thinking",
       title="Thinking blocks sent back in the next turn reach the upstream unmodified")
def test_think4_blocks_sent_back(client, target, chat_model, record_exchange):
    mock = directive(redacted=1) if target.claims("mock-directives") else None
    _, body = _body(chat_model, target, mock=mock)
    _, message = _post(client, body, record_exchange)
    history = [*body["messages"],
               {"role": "assistant", "content": message.get("content")},
               {"role": "user", "content": "And once more."}]
    # the upstream verifies each signature: a block changed on the way up is a 400 there
    again, reply = _post(client, dict(body, messages=history), record_exchange)
    ac.message_is_well_formed(reply, exchange=again.exchange)
