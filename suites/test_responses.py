"""OpenAI Responses API: bodies, the Open Responses compliance requests, usage, errors (RESP-*).

The first checks are the Open Responses compliance suite's requests (basic response, system
prompt, multi-turn, tool calling, image input; openresponses/openresponses
src/lib/compliance-tests.ts) judged by the OpenAI spec's schema and the suite's own
validators (output present, status completed, a function_call item); the rest judge what
the spec states beyond them. Streams are in test_responses_streaming.py.
"""

from __future__ import annotations

import orjson
import pytest

from gatecheck.checks import cases, check, errors, expect, tokens
from gatecheck.checks import responses as rc
from gatecheck.checks.evidence import PNG_BASE64
from gatecheck.checks.support import conforms, directive, nonce, response_json
from gatecheck.protocols.responses.wire import RESPONSES_PATH, message_item, request_body

WEATHER = {"location": "Paris"}

PATH = "/v1" + RESPONSES_PATH  # the client is rooted at the target root


def _create(client, body, record_exchange, *, status=200):
    response = client.request("POST", PATH, json=body, surface="responses")
    record_exchange(response.exchange)
    expect(response.status == status, f"POST {PATH} not answered {status}", expected=str(status),
           observed=f"{response.status} {response.text[:240]}", exchange=response.exchange)
    return response


def _completed(client, body, profile, record_exchange):
    """One non-streamed request judged as Open Responses does: schema, output, completed."""
    response = _create(client, body, record_exchange)
    reply = rc.response_is_well_formed(response_json(response, "Response"),
                                       exchange=response.exchange)
    conforms("openai/response", reply, profile=profile, what="Response",
             exchange=response.exchange)
    expect(bool(reply.get("output")), "the Response has no output items",
           expected="at least one output item", observed="output: []",
           exchange=response.exchange)
    rc.status_is(reply, "completed", exchange=response.exchange)
    return response, reply


@check("RESP-1", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: a basic request gets a completed Response with output text")
def test_resp1_basic_response(client, chat_model, profile, record_exchange):
    body = request_body(chat_model, items=[message_item("user", "Say hello in exactly 3 words.")])
    response, reply = _completed(client, body, profile, record_exchange)
    expect(bool(rc.output_text(reply)), "no message item with output_text in the Response",
           expected="a message item with output_text", observed=str(reply.get("output"))[:300],
           exchange=response.exchange)


@check("RESP-2", level="SHOULD", category="Completions", surface="openai", feature="responses",
       title="Responses: the Response carries every key Open Responses clients require")
def test_resp2_open_responses_fields(client, chat_model, record_exchange):
    response = _create(client, request_body(chat_model), record_exchange)
    rc.open_responses_fields_present(response_json(response, "Response"),
                                     exchange=response.exchange)


@check("RESP-3", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: a system prompt (system message and instructions) is accepted")
def test_resp3_system_prompt(client, chat_model, profile, record_exchange):
    items = [message_item("system", "You are a pirate. Always respond in pirate speak."),
             message_item("user", "Say hello.")]
    _completed(client, request_body(chat_model, items=items), profile, record_exchange)
    _completed(client, request_body(chat_model, instructions="Answer like a pirate."),
               profile, record_exchange)


@check("RESP-4", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: a multi-turn conversation in input is answered")
def test_resp4_multi_turn(client, chat_model, profile, record_exchange):
    items = [message_item("user", "My name is Alice."),
             message_item("assistant", "Hello Alice! Nice to meet you."),
             message_item("user", "What is my name?")]
    _completed(client, request_body(chat_model, items=items), profile, record_exchange)


@check("RESP-5", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: a forced tool call is a function_call item with JSON arguments")
def test_resp5_tool_call(client, target, chat_model, profile, record_exchange):
    if not target.claims("tools"):
        pytest.skip(f"target {target.name!r} does not claim tools")
    mock = directive(args='{"location": "Paris"}') if target.claims("mock-directives") else None
    body = request_body(chat_model, text="What's the weather like in Paris?", mock=mock,
                        tools=True, max_output_tokens=64)
    response, reply = _completed(client, body, profile, record_exchange)
    calls = rc.function_calls(reply, exchange=response.exchange)
    expect(len(calls) == 1 and calls[0].get("name") == "get_weather",
           "the forced tool was not called (one function_call item get_weather)",
           expected="one function_call to get_weather",
           observed=str(reply.get("output"))[:300], exchange=response.exchange)
    if mock:
        arguments = orjson.loads(calls[0]["arguments"])  # a JSON object: function_calls held
        expect(arguments == WEATHER, "the call's arguments are not the upstream's",
               expected=repr(WEATHER), observed=repr(arguments), exchange=response.exchange)


@check("RESP-6", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: a reply cut by max_output_tokens is incomplete (max_output_tokens)")
def test_resp6_incomplete(client, target, chat_model, record_exchange):
    if not target.claims("mock-directives"):
        pytest.skip("needs a reply known to be longer than max_output_tokens (mock directives)")
    body = request_body(chat_model, mock=directive(tokens=40), max_output_tokens=16)
    response = _create(client, body, record_exchange)
    rc.status_is(response_json(response, "Response"), "incomplete", reason="max_output_tokens",
                 exchange=response.exchange)


@check("RESP-7", level="MUST", category="Completions", surface="openai", feature="responses",
       title="Responses: an input_image part is accepted (Open Responses image input)")
def test_resp7_image_input(client, target, chat_model, profile, record_exchange):
    if not target.claims("images"):
        pytest.skip(f"target {target.name!r} does not claim images")
    content = [{"type": "input_text", "text": "What do you see in this image?"},
               {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_BASE64}"}]
    body = request_body(chat_model, items=[message_item("user", content)])
    _completed(client, body, profile, record_exchange)


@check("RESP-T1", level="MUST", category="Tokens", surface="openai", feature="responses",
       title="Responses: usage has input/output/total (total = input + output) and details")
def test_respt1_usage(client, chat_model, record_exchange):
    response = _create(client, request_body(chat_model), record_exchange)
    rc.usage_adds_up(response_json(response, "Response").get("usage"),
                     exchange=response.exchange)


@check("RESP-T2", level="MUST", category="Tokens", surface="openai", feature="mock-upstream",
       title="Responses: usage equals the mock upstream's exact counts")
def test_respt2_ground_truth(client, target, chat_model, mock_log, record_exchange):
    if not target.claims("responses"):
        pytest.skip(f"target {target.name!r} does not claim responses")
    expect(mock_log is not None, "target fronts no gatecheck mock", expected="a mock log",
           observed="none")
    marker = nonce()
    body = request_body(chat_model, mock=directive(text=f"red green blue {marker}"))
    response = _create(client, body, record_exchange)
    usage = response_json(response, "Response").get("usage") or {}  # its shape is RESP-T1's
    truth = _logged(mock_log, marker)
    expect(truth is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=response.exchange)
    tokens.usage_matches(usage, {"input_tokens": truth.get("input_tokens"),
                                 "output_tokens": truth.get("output_tokens")},
                         ("input_tokens", "output_tokens"), "gateway vs upstream",
                         exchange=response.exchange)


def _logged(mock_log, marker):
    for entry in reversed(mock_log.entries()):
        if marker in str((entry.get("directive") or {}).get("text")):
            return entry.get("usage") or {}
    return None


@check("RESP-E1", level="MUST", category="Errors", surface="openai", feature="responses",
       title="Responses: a bad request is a 400 in the OpenAI error envelope")
def test_respe1_bad_request(client, chat_model, profile, record_exchange):
    with cases() as case:
        for body in ({"model": chat_model}, {"model": chat_model, "input": 42},
                     {"input": "hello"}):
            response = client.request("POST", PATH, json=body)
            record_exchange(response.exchange)
            with case(f"body {sorted(body)}"):
                errors.status_in(response, (400, 422), f"Responses body {sorted(body)}",
                                 cause="bad-request-5xx" if response.status >= 500 else
                                 "bad-request-accepted" if response.status < 300 else None)
                errors.openai_error_envelope(response)
                conforms("openai/error", response.json(), profile=profile, what="error body",
                         exchange=response.exchange, cause="openai-envelope")
