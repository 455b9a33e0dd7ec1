"""Stream translators fed realistic event sequences: grammar (STR-O*, STR-A*) and reassembly.

Each output is validated with the official SDKs' own types and accumulators, and the
reassembled stream must equal the non-stream translation of the same reply.
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from gatecheck.protocols.translate import (
    CUT_STREAM_MESSAGE,
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    anthropic_to_openai_response,
    openai_to_anthropic_response,
)

RAW_EVENT = TypeAdapter(RawMessageStreamEvent)


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# ----------------------------------------------------------------- Anthropic upstream -> OpenAI

ARGS_1 = '{"city": "Paris", "unit": "celsius"}'
ARGS_2 = '{"city": "Rome"}'

FINAL_MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-up",
    "content": [
        {"type": "text", "text": "Let me check both."},
        {
            "type": "tool_use",
            "id": "toolu_a",
            "name": "get_weather",
            "input": {"city": "Paris", "unit": "celsius"},
        },
        {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Rome"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 20,
        "output_tokens": 31,
        "cache_read_input_tokens": 8,
        "cache_creation_input_tokens": 0,
    },
}


def anthropic_events() -> list[tuple[str, dict[str, Any]]]:
    """A real-shaped Anthropic stream for FINAL_MESSAGE, tool input split into many fragments."""
    start = {
        **FINAL_MESSAGE,
        "content": [],
        "stop_reason": None,
        "usage": {**FINAL_MESSAGE["usage"], "output_tokens": 1},
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    events.append(
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
    )
    events.append(("ping", {"type": "ping"}))
    for piece in pieces("Let me check both.", 4):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    for index, (tool_id, args) in enumerate([("toolu_a", ARGS_1), ("toolu_b", ARGS_2)], start=1):
        block = {"type": "tool_use", "id": tool_id, "name": "get_weather", "input": {}}
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": ""},
                },
            )
        )
        for piece in pieces(args, 3):
            delta = {"type": "input_json_delta", "partial_json": piece}
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 31},
    }
    events.append(("message_delta", delta))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def run_a2o(
    events: list[tuple[str, dict[str, Any]]], *, include_usage: bool = True
) -> list[dict[str, Any]]:
    stream = AnthropicToOpenAIStream(
        model="alias", include_usage=include_usage, completion_id="chatcmpl-01", created=1700000000
    )
    chunks: list[dict[str, Any]] = []
    for event, data in events:
        chunks.extend(stream.feed(event, data))
    chunks.extend(stream.finish(complete=True))
    assert stream.finish(complete=True) == []  # idempotent
    return chunks


def assert_openai_grammar(chunks: list[dict[str, Any]], *, include_usage: bool) -> None:
    """STR-O1/O4/O5/O7/O8 on a list of chunk objects (no error chunks)."""
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
        assert (chunk["id"], chunk["created"], chunk["model"]) == (
            "chatcmpl-01",
            1700000000,
            "alias",
        )
        assert chunk["object"] == "chat.completion.chunk"
        assert ("usage" in chunk) is include_usage
    body = [c for c in chunks if c["choices"]]
    assert body[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all("role" not in c["choices"][0]["delta"] for c in body[1:])
    reasons = [c["choices"][0]["finish_reason"] for c in body]
    assert all("finish_reason" in c["choices"][0] for c in body)
    assert reasons[:-1] == [None] * (len(reasons) - 1)
    assert reasons[-1] is not None
    if include_usage:
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"] is not None
        assert all(c["usage"] is None for c in chunks[:-1])
    else:
        assert len(body) == len(chunks)


def test_anthropic_stream_to_openai_grammar_and_reassembly() -> None:
    chunks = run_a2o(anthropic_events())
    assert_openai_grammar(chunks, include_usage=True)
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    streamed = state.get_final_completion().model_dump(exclude_none=True)
    expected = anthropic_to_openai_response(FINAL_MESSAGE, model="alias", created=1700000000)
    assert (
        streamed["choices"][0]["message"]["content"] == expected["choices"][0]["message"]["content"]
    )
    calls = [
        {
            "id": c["id"],
            "type": c["type"],
            "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]},
        }
        for c in streamed["choices"][0]["message"]["tool_calls"]
    ]
    assert [c["function"]["arguments"] for c in calls] == [
        ARGS_1,
        ARGS_2,
    ]  # fragments kept verbatim
    assert [c["id"] for c in calls] == [
        c["id"] for c in expected["choices"][0]["message"]["tool_calls"]
    ]
    assert streamed["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"] == expected["usage"]  # TOK-3: stream and non-stream agree


def test_tool_call_chunks_carry_id_name_first_then_arguments_only() -> None:
    """STR-O6: the first fragment per index has id/type/name, later ones index + arguments."""
    chunks = run_a2o(anthropic_events())
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    firsts = [c for c in calls if "id" in c]
    assert [(c["index"], c["id"], c["type"], c["function"]) for c in firsts] == [
        (0, "toolu_a", "function", {"name": "get_weather", "arguments": ""}),
        (1, "toolu_b", "function", {"name": "get_weather", "arguments": ""}),
    ]
    assert all(
        set(c) == {"index", "function"} and set(c["function"]) == {"arguments"}
        for c in calls
        if "id" not in c
    )


def test_without_include_usage_no_usage_key_and_no_empty_choices() -> None:
    chunks = run_a2o(anthropic_events(), include_usage=False)
    assert_openai_grammar(chunks, include_usage=False)


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("max_tokens", "length"), ("stop_sequence", "stop")],
)
def test_text_stream_finish_reasons(stop_reason: str, finish: str) -> None:
    events = [
        e
        for e in anthropic_events()
        if e[1].get("index") == 0 or e[0] in ("message_start", "message_stop", "ping")
    ]
    events.insert(
        -1,
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 5},
            },
        ),
    )
    chunks = run_a2o(events)
    assert_openai_grammar(chunks, include_usage=True)
    assert chunks[-2]["choices"][0]["finish_reason"] == finish
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "Let me check both."
    )


def test_mid_stream_anthropic_error_becomes_one_openai_error_chunk() -> None:
    """STR-O10: no fake finish; the error object is the last thing sent."""
    events = anthropic_events()[:5]
    events.append(
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    )
    events.append(
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "late"},
            },
        )
    )
    chunks = run_a2o(events)
    assert chunks[-1] == {
        "error": {
            "message": "Overloaded",
            "type": "service_unavailable_error",
            "param": None,
            "code": "server_is_overloaded",
        }
    }
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_truncated_anthropic_stream_ends_in_an_error_not_a_success() -> None:
    chunks = run_a2o(anthropic_events()[:6])
    assert "error" in chunks[-1]
    assert all("error" not in c and c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_duplicate_message_delta_gives_one_finish_and_max_usage() -> None:
    events = anthropic_events()
    events.insert(
        -1,
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": 40},
            },
        ),
    )
    chunks = run_a2o(events)
    assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]) == 1
    assert chunks[-1]["usage"]["completion_tokens"] == 40


# ----------------------------------------------------------------- OpenAI upstream -> Anthropic


def oai_chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-9",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "up",
    }
    chunk["choices"] = (
        []
        if delta is None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, **extra}]
    )
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def openai_chunks(*, continuous: bool = True) -> list[dict[str, Any]]:
    """A vLLM-shaped stream: role frame, empty content, text, two tools in fragments, usage."""

    def usage(completion: int) -> dict[str, Any] | None:
        return (
            {
                "prompt_tokens": 28,
                "completion_tokens": completion,
                "total_tokens": 28 + completion,
                "prompt_tokens_details": {"cached_tokens": 8},
            }
            if continuous
            else None
        )

    out = [
        oai_chunk({"role": "assistant", "content": ""}, usage=usage(0)),
        oai_chunk({"content": ""}, usage=usage(0)),
    ]
    out += [
        oai_chunk({"content": p}, usage=usage(n))
        for n, p in enumerate(pieces("Let me check both.", 5), 1)
    ]
    for index, (tool_id, args) in enumerate([("toolu_a", ARGS_1), ("toolu_b", ARGS_2)]):
        first = {
            "index": index,
            "id": tool_id,
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        }
        out.append(oai_chunk({"tool_calls": [first]}, usage=usage(10)))
        out += [
            oai_chunk(
                {"tool_calls": [{"index": index, "function": {"arguments": p}}]}, usage=usage(20)
            )
            for p in pieces(args, 2)
        ]
    out.append(oai_chunk({}, "tool_calls", usage=usage(31)))
    out.append(
        oai_chunk(
            None,
            usage={
                "prompt_tokens": 28,
                "completion_tokens": 31,
                "total_tokens": 59,
                "prompt_tokens_details": {"cached_tokens": 8},
            },
        )
    )
    return out


FINAL_COMPLETION = {
    "id": "chatcmpl-9",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Let me check both.",
                "tool_calls": [
                    {
                        "id": "toolu_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ARGS_1},
                    },
                    {
                        "id": "toolu_b",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ARGS_2},
                    },
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 28,
        "completion_tokens": 31,
        "total_tokens": 59,
        "prompt_tokens_details": {"cached_tokens": 8},
    },
}


def run_o2a(chunks: list[dict[str, Any]], **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    stream = OpenAIToAnthropicStream(model="alias", message_id="msg_9", **kwargs)
    events: list[tuple[str, dict[str, Any]]] = []
    for chunk in chunks:
        events.extend(stream.feed(chunk))
    events.extend(stream.finish(complete=True))
    assert stream.finish(complete=True) == []
    return events


def assert_anthropic_grammar(events: list[tuple[str, dict[str, Any]]]) -> None:
    """STR-A1/A2/A4: names match types, order, contiguous indices, delta types match blocks."""
    for name, data in events:
        if name != "ping":  # not in the SDK's RawMessageStreamEvent union; the SDK skips it
            RAW_EVENT.validate_python(data)
        assert data["type"] == name
    names = [n for n, _ in events if n != "ping"]
    assert names[0] == "message_start"
    assert names.count("message_start") == 1
    assert names[-1] == "message_stop"
    assert names.count("message_stop") == 1
    assert names[-2] == "message_delta"
    open_index: int | None = None
    kinds: dict[int, str] = {}
    for name, data in events:
        if name == "content_block_start":
            assert open_index is None
            assert data["index"] == len(kinds)
            open_index = data["index"]
            kinds[data["index"]] = data["content_block"]["type"]
        elif name == "content_block_delta":
            assert data["index"] == open_index
            expected = {"text": "text_delta", "tool_use": "input_json_delta"}[kinds[data["index"]]]
            assert data["delta"]["type"] == expected
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
        elif name in ("message_delta", "message_stop"):
            assert open_index is None
    assert [n for n, _ in events].count("ping") == 1


def accumulate(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    snapshot = None
    bufs: dict[int, bytes] = {}
    for name, data in events:
        if name != "ping":
            snapshot = accumulate_event(
                event=RAW_EVENT.validate_python(data), current_snapshot=snapshot, json_bufs=bufs
            )
    assert snapshot is not None
    return snapshot.model_dump(exclude_none=True)


def test_openai_stream_to_anthropic_grammar_and_reassembly() -> None:
    events = run_o2a(openai_chunks())
    assert_anthropic_grammar(events)
    message = accumulate(events)
    expected = openai_to_anthropic_response(FINAL_COMPLETION, model="alias")
    assert message["content"] == expected["content"]
    assert (message["stop_reason"], message.get("stop_sequence")) == (
        expected["stop_reason"],
        expected["stop_sequence"],
    )
    assert message["usage"] == expected["usage"]  # TOK-4/TOK-5 over the whole stream
    assert events[0][1]["message"]["usage"]["input_tokens"] == 20  # STR-A3: the real count, at once


def test_upstream_without_continuous_usage_still_reports_exact_usage_at_the_end() -> None:
    events = run_o2a(openai_chunks(continuous=False))
    assert_anthropic_grammar(events)
    assert events[0][1]["message"]["usage"]["input_tokens"] == 0  # documented limitation
    delta_usage = next(d for n, d in events if n == "message_delta")["usage"]
    assert delta_usage == {
        "input_tokens": 20,
        "output_tokens": 31,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 8,
    }
    assert accumulate(events)["usage"]["input_tokens"] == 20


def test_message_delta_waits_for_the_end_marker() -> None:
    chunks = openai_chunks(continuous=False)
    stream = OpenAIToAnthropicStream(model="alias", message_id="msg_9")
    names = [name for chunk in chunks[:-1] for name, _ in stream.feed(chunk)]
    assert "message_delta" not in names
    assert names[-1] == "content_block_stop"
    assert stream.feed(chunks[-1]) == []  # the usage chunk is not the end; [DONE] is
    assert [name for name, _ in stream.finish(complete=True)] == ["message_delta", "message_stop"]
    assert stream.finish(complete=True) == []


def test_openai_stream_cut_after_finish_reason_and_usage_is_an_error() -> None:
    """STR-A7: finish_reason and usage came, then the connection closed without [DONE]."""
    stream = OpenAIToAnthropicStream(model="alias", message_id="msg_9")
    events = [e for chunk in openai_chunks(continuous=False) for e in stream.feed(chunk)]
    events.extend(stream.finish(complete=False))
    assert events[-1] == (
        "error",
        {
            "type": "error",
            "error": {"type": "api_error", "message": CUT_STREAM_MESSAGE},
        },
    )
    assert "message_stop" not in [n for n, _ in events]
    assert "message_delta" not in [n for n, _ in events]


def test_anthropic_stream_cut_after_stop_reason_is_an_error() -> None:
    """STR-O10: message_delta with its stop reason came, then a close without message_stop."""
    stream = AnthropicToOpenAIStream(
        model="alias", include_usage=True, completion_id="chatcmpl-01", created=1
    )
    events = anthropic_events()
    assert events[-1][0] == "message_stop"
    chunks = [c for event, data in events[:-1] for c in stream.feed(event, data)]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    tail = stream.finish(complete=False)
    assert tail == [
        {
            "error": {
                "message": CUT_STREAM_MESSAGE,
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
    ]
    assert stream.finish(complete=True) == []


def test_anthropic_stream_finish_complete_needs_message_stop() -> None:
    stream = AnthropicToOpenAIStream(
        model="alias", include_usage=False, completion_id="chatcmpl-01", created=1
    )
    for event, data in anthropic_events()[:-1]:
        stream.feed(event, data)
    assert "error" in stream.finish(complete=True)[-1]


def test_no_usage_at_all_ends_with_output_tokens_zero() -> None:
    events = run_o2a(
        [oai_chunk({"role": "assistant"}), oai_chunk({"content": "hi"}), oai_chunk({}, "stop")]
    )
    assert_anthropic_grammar(events)
    assert events[-2][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 0},
    }


@pytest.mark.parametrize(
    ("finish", "extra", "kwargs", "expected"),
    [
        ("length", {}, {}, ("max_tokens", None)),
        ("stop", {"stop_reason": "END"}, {"stop_sequences": ["END"]}, ("stop_sequence", "END")),
        ("stop", {}, {"stop_sequences": ["th."]}, ("stop_sequence", "th.")),
        ("stop", {"stop_reason": None}, {"stop_sequences": ["END"]}, ("end_turn", None)),
        ("content_filter", {}, {}, ("refusal", None)),
    ],
)
def test_stream_stop_reasons(
    finish: str, extra: dict[str, Any], kwargs: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    chunks = [
        oai_chunk({"role": "assistant", "content": ""}),
        *(oai_chunk({"content": p}) for p in pieces("one two th.", 2)),
    ]
    chunks.append(oai_chunk({}, finish, **extra))
    events = run_o2a(chunks, **kwargs)
    assert_anthropic_grammar(events)
    delta = events[-2][1]["delta"]
    assert (delta["stop_reason"], delta["stop_sequence"]) == expected


def test_interleaved_content_and_tool_calls_keep_the_grammar() -> None:
    """Text arriving while a tool block is open is held until that block ends."""
    first = {
        "index": 0,
        "id": "t0",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a"'},
    }
    chunks = [
        oai_chunk({"role": "assistant", "content": None}),
        oai_chunk({"content": "before "}),
        oai_chunk({"tool_calls": [first]}),
        oai_chunk({"content": "during "}),
        oai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
        oai_chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "g", "arguments": "{}"},
                    }
                ]
            }
        ),
        oai_chunk({"content": "after"}),
        oai_chunk({}, "tool_calls"),
    ]
    events = run_o2a(chunks)
    assert_anthropic_grammar(events)
    message = accumulate(events)
    assert message["content"] == [
        {"type": "text", "text": "before "},
        {"type": "tool_use", "id": "t0", "name": "f", "input": {"a": 1}},
        {"type": "text", "text": "during "},
        {"type": "tool_use", "id": "t1", "name": "g", "input": {}},
        {"type": "text", "text": "after"},
    ]
    assert message["stop_reason"] == "tool_use"


def test_tool_call_finished_with_stop_and_missing_id() -> None:
    """Ollama-style whole tool call in one chunk, vLLM-style missing id, finish 'stop' (W-4)."""
    call = {"index": 0, "type": "function", "function": {"name": "now", "arguments": "{}"}}
    events = run_o2a(
        [oai_chunk({"role": "assistant", "tool_calls": [call]}), oai_chunk({}, "stop")]
    )
    assert_anthropic_grammar(events)
    message = accumulate(events)
    assert message["content"] == [
        {"type": "tool_use", "id": "toolu_msg_9_0", "name": "now", "input": {}}
    ]
    assert message["stop_reason"] == "tool_use"


def test_late_arguments_for_a_finished_tool_block_end_in_an_error_event() -> None:
    chunks = [
        oai_chunk(
            {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{"}}]}
        ),
        oai_chunk(
            {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}
        ),
        oai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        oai_chunk({}, "tool_calls"),
    ]
    events = run_o2a(chunks)
    assert events[-1] == (
        "error",
        {
            "type": "error",
            "error": {
                "type": "api_error",
                "message": "upstream sent arguments for a tool call after another one had begun",
            },
        },
    )
    assert [n for n, _ in events].count("error") == 1


def test_openai_error_chunk_becomes_an_error_event() -> None:
    """STR-A7; OpenRouter puts the HTTP status in `code`."""
    chunks = [
        oai_chunk({"role": "assistant", "content": "Hel"}),
        {"error": {"message": "Rate limited", "code": 429}},
        oai_chunk({"content": "lo"}),
    ]
    events = run_o2a(chunks)
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}},
    )
    assert "message_stop" not in [n for n, _ in events]


@pytest.mark.parametrize(
    "chunks", [[], [oai_chunk({"role": "assistant"}), oai_chunk({"content": "cut"})]]
)
def test_stream_that_ends_early_is_an_error_not_a_success(chunks: list[dict[str, Any]]) -> None:
    events = run_o2a(chunks)
    assert events[-1][0] == "error"
    assert "message_stop" not in [n for n, _ in events]


@pytest.mark.parametrize(
    "bad",
    [
        ["not", "a", "chunk"],
        {"choices": ["not a choice"]},
        {
            "choices": [
                {"index": 0, "delta": {"tool_calls": [{"index": None, "function": {"name": "f"}}]}}
            ]
        },
    ],
)
def test_malformed_openai_chunk_fails_the_stream_honestly(bad: Any) -> None:
    events = run_o2a(
        [oai_chunk({"role": "assistant", "content": "hi"}), bad, oai_chunk({}, "stop")]
    )
    assert events[-1] == (
        "error",
        {
            "type": "error",
            "error": {"type": "api_error", "message": "upstream sent a malformed chunk"},
        },
    )


@pytest.mark.parametrize(
    ("event", "data"),
    [
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": None,
                "content_block": {"type": "tool_use", "id": "t", "name": "f"},
            },
        ),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": "text"}),
        ("message_delta", []),
    ],
)
def test_malformed_anthropic_event_fails_the_stream_honestly(event: str, data: Any) -> None:
    chunks = run_a2o([*anthropic_events()[:3], (event, data), *anthropic_events()[3:]])
    assert chunks[-1] == {
        "error": {
            "message": "upstream sent a malformed event",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
