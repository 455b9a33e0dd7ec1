"""Prompt-caching usage: the cache counts the upstream reported, exactly, on every surface.

Over gatecheck's mock the cache counts are asked for with ``[[mock cache_read=N]]`` (and
``cache_write=M``) and logged, so each surface's fields are judged against the upstream's
own numbers: Anthropic ``cache_read_input_tokens`` (and ``cache_creation_input_tokens``,
with ``input_tokens`` the uncached rest), OpenAI ``prompt_tokens_details.cached_tokens``
(``prompt_tokens`` the whole prompt), Responses ``input_tokens_details.cached_tokens``.
Cache reads are expressible on every wire; writes only on Anthropic's (CACHE-4).
"""

from __future__ import annotations

import pytest

from gatecheck.checks import anthropic as ac
from gatecheck.checks import check, expect, tokens
from gatecheck.checks import openai as oc
from gatecheck.checks import responses as rc
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
from gatecheck.protocols.responses.wire import RESPONSES_PATH, request_body

PROMPT = "Summarise the cached policy document in one line."
READ, WRITE = 7, 5


def _truth(mock_log, marker):
    if mock_log is None:  # a real cache cannot be made to hit on demand: nothing to judge
        pytest.skip("needs gatecheck's mock upstream (cache counts on demand, and its log)")
    for entry in reversed(mock_log.entries()):
        if marker in str(entry.get("prompt")):
            return entry.get("usage") or {}
    expect(False, "request not found in the mock's log", expected="a log entry", observed="none")
    return {}


def _post(client, path, body, surface, record_exchange, wire=None):
    response = client.request("POST", path, json=body, headers=headers_for(surface),
                              surface=wire or surface)
    record_exchange(response.exchange)
    expect(response.status == 200, "request failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    return response, response_json(response, "response")


@check("CACHE-1", level="MUST", category="Tokens", surface="anthropic", feature="prompt-caching",
       title="Anthropic cache_read_input_tokens are the upstream's, input_tokens the rest")
def test_cache1_anthropic(client, chat_model, mock_log, record_exchange):
    marker = nonce()
    body = body_for("anthropic", chat_model, text=f"{PROMPT} {marker}",
                    mock=directive(cache_read=READ))
    response, reply = _post(client, PATHS["anthropic"], body, "anthropic", record_exchange)
    truth = _truth(mock_log, marker)
    usage = reply.get("usage") or {}
    tokens.anthropic_usage_is_complete(usage, exchange=response.exchange)
    whole = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                            "cache_creation_input_tokens"))
    tokens.usage_matches({"cache_read_input_tokens": usage.get("cache_read_input_tokens"),
                          "prompt": whole},
                         {"cache_read_input_tokens": truth.get("cache_read_input_tokens"),
                          "prompt": truth.get("input_tokens")},
                         ("cache_read_input_tokens", "prompt"), "gateway vs upstream",
                         exchange=response.exchange)
    captured = capture_stream(client, "anthropic", {**body, "stream": True})
    record_exchange(captured.exchange)
    st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
    streamed = ac.read_anthropic_stream(captured.events).usage()
    tokens.usage_matches(streamed, usage, ("input_tokens", "cache_read_input_tokens",
                                           "output_tokens"), "stream vs non-stream",
                         exchange=captured.exchange)


@check("CACHE-2", level="MUST", category="Tokens", surface="openai", feature="prompt-caching",
       title="OpenAI prompt_tokens_details.cached_tokens are the upstream's cache reads")
def test_cache2_openai(client, target, chat_model, mock_log, record_exchange):
    marker = nonce()
    body = body_for("openai", chat_model, text=f"{PROMPT} {marker}",
                    mock=directive(cache_read=READ))
    response, reply = _post(client, PATHS["openai"], body, "openai", record_exchange)
    truth = _truth(mock_log, marker)
    usage = reply.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    tokens.usage_matches({"cached_tokens": details.get("cached_tokens"),
                          "prompt_tokens": usage.get("prompt_tokens")},
                         {"cached_tokens": truth.get("cache_read_input_tokens"),
                          "prompt_tokens": truth.get("input_tokens")},
                         ("cached_tokens", "prompt_tokens"), "gateway vs upstream",
                         exchange=response.exchange)
    if target.claims("stream-usage"):
        captured = capture_stream(client, "openai", {
            **body, "stream": True, "stream_options": {"include_usage": True}})
        record_exchange(captured.exchange)
        st.stream_has_events(captured.events, error=captured.error, exchange=captured.exchange)
        streamed = oc.read_openai_stream(captured.events).usage() or {}
        tokens.usage_matches(streamed, usage, ("prompt_tokens", "prompt_tokens_details"),
                             "stream vs non-stream", exchange=captured.exchange)


@check("CACHE-3", level="MUST", category="Tokens", surface="openai", feature="prompt-caching",
       title="Responses input_tokens_details.cached_tokens are the upstream's cache reads")
def test_cache3_responses(client, target, chat_model, mock_log, record_exchange):
    if not target.claims("responses"):
        pytest.skip(f"target {target.name!r} does not claim responses")
    marker = nonce()
    body = request_body(chat_model, text=f"{PROMPT} {marker}", mock=directive(cache_read=READ))
    response, reply = _post(client, "/v1" + RESPONSES_PATH, body, "openai", record_exchange,
                            wire="responses")
    truth = _truth(mock_log, marker)
    usage = rc.usage_adds_up(reply.get("usage"), exchange=response.exchange)
    tokens.usage_matches({"cached_tokens": usage["input_tokens_details"]["cached_tokens"],
                          "input_tokens": usage["input_tokens"]},
                         {"cached_tokens": truth.get("cache_read_input_tokens"),
                          "input_tokens": truth.get("input_tokens")},
                         ("cached_tokens", "input_tokens"), "gateway vs upstream",
                         exchange=response.exchange)


@check("CACHE-4", level="MUST", category="Tokens", surface="anthropic", feature="prompt-caching",
       title="Anthropic cache_creation_input_tokens pass through exactly")
def test_cache4_cache_writes(client, target, chat_model, mock_log, record_exchange):
    if not target.claims("anthropic-passthrough"):
        pytest.skip("cache writes have no field on an OpenAI-format upstream's wire; only an "
                    "Anthropic passthrough can report them")
    marker = nonce()
    body = body_for("anthropic", chat_model, text=f"{PROMPT} {marker}",
                    mock=directive(cache_read=READ, cache_write=WRITE))
    response, reply = _post(client, PATHS["anthropic"], body, "anthropic", record_exchange)
    truth = _truth(mock_log, marker)
    fields = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    usage = reply.get("usage") or {}
    expected = {"cache_read_input_tokens": truth.get("cache_read_input_tokens"),
                "cache_creation_input_tokens": truth.get("cache_creation_input_tokens"),
                "input_tokens": (truth.get("input_tokens") or 0)
                - (truth.get("cache_read_input_tokens") or 0)
                - (truth.get("cache_creation_input_tokens") or 0)}
    tokens.usage_matches(usage, expected, fields, "gateway vs upstream",
                         exchange=response.exchange)
