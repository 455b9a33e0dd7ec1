"""Canned wire data for the unit tests of the pure check functions (good and bad variants)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from gatecheck import SseEvent


@dataclass
class Canned:
    """A finished response as the check functions see it (no exchange)."""

    status: int
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""

    @classmethod
    def json(cls, status: int, body: Any, **headers: str) -> Canned:
        hdrs = {"content-type": "application/json", **{k.replace("_", "-"): v
                                                       for k, v in headers.items()}}
        return cls(status, httpx.Headers(hdrs), orjson.dumps(body))


def ev(data: Any, event: str | None = None, id: str | None = None) -> SseEvent:
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    return SseEvent(event=event, data=text, id=id, retry=None, t_ns=0)


def oai_chunk(delta: dict[str, Any] | None = None, finish: str | None = None,
              **extra: Any) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1694268190,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }
    chunk.update(extra)
    return chunk


def oai_chunks(include_usage: bool = False) -> list[dict[str, Any]]:
    chunks = [oai_chunk({"role": "assistant", "content": ""}), oai_chunk({"content": "Hel"}),
              oai_chunk({"content": "lo"}), oai_chunk({}, "stop")]
    if include_usage:
        chunks.append(oai_chunk(choices=[], usage={"prompt_tokens": 9, "completion_tokens": 2,
                                                   "total_tokens": 11}))
    return chunks


def oai_events(chunks: list[dict[str, Any]], done: bool = True) -> list[SseEvent]:
    events = [ev(c) for c in chunks]
    return [*events, ev("[DONE]")] if done else events


def oai_tool_chunks() -> list[dict[str, Any]]:
    return [
        oai_chunk({"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": ""}}]}),
        oai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        oai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        oai_chunk({}, "tool_calls"),
    ]


def completion(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1694268190,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello",
                                             "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    body.update(overrides)
    return body


def ant_events(*, tool: bool = False, usage_in: int = 25) -> list[SseEvent]:
    items: list[dict[str, Any]] = [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "claude-3-5-haiku-latest", "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
    ]
    stop = "end_turn"
    if tool:
        stop = "tool_use"
        items += [
            {"type": "content_block_start", "index": 1, "content_block": {
                "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
            {"type": "content_block_delta", "index": 1,
             "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'}},
            {"type": "content_block_delta", "index": 1,
             "delta": {"type": "input_json_delta", "partial_json": 'ris"}'}},
            {"type": "content_block_stop", "index": 1},
        ]
    items += [
        {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
         "usage": {"output_tokens": 15}},
        {"type": "message_stop"},
    ]
    return [ev(i, event=i["type"]) for i in items]


def message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": "Hi"}], "model": "claude-3-5-haiku-latest",
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 15},
    }
    body.update(overrides)
    return body


def mutate(value: Any) -> Any:
    return copy.deepcopy(value)
