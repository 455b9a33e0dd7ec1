"""The stream misbehaviours of `gatecheck.mock.misbehave`: SSE events rewritten one by one."""

from __future__ import annotations

from typing import Any

import orjson

from gatecheck.mock import _misbehaviours_wire as wire
from gatecheck.mock._misbehaviours import Exchange

__all__ = ["rewrite_event", "stream_end"]


def rewrite_event(ex: Exchange, block: str) -> str:
    """One SSE event block (without its blank line) -> the text to send instead ("" drops)."""
    lines = block.split("\n")
    name = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), None)
    data = "\n".join(
        ln[5:].lstrip(" ") if ln.startswith("data:") else ""
        for ln in lines
        if ln.startswith("data:")
    )
    if not data:
        return block + "\n\n"  # a comment or keep-alive: untouched
    ex.events += 1
    if wire.wire(ex) == "responses":
        return wire.rewrite_responses(ex, name, data)
    if ex.surface == "anthropic":
        return _anthropic(ex, name, data)
    return _openai(ex, data)


def _emit(data: Any, name: str | None = None, extra: str = "") -> str:
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    head = f"event: {name}\n" if name else ""
    return f"{extra}{head}data: {text}\n\n"


def _openai(ex: Exchange, data: str) -> str:
    prefix = "data: : keep-alive\n\n" if ex.on("comment-as-data") and ex.events == 2 else ""
    extra = (f"id: {ex.events}\n" if ex.on("sse-ids") else "") + (
        "event: completion\n" if ex.on("event-names") else ""
    )
    if data.strip() == "[DONE]":
        return prefix if ex.on("no-done") else prefix + extra + "data: [DONE]\n\n"
    chunk = orjson.loads(data)
    if isinstance(chunk, dict) and chunk.get("error") and ex.on("fake-stop-on-error"):
        stop = {
            **ex.last_chunk,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}],
        }
        return prefix + _emit(stop) + "data: [DONE]\n\n"
    if not isinstance(chunk, dict):
        return prefix + extra + f"data: {data}\n\n"
    ex.last_chunk = {k: chunk.get(k) for k in ("id", "object", "created", "model")}
    if ex.on("no-usage-chunk") and chunk.get("usage") and chunk.get("choices") == []:
        return prefix
    request = ex.request if isinstance(ex.request, dict) else {}
    wants_usage = (request.get("stream_options") or {}).get("include_usage")
    if ex.on("usage-always") and not wants_usage and ex.events == 1:
        chunk["usage"] = {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        if ex.on("no-finish-reason-key") and choice.get("finish_reason") is None:
            choice.pop("finish_reason", None)
        if ex.on("empty-finish-reason") and choice.get("finish_reason"):
            choice["finish_reason"] = ""
        if ex.on("no-role"):
            delta.pop("role", None)
        for call in delta.get("tool_calls") or [] if ex.on("tool-id-missing") else []:
            call.pop("id", None)
    return prefix + _emit(chunk, extra=extra)


def _anthropic(ex: Exchange, name: str | None, data: str) -> str:
    event = orjson.loads(data)
    kind = event.get("type") if isinstance(event, dict) else None
    thinking = wire.rewrite_anthropic(ex, kind, event, name) if kind else None
    if thinking is not None:
        return thinking
    if kind == "error" and ex.on("fake-stop-on-error"):
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 1},
        }
        return _emit(delta, "message_delta") + _emit({"type": "message_stop"}, "message_stop")
    if kind == "message_start" and ex.on("zero-input-tokens"):
        event["message"]["usage"]["input_tokens"] = 0
    if (
        kind == "content_block_delta"
        and ex.on("thinking-in-text")
        and event["delta"].get("type") == "text_delta"
    ):
        event["delta"] = {"type": "thinking_delta", "thinking": event["delta"].get("text", "")}
    if kind == "content_block_delta" and ex.on("partial-json-broken") \
            and event["delta"].get("type") == "input_json_delta":
        event["delta"]["partial_json"] = event["delta"].get("partial_json", "") + "}"
    if kind == "message_delta" and ex.on("stop-reason-error"):
        event["delta"]["stop_reason"] = "error"
    out = _emit(event, None if ex.on("data-only") else name)
    if kind == "message_start" and ex.on("unknown-event"):
        # A type from a future API version: clients must skip it (STR-A8 reports it).
        out += _emit({"type": "gatecheck_future_event"}, "gatecheck_future_event")
    if ex.on("block-before-start"):
        if kind == "message_start":
            ex.held = out
            return ""
        if kind == "content_block_start" and ex.held:
            out, ex.held = out + ex.held, ""
    return out


def stream_end(ex: Exchange) -> str:
    """Text added when a stream ends."""
    tail = ex.held
    if ex.on("anthropic-done") and ex.surface == "anthropic":
        tail += "data: [DONE]\n\n"
    return tail
