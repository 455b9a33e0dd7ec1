"""Completions: non-streamed bodies on both surfaces (W-1..W-8), request ids, content types."""

from __future__ import annotations

from gatecheck.checks import anthropic as ac
from gatecheck.checks import cases, check, expect, warn
from gatecheck.checks import headers as hdr
from gatecheck.checks import openai as oc
from gatecheck.checks.support import (
    PATHS,
    body_for,
    conforms,
    directive,
    headers_for,
    no_auth,
    response_json,
)


def _chat(client, model, **kw):
    response = client.request("POST", PATHS["openai"], json=body_for("openai", model, **kw))
    expect(response.status == 200, "chat completion failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    return response, response_json(response, "chat completion")


def _message(client, model, **kw):
    response = client.request("POST", PATHS["anthropic"], json=body_for("anthropic", model, **kw),
                              headers=headers_for("anthropic"))
    expect(response.status == 200, "message failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    return response, response_json(response, "message")


@check("W-1", level="MUST", category="Completions", surface="openai",
       title="Non-streamed chat completion is 200 JSON and a valid chat.completion")
def test_w1_chat_completion_body(client, chat_model, profile, record_exchange):
    response, body = _chat(client, chat_model)
    record_exchange(response.exchange)
    hdr.content_type_is(response.headers, "application/json", what="completion",
                        exchange=response.exchange)
    conforms("openai/chat-completion", body, profile=profile, what="completion",
             exchange=response.exchange)
    oc.chat_completion_is_well_formed(body, exchange=response.exchange)


@check("W-2", level="SHOULD", category="Completions", surface="openai",
       title="Assistant message has role, content and (strict) refusal")
def test_w2_assistant_message(client, chat_model, profile, record_exchange):
    response, body = _chat(client, chat_model)
    record_exchange(response.exchange)
    oc.assistant_message_is_well_formed(body, strict=profile == "strict",
                                        exchange=response.exchange)


@check("W-2", level="SHOULD", category="Completions", surface="openai", feature="tools",
       title="Tool calls carry id, type function and JSON-string arguments")
def test_w2_tool_calls(client, chat_model, record_exchange):
    response, body = _chat(client, chat_model, tools=True)
    record_exchange(response.exchange)
    oc.assistant_message_is_well_formed(body, exchange=response.exchange)
    calls = body["choices"][0]["message"].get("tool_calls") or []
    expect(bool(calls), "forced tool_choice produced no tool call", expected="one tool call",
           observed=str(body["choices"][0]["message"])[:200], exchange=response.exchange)


@check("W-3", level="MUST", category="Completions", surface="openai",
       title="finish_reason is one of the spec's values")
def test_w3_finish_reason_enum(client, chat_model, record_exchange):
    response, body = _chat(client, chat_model)
    record_exchange(response.exchange)
    oc.finish_reason_is_valid(body, exchange=response.exchange)


@check("W-4", level="SHOULD", category="Completions", surface="openai",
       title="Truncation by max_tokens finishes with length")
def test_w4_length_on_truncation(client, chat_model, target, record_exchange):
    mock = directive(tokens=40) if target.claims("mock-directives") else None
    response, body = _chat(client, chat_model, max_tokens=2, mock=mock,
                           text="Count from one to fifty in words.")
    record_exchange(response.exchange)
    oc.finish_reason_matches(body["choices"][0].get("finish_reason"), "length",
                             exchange=response.exchange)


@check("W-4", level="SHOULD", category="Completions", surface="openai", feature="tools",
       title="A tool call finishes with tool_calls")
def test_w4_tool_calls_finish(client, chat_model, record_exchange):
    response, body = _chat(client, chat_model, tools=True)
    record_exchange(response.exchange)
    choice = body["choices"][0]
    oc.finish_reason_matches(choice.get("finish_reason"), "tool_calls",
                             has_tool_calls=bool(choice["message"].get("tool_calls")),
                             exchange=response.exchange)


@check("W-5", level="MUST", category="Completions", surface="anthropic",
       title="Non-streamed message is 200 JSON and a valid Message")
def test_w5_message_body(client, chat_model, profile, record_exchange):
    response, body = _message(client, chat_model)
    record_exchange(response.exchange)
    hdr.content_type_is(response.headers, "application/json", what="message",
                        exchange=response.exchange)
    conforms("anthropic/message", body, profile=profile, what="message",
             exchange=response.exchange)
    ac.message_is_well_formed(body, strict=profile == "strict", exchange=response.exchange)


@check("W-6", level="MUST", category="Completions", surface="anthropic",
       title="stop_reason is an Anthropic value; max_tokens on truncation")
def test_w6_stop_reason(client, chat_model, target, record_exchange):
    response, body = _message(client, chat_model)
    record_exchange(response.exchange)
    ac.stop_reason_is_valid(body.get("stop_reason"), body.get("stop_sequence"),
                            exchange=response.exchange)
    mock = directive(tokens=40) if target.claims("mock-directives") else None
    response, body = _message(client, chat_model, max_tokens=2, mock=mock,
                              text="Count from one to fifty in words.")
    record_exchange(response.exchange)
    expect(body.get("stop_reason") == "max_tokens", "truncation not reported as max_tokens",
           expected='stop_reason "max_tokens"', observed=repr(body.get("stop_reason")),
           exchange=response.exchange)


@check("W-7", level="MUST", category="Completions", surface="anthropic", feature="tools",
       title="tool_use blocks have an id and an object input")
def test_w7_tool_use_input(client, chat_model, record_exchange):
    response, body = _message(client, chat_model, tools=True)
    record_exchange(response.exchange)
    ac.tool_use_input_is_object(body, exchange=response.exchange)
    expect(any(b.get("type") == "tool_use" for b in body.get("content", [])),
           "forced tool_choice produced no tool_use block", expected="a tool_use block",
           observed=str(body.get("content"))[:200], exchange=response.exchange)
    expect(body.get("stop_reason") == "tool_use", "tool call not reported as tool_use",
           expected='stop_reason "tool_use"', observed=repr(body.get("stop_reason")),
           exchange=response.exchange)


@check("W-8", level="MUST", category="Completions", surface="openai", feature="mock-directives",
       title="Stop sequences are honoured (OpenAI stop)")
def test_w8_stop_openai(client, chat_model, record_exchange):
    mock = directive(text="alpha beta omega gamma delta")
    response, body = _chat(client, chat_model, mock=mock, stop=["omega"])
    record_exchange(response.exchange)
    content = body["choices"][0]["message"].get("content") or ""
    expect("gamma" not in content and "omega" not in content, "stop sequence ignored",
           expected="content cut before 'omega'", observed=repr(content),
           exchange=response.exchange)
    oc.finish_reason_matches(body["choices"][0].get("finish_reason"), "stop",
                             exchange=response.exchange)


@check("W-8", level="MUST", category="Completions", surface="anthropic",
       feature="mock-directives", title="Stop sequences are honoured (Anthropic stop_sequences)")
def test_w8_stop_anthropic(client, chat_model, record_exchange):
    mock = directive(text="alpha beta omega gamma delta")
    response, body = _message(client, chat_model, mock=mock, stop_sequences=["omega"])
    record_exchange(response.exchange)
    text = "".join(b.get("text", "") for b in body.get("content", []))
    expect("gamma" not in text and "omega" not in text, "stop_sequences ignored",
           expected='text cut before "omega"', observed=repr(text), exchange=response.exchange)
    ac.stop_reason_is_valid(body.get("stop_reason"), body.get("stop_sequence"),
                            exchange=response.exchange)
    if body.get("stop_reason") == "end_turn":
        # Over an OpenAI-format upstream a natural stop and a stop sequence look the same
        # (finish_reason "stop"), so a translating gateway may not know which one it was.
        warn('stop sequence reported as "end_turn" (expected "stop_sequence")',
             exchange=response.exchange)
    else:
        expect(body.get("stop_sequence") == "omega", "stop_sequence does not name the match",
               expected='stop_reason "stop_sequence", stop_sequence "omega"',
               observed=f"stop_reason={body.get('stop_reason')!r} "
                        f"stop_sequence={body.get('stop_sequence')!r}",
               exchange=response.exchange)


@check("HDR-1", level="MUST", category="Completions", surface="openai",
       title="x-request-id on OpenAI responses (success and error)")
def test_hdr1_request_id(client, chat_model, record_exchange):
    response, _ = _chat(client, chat_model)
    record_exchange(response.exchange)
    error = client.request("POST", PATHS["openai"], json=body_for("openai", chat_model),
                           auth=no_auth())
    with cases() as case:
        for what, answer in (("completion", response), (f"answer {error.status}", error)):
            with case(what):
                hdr.request_id_present("openai", answer.headers, what=what,
                                       exchange=answer.exchange)


@check("HDR-2", level="MUST", category="Completions", surface="anthropic",
       title="request-id on Anthropic responses (success and error)")
def test_hdr2_request_id(client, chat_model, record_exchange):
    response, _ = _message(client, chat_model)
    record_exchange(response.exchange)
    error = client.request("POST", PATHS["anthropic"], json=body_for("anthropic", chat_model),
                           headers=headers_for("anthropic"), auth=no_auth())
    with cases() as case:
        for what, answer in (("message", response), (f"answer {error.status}", error)):
            with case(what):
                hdr.request_id_present("anthropic", answer.headers, what=what,
                                       exchange=answer.exchange)
