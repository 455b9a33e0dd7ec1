"""Non-stream response, stop-reason, usage (TOK-4) and error-envelope translation."""

from __future__ import annotations

import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion

from gatecheck.protocols.translate import (
    ANTHROPIC_TO_OPENAI_STOP,
    OPENAI_TO_ANTHROPIC_STOP,
    TranslationError,
    anthropic_error_to_openai,
    anthropic_to_openai_response,
    anthropic_usage_to_openai,
    openai_error_to_anthropic,
    openai_to_anthropic_response,
    openai_usage_to_anthropic,
)

ANTHROPIC_MESSAGE = {
    "id": "msg_01ABC",
    "type": "message",
    "role": "assistant",
    "model": "claude-upstream",
    "content": [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "output_tokens": 7,
        "cache_read_input_tokens": 30,
        "cache_creation_input_tokens": 5,
    },
}

OPENAI_COMPLETION = {
    "id": "chatcmpl-XYZ",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-upstream",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Let me check.",
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 45,
        "completion_tokens": 7,
        "total_tokens": 52,
        "prompt_tokens_details": {"cached_tokens": 30},
    },
}


def test_golden_anthropic_to_openai_response() -> None:
    out = anthropic_to_openai_response(ANTHROPIC_MESSAGE, model="alias", created=1700000000)
    ChatCompletion.model_validate(out)
    assert out == {
        "id": "chatcmpl-01ABC",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "alias",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Let me check.",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 45,
            "completion_tokens": 7,
            "total_tokens": 52,
            "prompt_tokens_details": {"cached_tokens": 30},
        },
    }


def test_golden_openai_to_anthropic_response() -> None:
    out = openai_to_anthropic_response(OPENAI_COMPLETION, model="alias")
    Message.model_validate(out)
    assert out == {
        "id": "msg_XYZ",
        "type": "message",
        "role": "assistant",
        "model": "alias",
        "content": ANTHROPIC_MESSAGE["content"],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 15,
            "output_tokens": 7,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 30,
        },
    }


def test_created_defaults_to_now_in_seconds() -> None:
    created = anthropic_to_openai_response(ANTHROPIC_MESSAGE, model="m")["created"]
    assert 1_600_000_000 < created < 10_000_000_000  # seconds, not milliseconds (MOD-5)


@pytest.mark.parametrize(
    ("finish", "anthropic"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
    ],
)
def test_stop_table_both_ways(finish: str, anthropic: str) -> None:
    assert OPENAI_TO_ANTHROPIC_STOP[finish] == anthropic
    assert ANTHROPIC_TO_OPENAI_STOP[anthropic] == finish
    message = {
        **ANTHROPIC_MESSAGE,
        "content": [{"type": "text", "text": "x"}],
        "stop_reason": anthropic,
    }
    assert anthropic_to_openai_response(message, model="m")["choices"][0]["finish_reason"] == finish
    completion = {
        **OPENAI_COMPLETION,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": finish}
        ],
    }
    assert openai_to_anthropic_response(completion, model="m")["stop_reason"] == anthropic


def _text_completion(text: str, finish: str = "stop", **choice_extra: object) -> dict[str, object]:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": finish,
        **choice_extra,
    }
    return {
        "id": "chatcmpl-1",
        "choices": [choice],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
    }


def test_stop_sequence_from_vllm_stop_reason() -> None:
    out = openai_to_anthropic_response(
        _text_completion("one two", stop_reason="###"), model="m", stop_sequences=["###"]
    )
    assert (out["stop_reason"], out["stop_sequence"]) == ("stop_sequence", "###")
    Message.model_validate(out)


def test_stop_sequence_from_text_that_keeps_it() -> None:
    out = openai_to_anthropic_response(
        _text_completion("one END"), model="m", stop_sequences=["X", "END"]
    )
    assert (out["stop_reason"], out["stop_sequence"]) == ("stop_sequence", "END")


def test_no_evidence_of_a_stop_sequence_is_end_turn() -> None:
    out = openai_to_anthropic_response(
        _text_completion("one", stop_reason=None), model="m", stop_sequences=["END"]
    )
    assert (out["stop_reason"], out["stop_sequence"]) == ("end_turn", None)
    # vLLM reports the EOS token id as an int: not a stop sequence
    out = openai_to_anthropic_response(
        _text_completion("one", stop_reason=2), model="m", stop_sequences=["END"]
    )
    assert out["stop_reason"] == "end_turn"


def test_stop_sequence_stop_reason_maps_to_openai_stop() -> None:
    message = {
        **ANTHROPIC_MESSAGE,
        "content": [{"type": "text", "text": "a"}],
        "stop_reason": "stop_sequence",
        "stop_sequence": "###",
    }
    out = anthropic_to_openai_response(message, model="m")
    assert out["choices"][0]["finish_reason"] == "stop"
    assert out["choices"][0]["message"]["content"] == "a"


def test_tool_calls_finished_with_stop_still_become_tool_use() -> None:
    completion = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "stop",
            }
        ],
    }
    out = openai_to_anthropic_response(completion, model="m")
    assert out["stop_reason"] == "tool_use"
    assert out["content"] == [{"type": "tool_use", "id": "c", "name": "f", "input": {}}]


def test_refusal_becomes_text_with_refusal_stop() -> None:
    completion = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": "I can't."},
                "finish_reason": "stop",
            }
        ],
    }
    out = openai_to_anthropic_response(completion, model="m")
    assert out["content"] == [{"type": "text", "text": "I can't."}]
    assert out["stop_reason"] == "refusal"


def test_empty_text_gives_empty_content_and_zero_usage() -> None:
    out = openai_to_anthropic_response(
        {"id": "chatcmpl-1", "choices": [{"message": {"content": ""}, "finish_reason": "stop"}]},
        model="m",
    )
    assert out["content"] == []
    assert out["usage"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    Message.model_validate(out)


def test_no_choices_or_bad_arguments_raise() -> None:
    with pytest.raises(TranslationError, match="no choices"):
        openai_to_anthropic_response({"id": "x", "choices": []}, model="m")
    bad = {
        "id": "x",
        "choices": [
            {
                "message": {
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}]
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    with pytest.raises(TranslationError, match="JSON object"):
        openai_to_anthropic_response(bad, model="m")


def test_usage_tok4_cache_is_subtracted_then_added_back() -> None:
    openai_usage = {
        "prompt_tokens": 100,
        "completion_tokens": 9,
        "total_tokens": 109,
        "prompt_tokens_details": {"cached_tokens": 60},
    }
    anthropic = openai_usage_to_anthropic(openai_usage)
    assert anthropic == {
        "input_tokens": 40,
        "output_tokens": 9,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 60,
    }
    assert anthropic_usage_to_openai(anthropic) == openai_usage


def test_usage_cache_writes_stay_in_prompt_tokens() -> None:
    out = anthropic_usage_to_openai(
        {
            "input_tokens": 4,
            "output_tokens": 1,
            "cache_creation_input_tokens": 10,
            "cache_read_input_tokens": None,
        }
    )
    assert out["prompt_tokens"] == 14
    assert out["total_tokens"] == 15
    assert out["prompt_tokens_details"] == {"cached_tokens": 0}


def test_usage_tolerates_missing_and_inconsistent_counts() -> None:
    assert (
        openai_usage_to_anthropic(
            {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 9}}
        )["input_tokens"]
        == 0
    )
    assert openai_usage_to_anthropic({"prompt_tokens_details": None}) == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


# ---------------------------------------------------------------------------- errors (ERR-1/2/3)


@pytest.mark.parametrize(
    ("status", "anthropic_type"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
    ],
)
def test_openai_errors_keep_status_for_anthropic_clients(status: int, anthropic_type: str) -> None:
    body = {"error": {"message": "boom", "type": "x", "param": None, "code": None}}
    assert openai_error_to_anthropic(status, body) == (
        status,
        {"type": "error", "error": {"type": anthropic_type, "message": "boom"}},
    )


def test_openai_overload_becomes_529_and_quota_becomes_billing() -> None:
    assert openai_error_to_anthropic(503, {"error": {"message": "Slow Down"}})[0] == 529
    assert openai_error_to_anthropic(503, {})[1]["error"]["type"] == "overloaded_error"
    _, body = openai_error_to_anthropic(
        429, {"error": {"message": "quota", "code": "insufficient_quota"}}
    )
    assert body["error"]["type"] == "billing_error"


@pytest.mark.parametrize(
    ("status", "anthropic_type", "out_status", "openai_type", "code"),
    [
        (400, "invalid_request_error", 400, "invalid_request_error", None),
        (401, "authentication_error", 401, "invalid_request_error", "invalid_api_key"),
        (403, "permission_error", 403, "permission_error", None),
        (404, "not_found_error", 404, "invalid_request_error", "model_not_found"),
        (413, "request_too_large", 413, "invalid_request_error", "request_too_large"),
        (429, "rate_limit_error", 429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "api_error", 500, "server_error", None),
        (529, "overloaded_error", 503, "service_unavailable_error", "server_is_overloaded"),
    ],
)
def test_anthropic_errors_for_openai_clients(
    status: int, anthropic_type: str, out_status: int, openai_type: str, code: str | None
) -> None:
    body = {
        "type": "error",
        "error": {"type": anthropic_type, "message": "m"},
        "request_id": "req_1",
    }
    assert anthropic_error_to_openai(status, body) == (
        out_status,
        {"error": {"message": "m", "type": openai_type, "param": None, "code": code}},
    )


def test_anthropic_context_overflow_keeps_openai_code() -> None:
    # ERR-9: OpenAI clients spot a window overflow by code context_length_exceeded
    message = "prompt is too long: 208310 tokens > 200000 maximum"
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    assert anthropic_error_to_openai(400, body) == (
        400,
        {"error": {"message": message, "type": "invalid_request_error", "param": "messages",
                   "code": "context_length_exceeded"}},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"object": "error", "message": "flat vllm", "code": 400}, "flat vllm"),
        ({"error": "unauthorized"}, "unauthorized"),
        (b"plain words", "plain words"),
        ("<html><body>502 Bad Gateway</body></html>", "upstream returned HTTP 400"),
        (None, "upstream returned HTTP 400"),
    ],
)
def test_non_envelope_bodies_give_a_readable_message(body: object, message: str) -> None:
    assert openai_error_to_anthropic(400, body)[1]["error"]["message"] == message
    assert anthropic_error_to_openai(400, body)[1]["error"]["message"] == message
