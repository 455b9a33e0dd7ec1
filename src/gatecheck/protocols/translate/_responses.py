"""Response translation: stop reasons, usage (TOK-4) and whole non-stream bodies, both ways.

Stop reasons (W-3/W-6): ``stop`` <-> ``end_turn``, ``length`` <-> ``max_tokens``, ``tool_calls``
<-> ``tool_use``, and an OpenAI ``stop`` caused by a stop sequence -> ``stop_sequence``. OpenAI's
response does not say *which* sequence matched, so :func:`anthropic_stop` reports
``stop_sequence`` only on evidence: vLLM's ``choices[].stop_reason`` extension (the matched
string), or text that ends with one of the request's sequences (servers that keep the
sequence in the output). Without evidence it reports ``end_turn`` rather than invent a match.
``content_filter`` <-> ``refusal``; Anthropic's ``pause_turn`` has no OpenAI twin and becomes
``stop``, ``model_context_window_exceeded`` becomes ``length``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from gatecheck.protocols.translate._common import (
    TranslationError,
    anthropic_message_id,
    dumps,
    loads_object,
    openai_completion_id,
)

__all__ = [
    "ANTHROPIC_TO_OPENAI_STOP",
    "OPENAI_TO_ANTHROPIC_STOP",
    "anthropic_stop",
    "anthropic_to_openai_response",
    "anthropic_usage_to_openai",
    "openai_to_anthropic_response",
    "openai_usage_to_anthropic",
]

OPENAI_TO_ANTHROPIC_STOP: Mapping[str, str] = MappingProxyType(
    {
        "stop": "end_turn",  # or stop_sequence, on evidence: see anthropic_stop()
        "length": "max_tokens",
        "tool_calls": "tool_use",
        "function_call": "tool_use",
        "content_filter": "refusal",
    }
)

ANTHROPIC_TO_OPENAI_STOP: Mapping[str, str] = MappingProxyType(
    {
        "end_turn": "stop",
        "stop_sequence": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "refusal": "content_filter",
        "pause_turn": "stop",
        "model_context_window_exceeded": "length",
    }
)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def openai_usage_to_anthropic(usage: Mapping[str, Any]) -> dict[str, int]:
    """OpenAI usage -> Anthropic usage. ``input_tokens`` excludes cache reads (TOK-4)."""
    prompt = _count(usage.get("prompt_tokens"))
    details = usage.get("prompt_tokens_details")
    cached = (
        min(_count(details.get("cached_tokens")), prompt) if isinstance(details, Mapping) else 0
    )
    return {
        "input_tokens": prompt - cached,
        "output_tokens": _count(usage.get("completion_tokens")),
        "cache_creation_input_tokens": 0,  # OpenAI has no cache-write count
        "cache_read_input_tokens": cached,
    }


def anthropic_usage_to_openai(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage -> OpenAI usage: cache reads and writes are added back (TOK-4).

    Cache writes have no OpenAI field; they stay inside ``prompt_tokens`` so totals agree.
    """
    cache_read = _count(usage.get("cache_read_input_tokens"))
    prompt = (
        _count(usage.get("input_tokens"))
        + cache_read
        + _count(usage.get("cache_creation_input_tokens"))
    )
    completion = _count(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cache_read},
    }


def anthropic_stop(
    finish_reason: str | None,
    *,
    matched: Any = None,
    text: str = "",
    stop_sequences: Iterable[str] | None = None,
    has_tool_calls: bool = False,
) -> tuple[str, str | None]:
    """``(stop_reason, stop_sequence)`` for an OpenAI ``finish_reason`` (see module docstring).

    ``matched`` is vLLM's ``stop_reason`` (a string when a stop string matched, an int token id
    or null otherwise); ``text`` the generated text (only its end is looked at).
    """
    if finish_reason in ("stop", None) and has_tool_calls:
        return "tool_use", None  # some servers finish tool calls with "stop" (W-4)
    if finish_reason == "stop":
        if isinstance(matched, str) and matched:
            return "stop_sequence", matched
        for sequence in stop_sequences or ():
            if sequence and text.endswith(sequence):
                return "stop_sequence", sequence
    return OPENAI_TO_ANTHROPIC_STOP.get(finish_reason or "stop", "end_turn"), None


def anthropic_to_openai_response(
    message: dict[str, Any], *, model: str, created: int | None = None
) -> dict[str, Any]:
    """Translate a Messages response into a ``chat.completion`` (``created`` defaults to now)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            function = {"name": block.get("name"), "arguments": dumps(block.get("input") or {})}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        # thinking and server-tool blocks have no Chat Completions field: dropped
    reply: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not calls else None,
        "refusal": None,
    }
    if calls:
        reply["tool_calls"] = calls
    stop_reason = message.get("stop_reason") or "end_turn"
    return {
        "id": openai_completion_id(str(message.get("id", ""))),
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": reply,
                "logprobs": None,
                "finish_reason": ANTHROPIC_TO_OPENAI_STOP.get(stop_reason, "stop"),
            }
        ],
        "usage": anthropic_usage_to_openai(message.get("usage") or {}),
    }


def openai_to_anthropic_response(
    completion: dict[str, Any], *, model: str, stop_sequences: Iterable[str] | None = None
) -> dict[str, Any]:
    """Translate a ``chat.completion`` into a Messages response.

    ``stop_sequences`` is the request's list, used only to recognise a stop-sequence stop.
    A refusal becomes text with ``stop_reason: "refusal"``.
    """
    choices = completion.get("choices")
    if not choices:
        raise TranslationError("upstream completion has no choices")
    choice = choices[0]
    reply = choice.get("message") or {}
    content = reply.get("content")
    if isinstance(content, list):
        content = "".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    text = (content or "") + (reply.get("refusal") or "")
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for j, call in enumerate(reply.get("tool_calls") or ()):
        function = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": loads_object(function.get("arguments"), what=f"tool_calls[{j}] arguments"),
            }
        )
    stop_reason, stop_sequence = anthropic_stop(
        choice.get("finish_reason"),
        matched=choice.get("stop_reason"),
        text=text,
        stop_sequences=stop_sequences,
        has_tool_calls=len(blocks) > (1 if text else 0),
    )
    if reply.get("refusal"):
        stop_reason, stop_sequence = "refusal", None
    return {
        "id": anthropic_message_id(str(completion.get("id", ""))),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": openai_usage_to_anthropic(completion.get("usage") or {}),
    }
