"""Tokens: usage arithmetic, stream == non-stream, == the mock's ground truth, count_tokens."""

from __future__ import annotations

from gatecheck.checks import anthropic as ac
from gatecheck.checks import check, expect, tokens
from gatecheck.checks import openai as oc
from gatecheck.checks import streaming as st
from gatecheck.checks.support import (
    PATHS,
    body_for,
    capture_stream,
    conforms,
    directive,
    headers_for,
    nonce,
    response_json,
)

# A deterministic request: same prompt and max_tokens give the same reply on the mock.
PROMPT = "List three colours."


def _post(client, surface, body):
    response = client.request("POST", PATHS[surface], json=body, headers=headers_for(surface))
    expect(response.status == 200, "request failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    return response, response_json(response, "response")


@check("TOK-1", level="MUST", category="Tokens", surface="openai",
       title="usage has integer prompt/completion/total with total = prompt + completion")
def test_tok1_arithmetic(client, chat_model, record_exchange):
    response, body = _post(client, "openai", body_for("openai", chat_model))
    record_exchange(response.exchange)
    tokens.openai_usage_adds_up(body.get("usage"), exchange=response.exchange)


def _ground_truth(mock_log, marker):
    for entry in reversed(mock_log.entries()):
        text = (entry.get("directive") or {}).get("text")
        if text and marker in text:
            return entry.get("usage") or {}
    return None


@check("TOK-1", level="MUST", category="Tokens", surface="openai", feature="mock-upstream",
       title="usage equals the mock upstream's exact counts (OpenAI)")
def test_tok1_ground_truth_openai(client, chat_model, mock_log, record_exchange):
    expect(mock_log is not None, "target fronts no gatecheck mock", expected="a mock log",
           observed="none")
    marker = nonce()
    body = body_for("openai", chat_model, mock=directive(text=f"red green blue {marker}"))
    response, reply = _post(client, "openai", body)
    record_exchange(response.exchange)
    figures: dict = {}
    tokens.note_usage(figures, "response", "openai", reply.get("usage"))
    truth = _ground_truth(mock_log, marker)
    expect(truth is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=response.exchange)
    tokens.note_usage(figures, "upstream", "anthropic", truth)
    usage = tokens.openai_usage_adds_up(reply.get("usage"), exchange=response.exchange)
    tokens.usage_matches({"prompt_tokens": usage["prompt_tokens"],
                          "completion_tokens": usage["completion_tokens"]},
                         {"prompt_tokens": truth.get("input_tokens"),
                          "completion_tokens": truth.get("output_tokens")},
                         ("prompt_tokens", "completion_tokens"), "gateway vs upstream",
                         exchange=response.exchange)


@check("TOK-2", level="SHOULD", category="Tokens", surface="openai",
       title="cached/reasoning token details are subsets of their totals")
def test_tok2_details(client, chat_model, record_exchange):
    response, body = _post(client, "openai", body_for("openai", chat_model))
    record_exchange(response.exchange)
    tokens.openai_usage_details_are_subsets(body.get("usage") or {}, exchange=response.exchange)


@check("TOK-3", level="MUST", category="Tokens", surface="openai", feature="stream-usage",
       title="Streamed usage equals the non-streamed usage of the same request")
def test_tok3_stream_equals_nonstream(client, chat_model, record_exchange):
    body = body_for("openai", chat_model, text=PROMPT, max_tokens=8)
    response, reply = _post(client, "openai", body)
    record_exchange(response.exchange)
    figures: dict = {}
    tokens.note_usage(figures, "response", "openai", reply.get("usage"))
    reference = tokens.openai_usage_adds_up(reply.get("usage"), exchange=response.exchange)
    captured = capture_stream(client, "openai", {**body, "stream": True,
                                                 "stream_options": {"include_usage": True}})
    record_exchange(captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    streamed = oc.read_openai_stream(captured.events).usage()
    tokens.note_usage(figures, "stream", "openai", streamed)
    expect(streamed is not None and streamed.get("completion_tokens", 0) > 0,
           "streamed usage missing or zero", expected="a non-zero usage chunk",
           observed=repr(streamed), exchange=captured.exchange)
    tokens.usage_matches(streamed or {}, reference,
                         ("prompt_tokens", "completion_tokens", "total_tokens"),
                         "stream vs non-stream", exchange=captured.exchange)


@check("TOK-4", level="MUST", category="Tokens", surface="anthropic", feature="mock-upstream",
       title="input_tokens + cache tokens equal the upstream's prompt count (no double count)")
def test_tok4_cache_semantics(client, chat_model, mock_log, record_exchange):
    expect(mock_log is not None, "target fronts no gatecheck mock", expected="a mock log",
           observed="none")
    marker = nonce()
    body = body_for("anthropic", chat_model, mock=directive(text=f"red green blue {marker}"))
    response, reply = _post(client, "anthropic", body)
    record_exchange(response.exchange)
    usage = reply.get("usage") or {}
    figures: dict = {}
    tokens.note_usage(figures, "response", "anthropic", usage)
    tokens.anthropic_usage_is_complete(usage, exchange=response.exchange)
    truth = _ground_truth(mock_log, marker)
    expect(truth is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=response.exchange)
    tokens.note_usage(figures, "upstream", "anthropic", truth)
    total_in = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_creation_input_tokens",
                                               "cache_read_input_tokens"))
    tokens.usage_matches({"input": total_in, "output": usage.get("output_tokens")},
                         {"input": truth.get("input_tokens"),
                          "output": truth.get("output_tokens")},
                         ("input", "output"), "gateway vs upstream", exchange=response.exchange)


@check("TOK-5", level="MUST", category="Tokens", surface="anthropic", feature="streaming",
       title="Streamed usage (message_start + message_delta) equals the non-streamed usage")
def test_tok5_stream_usage(client, chat_model, record_exchange):
    body = body_for("anthropic", chat_model, text=PROMPT, max_tokens=8)
    response, reply = _post(client, "anthropic", body)
    record_exchange(response.exchange)
    reference = reply.get("usage") or {}
    figures: dict = {}
    tokens.note_usage(figures, "response", "anthropic", reference)
    tokens.anthropic_usage_is_complete(reference, exchange=response.exchange)
    captured = capture_stream(client, "anthropic", {**body, "stream": True})
    record_exchange(captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    stream = ac.read_anthropic_stream(captured.events)
    tokens.note_usage(figures, "stream", "anthropic", stream.usage())
    ac.message_start_is_complete(stream, strict=False, exchange=captured.exchange)
    tokens.usage_matches(stream.usage(), reference, ("input_tokens", "output_tokens"),
                         "stream vs non-stream", exchange=captured.exchange)


@check("TOK-6", level="SHOULD", category="Tokens",
       title="Output tokens are counted whenever content was produced")
def test_tok6_output_counted(client, target, record_exchange):
    if target.has_surface("openai"):
        response, body = _post(client, "openai",
                               body_for("openai", target.models.for_surface("openai")))
        record_exchange(response.exchange)
        message = body["choices"][0]["message"]
        tokens.output_tokens_counted((body.get("usage") or {}).get("completion_tokens"),
                                     message.get("content") or "", exchange=response.exchange)
    if target.has_surface("anthropic"):
        response, body = _post(client, "anthropic",
                               body_for("anthropic", target.models.for_surface("anthropic")))
        record_exchange(response.exchange)
        text = "".join(b.get("text", "") for b in body.get("content", []))
        tokens.output_tokens_counted((body.get("usage") or {}).get("output_tokens"), text,
                                     exchange=response.exchange)


@check("TOK-7", level="SHOULD", category="Tokens", surface="anthropic", feature="count-tokens",
       title="count_tokens equals usage.input_tokens of the same request")
def test_tok7_count_tokens(client, chat_model, profile, record_exchange):
    body = body_for("anthropic", chat_model, text=PROMPT, max_tokens=4)
    response, reply = _post(client, "anthropic", body)
    record_exchange(response.exchange)
    count = {k: v for k, v in body.items() if k not in ("max_tokens", "stream")}
    counted = client.request("POST", "/v1/messages/count_tokens", json=count,
                             headers=headers_for("anthropic"))
    record_exchange(counted.exchange)
    expect(counted.status == 200, "count_tokens failed", expected="200",
           observed=f"{counted.status} {counted.text[:160]}", exchange=counted.exchange)
    body = response_json(counted, "count_tokens")
    conforms("anthropic/count-tokens-response", body, profile=profile,
             what="count_tokens", exchange=counted.exchange)
    tokens.count_tokens_matches(body, (reply.get("usage") or {}).get("input_tokens"),
                                exchange=counted.exchange)
