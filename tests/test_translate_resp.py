"""Responses <-> Chat Completions / Anthropic translation: requests, bodies, streams (pure)."""

from __future__ import annotations

import json

import pytest

from gatecheck import SseEvent
from gatecheck.checks import responses as rc
from gatecheck.protocols import translate as t
from gatecheck.protocols.translate import TranslationError
from gatecheck.protocols.translate._resp_requests import REDACTED_PREFIX

TOOL = {"type": "function", "name": "get_weather", "description": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
IMAGE = "data:image/png;base64,iVBORw0KGgo="
KW = {"request": {}, "model": "gpt-4o-mini", "response_id": "resp_abc", "created_at": 7}


def test_a_conversation_becomes_chat_messages():
    body = {"model": "x", "instructions": "be brief", "max_output_tokens": 64,
            "reasoning": {"effort": "low"}, "tools": [TOOL], "tool_choice": "required",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "see"},
                    {"type": "input_image", "image_url": IMAGE, "detail": "low"}]},
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "ok"}]},
                {"type": "function_call", "call_id": "c1", "name": "get_weather",
                 "arguments": '{"city":"Oslo"}'},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {"role": "user", "content": "thanks"}]}
    chat = t.responses_to_chat_request(body, model="m")
    assert chat["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "see"},
                                     {"type": "image_url",
                                      "image_url": {"url": IMAGE, "detail": "low"}}]},
        {"role": "assistant", "content": "ok", "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "user", "content": "thanks"}]
    assert (chat["max_tokens"], chat["reasoning_effort"], chat["tool_choice"]) == (
        64, "low", "required")
    assert chat["tools"][0] == {"type": "function", "function": {
        "name": "get_weather", "description": "weather", "parameters": TOOL["parameters"]}}


@pytest.mark.parametrize(("body", "param"), [
    ({"input": "x", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"input": "x", "tools": [{"type": "web_search"}]}, "tools[0]"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
    ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
     "input[0].content"),
])
def test_what_chat_cannot_carry_is_refused_naming_the_field(body, param):
    with pytest.raises(TranslationError) as info:
        t.responses_to_chat_request({"model": "x", **body}, model="m")
    assert info.value.param == param


def test_to_anthropic_reasoning_items_become_their_thinking_blocks_again():
    body = {"model": "x", "max_output_tokens": 4096, "reasoning": {"effort": "medium"},
            "input": [{"role": "user", "content": "think"},
                      {"type": "reasoning", "id": "rs_1", "summary": [],
                       "content": [{"type": "reasoning_text", "text": "Hmm."}],
                       "encrypted_content": "c2ln"},
                      {"type": "reasoning", "id": "rs_2", "summary": [],
                       "encrypted_content": REDACTED_PREFIX + "ZGF0YQ=="},
                      {"role": "assistant", "content": "Done."},
                      {"role": "user", "content": "again"}]}
    out = t.responses_to_anthropic_request(body, model="claude")
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 4095}
    assert out["messages"][1] == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
        {"type": "redacted_thinking", "data": "ZGF0YQ=="},
        {"type": "text", "text": "Done."}]}
    small = t.responses_to_anthropic_request({**body, "max_output_tokens": 512}, model="c")
    assert "thinking" not in small  # no room for Anthropic's 1024-token minimum budget
    chat = t.responses_to_chat_request(body, model="m")  # an OpenAI upstream gets none of it
    assert all("thinking_blocks" not in m for m in chat["messages"])


def test_a_text_format_anthropic_cannot_honour_is_refused():
    with pytest.raises(TranslationError) as info:
        t.responses_to_anthropic_request(
            {"model": "x", "input": "x", "text": {"format": {"type": "json_object"}}}, model="c")
    assert info.value.param == "text.format"


def test_chat_answers_become_responses():
    completion = {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Let me check.", "reasoning_content": "Hmm.",
        "tool_calls": [{"id": "c1", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                  "prompt_tokens_details": {"cached_tokens": 4},
                  "completion_tokens_details": {"reasoning_tokens": 2}}}
    body = t.chat_to_responses_response(completion, **KW)
    assert [i["type"] for i in body["output"]] == ["reasoning", "message", "function_call"]
    assert rc.output_text(body) == "Let me check."
    assert body["output"][2]["call_id"] == "c1"
    assert body["usage"] == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
                             "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
                             "output_tokens_details": {"reasoning_tokens": 2}}
    cut = t.chat_to_responses_response({"choices": [{"finish_reason": "length", "message": {
        "content": "abc"}}]}, **KW)
    rc.status_is(cut, "incomplete", reason="max_output_tokens")


def test_anthropic_answers_become_responses_and_keep_their_signatures():
    message = {"stop_reason": "max_tokens", "content": [
        {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
        {"type": "redacted_thinking", "data": "ZGF0YQ=="},
        {"type": "text", "text": "Hello"}],
        "usage": {"input_tokens": 3, "cache_read_input_tokens": 5,
                  "cache_creation_input_tokens": 2, "output_tokens": 9}}
    body = t.anthropic_to_responses_response(message, **KW)
    reasoning = [i for i in body["output"] if i["type"] == "reasoning"]
    assert [r["encrypted_content"] for r in reasoning] == ["c2ln", REDACTED_PREFIX + "ZGF0YQ=="]
    assert body["usage"]["input_tokens"] == 10  # 3 + cache reads + cache writes
    assert body["usage"]["input_tokens_details"] == {"cached_tokens": 5, "cache_write_tokens": 2}
    rc.status_is(body, "incomplete", reason="max_output_tokens")


def _judge(events):
    stream = rc.read_responses_stream(
        SseEvent(e["type"], json.dumps(e), None, None, 0) for e in events)
    rc.event_order_is_valid(stream)
    rc.sequence_numbers_increase(stream)
    rc.text_deltas_assemble(stream)
    rc.arguments_assemble(stream)
    return stream


def test_chat_chunks_become_the_responses_grammar():
    machine = t.ChatToResponsesStream(**KW)
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
              {"choices": [{"index": 0, "delta": {"reasoning_content": "Hmm"}}]},
              {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
              {"choices": [{"index": 0, "delta": {"content": "lo"}}]},
              {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1",
               "type": "function", "function": {"name": "f", "arguments": '{"a"'}}]}}]},
              {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
               "function": {"arguments": ": 1}"}}]}, "finish_reason": "tool_calls"}]},
              {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4,
                                        "total_tokens": 7}}]
    events = [e for c in chunks for e in machine.feed(c)]
    events += machine.finish(complete=True, completed_at=9)
    stream = _judge(events)
    final = stream.terminal()
    assert [i["type"] for i in final["output"]] == ["reasoning", "message", "function_call"]
    assert final["output"][2]["arguments"] == '{"a": 1}'
    assert final["usage"]["total_tokens"] == 7


def test_a_cut_or_failed_upstream_stream_is_a_failure():
    machine = t.ChatToResponsesStream(**KW)
    events = machine.feed({"choices": [{"index": 0, "delta": {"content": "Hi"}}]})
    events += machine.finish(complete=False, completed_at=9)
    assert [e["type"] for e in events][-2:] == ["error", "response.failed"]
    rc.stream_failure_is_reported(_judge(events))
    anthropic = t.AnthropicToResponsesStream(**KW)
    events = anthropic.feed("error", {"type": "error", "error": {
        "type": "overloaded_error", "message": "busy"}})
    assert events[-1]["response"]["error"] == {"code": "server_error", "message": "busy"}


def test_anthropic_events_become_the_responses_grammar():
    machine = t.AnthropicToResponsesStream(**KW)
    feed = [("message_start", {"message": {"usage": {"input_tokens": 3, "output_tokens": 1}}}),
            ("content_block_start", {"index": 0, "content_block": {
                "type": "thinking", "thinking": "", "signature": ""}}),
            ("content_block_delta", {"index": 0, "delta": {"type": "thinking_delta",
                                                           "thinking": "Hmm."}}),
            ("content_block_delta", {"index": 0, "delta": {"type": "signature_delta",
                                                           "signature": "c2ln"}}),
            ("content_block_stop", {"index": 0}),
            ("content_block_start", {"index": 1, "content_block": {
                "type": "redacted_thinking", "data": "ZGF0YQ=="}}),
            ("content_block_stop", {"index": 1}),
            ("content_block_start", {"index": 2, "content_block": {"type": "text",
                                                                   "text": ""}}),
            ("content_block_delta", {"index": 2, "delta": {"type": "text_delta",
                                                           "text": "Hi"}}),
            ("content_block_stop", {"index": 2}),
            ("message_delta", {"delta": {"stop_reason": "max_tokens"},
                               "usage": {"output_tokens": 7}}),
            ("message_stop", {})]
    events = [e for name, data in feed for e in machine.feed(name, data)]
    assert machine.stopped
    events += machine.finish(complete=True, completed_at=9)
    final = _judge(events).terminal()
    assert final["status"] == "incomplete"
    assert [i.get("encrypted_content") for i in final["output"]] == [
        "c2ln", REDACTED_PREFIX + "ZGF0YQ==", None]
    assert final["output"][2]["status"] == "incomplete"  # the cut item is marked so
    assert final["usage"]["output_tokens"] == 7
