"""Request translation OpenAI <-> Anthropic: each mapping, and golden examples (W-8)."""

from __future__ import annotations

import pytest
from anthropic.types import MessageCreateParams
from pydantic import TypeAdapter

from gatecheck.protocols.translate import (
    DEFAULT_MAX_TOKENS,
    TranslationError,
    anthropic_to_openai_request,
    openai_to_anthropic_request,
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}

GOLDEN_OPENAI = {
    "model": "alias",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "25C"}]},
        {"role": "user", "content": "Thanks"},
    ],
    "max_completion_tokens": 64,
    "stop": "###",
    "temperature": 0.5,
    "top_p": 0.9,
    "tools": [WEATHER_TOOL],
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "user": "u-1",
    "stream": True,
    "stream_options": {"include_usage": True},
}

GOLDEN_ANTHROPIC = {
    "model": "claude-x",
    "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
                {
                    "type": "tool_use",
                    "id": "call_2",
                    "name": "get_weather",
                    "input": {"city": "Rome"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "25C"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ],
    "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use tools."}],
    "max_tokens": 64,
    "stop_sequences": ["###"],
    "temperature": 0.5,
    "top_p": 0.9,
    "stream": True,
    "metadata": {"user_id": "u-1"},
    "tools": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
}


def test_golden_openai_to_anthropic() -> None:
    out = openai_to_anthropic_request(GOLDEN_OPENAI, model="claude-x")
    assert out == GOLDEN_ANTHROPIC
    TypeAdapter(MessageCreateParams).validate_python(out)  # the SDK's own request type agrees


def test_golden_anthropic_to_openai() -> None:
    out = anthropic_to_openai_request(GOLDEN_ANTHROPIC, model="gpt-x")
    assert out == {
        "model": "gpt-x",
        "messages": [
            {
                "role": "system",
                "content": [
                    {"type": "text", "text": "Be brief."},
                    {"type": "text", "text": "Use tools."},
                ],
            },
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "25C"},
            {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
        ],
        "max_tokens": 64,
        "stop": ["###"],
        "temperature": 0.5,
        "top_p": 0.9,
        "user": "u-1",
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }


def test_default_max_tokens_and_single_system_string() -> None:
    out = openai_to_anthropic_request(
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}]},
        model="m",
    )
    assert out == {
        "model": "m",
        "system": "S",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": DEFAULT_MAX_TOKENS,
    }


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "max_tokens": 5,
        "max_completion_tokens": 7,
    }
    assert openai_to_anthropic_request(body, model="m")["max_tokens"] == 7


@pytest.mark.parametrize(("sent", "forwarded"), [(2.0, 1.0), (1.5, 1.0), (1, 1), (0.3, 0.3),
                                                   (2.5, 2.5), (-1, -1)])
def test_temperature_is_capped_at_anthropics_maximum(sent: float, forwarded: float) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "temperature": sent}
    assert openai_to_anthropic_request(body, model="m")["temperature"] == forwarded


def test_consecutive_user_messages_merge_into_blocks() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": "b"}]},
        ]
    }
    assert openai_to_anthropic_request(body, model="m")["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_empty_assistant_message_is_dropped_and_neighbours_merge() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "b"},
        ]
    }
    msgs = openai_to_anthropic_request(body, model="m")["messages"]
    assert msgs == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


@pytest.mark.parametrize(
    ("openai_choice", "anthropic_choice"),
    [
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "tool", "name": "get_weather"},
        ),
    ],
)
def test_tool_choice_both_ways(openai_choice: object, anthropic_choice: dict[str, object]) -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": openai_choice,
    }
    out = openai_to_anthropic_request(body, model="m")
    assert out["tool_choice"] == anthropic_choice
    back = anthropic_to_openai_request(out, model="m")
    assert back["tool_choice"] == openai_choice


def test_auto_tool_choice_is_implicit_and_parallel_flag_lands_on_it() -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
    }
    assert "tool_choice" not in openai_to_anthropic_request(body, model="m")
    body["parallel_tool_calls"] = False
    out = openai_to_anthropic_request(body, model="m")
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    back = anthropic_to_openai_request(out, model="m")
    assert back["parallel_tool_calls"] is False
    assert "tool_choice" not in back


def test_tool_without_parameters_gets_an_empty_object_schema() -> None:
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "now"}}],
    }
    assert openai_to_anthropic_request(body, model="m")["tools"] == [
        {"name": "now", "input_schema": {"type": "object", "properties": {}}}
    ]


def test_images_both_ways() -> None:
    parts = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.test/cat.jpg"}},
    ]
    out = openai_to_anthropic_request({"messages": [{"role": "user", "content": parts}]}, model="m")
    assert out["messages"][0]["content"][1:] == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.test/cat.jpg"}},
    ]
    back = anthropic_to_openai_request(out, model="m")
    assert back["messages"] == [{"role": "user", "content": parts}]


def test_stop_list_and_empty_tool_arguments() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "x"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "now", "arguments": ""}}
                ],
            },
            {"role": "tool", "tool_call_id": "c", "content": "noon"},
        ],
        "stop": ["a", "b"],
    }
    out = openai_to_anthropic_request(body, model="m")
    assert out["stop_sequences"] == ["a", "b"]
    assert out["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "c", "name": "now", "input": {}}],
    }
    back = anthropic_to_openai_request(out, model="m")
    assert back["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "now", "arguments": "{}"}}
        ],
    }


def test_non_stream_anthropic_request_has_no_stream_options() -> None:
    out = anthropic_to_openai_request(
        {"messages": [{"role": "user", "content": "x"}], "max_tokens": 3, "top_k": 5}, model="m"
    )
    assert out == {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 3}


def test_thinking_blocks_are_dropped_from_assistant_history() -> None:
    body = {
        "max_tokens": 3,
        "messages": [
            {"role": "user", "content": "x"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": "y"},
                ],
            },
        ],
    }
    assert anthropic_to_openai_request(body, model="m")["messages"][1] == {
        "role": "assistant",
        "content": "y",
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools"),
        ({"tool_choice": "sometimes", "tools": [WEATHER_TOOL]}, "tool_choice"),
        ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role"),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}
                ]
            },
            "messages[0].content",
        ),
    ],
)
def test_unexpressible_openai_requests_raise(body: dict[str, object], param: str) -> None:
    full = {"messages": [{"role": "user", "content": "x"}], **body}
    with pytest.raises(TranslationError) as info:
        openai_to_anthropic_request(full, model="m")
    assert info.value.param == param


def test_invalid_tool_arguments_raise() -> None:
    body = {
        "messages": [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
                ],
            }
        ]
    }
    with pytest.raises(TranslationError, match="not valid JSON"):
        openai_to_anthropic_request(body, model="m")


@pytest.mark.parametrize(
    "message",
    [
        {"role": "user", "content": [{"type": "document", "source": {}}]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t",
                    "content": [{"type": "image", "source": {}}],
                }
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}],
        },
    ],
)
def test_unexpressible_anthropic_requests_raise(message: dict[str, object]) -> None:
    with pytest.raises(TranslationError):
        anthropic_to_openai_request({"max_tokens": 3, "messages": [message]}, model="m")


def test_server_tools_raise() -> None:
    body = {
        "max_tokens": 3,
        "messages": [],
        "tools": [{"type": "web_search_20250305", "name": "web_search"}],
    }
    with pytest.raises(TranslationError, match="server tool"):
        anthropic_to_openai_request(body, model="m")


def test_exported_members() -> None:
    """The names the proxy imports are exported, and __all__ lists only real members."""
    import gatecheck.protocols.translate as translate

    contract = {
        "openai_to_anthropic_request",
        "anthropic_to_openai_request",
        "anthropic_to_openai_response",
        "openai_to_anthropic_response",
        "AnthropicToOpenAIStream",
        "OpenAIToAnthropicStream",
        "OPENAI_TO_ANTHROPIC_STOP",
        "ANTHROPIC_TO_OPENAI_STOP",
        "openai_error_to_anthropic",
        "anthropic_error_to_openai",
        "openai_usage_to_anthropic",
        "anthropic_usage_to_openai",
        "TranslationError",
    }
    assert contract <= set(translate.__all__)
    assert all(
        getattr(translate, name).__module__.startswith("gatecheck.protocols.translate")
        for name in translate.__all__
        if callable(getattr(translate, name))
    )
    assert len(set(translate.__all__)) == len(translate.__all__)


def test_more_than_four_stop_sequences_for_an_openai_upstream_name_stop_sequences() -> None:
    body = {"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    four = anthropic_to_openai_request({**body, "stop_sequences": list("abcd")}, model="m")
    assert four["stop"] == list("abcd")
    with pytest.raises(TranslationError) as info:
        anthropic_to_openai_request({**body, "stop_sequences": list("abcde")}, model="m")
    assert info.value.param == "stop_sequences"
    assert info.value.message.startswith("stop_sequences: at most 4")
    assert "'stop'" not in info.value.message
