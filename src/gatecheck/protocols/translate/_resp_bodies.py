"""Response translation: Chat Completions and Anthropic Messages answers -> a Responses body.

Output items, in the upstream's order: reasoning first (Chat ``reasoning_content``; each
Anthropic ``thinking`` block, its ``signature`` kept as the item's ``encrypted_content`` and
a ``redacted_thinking`` block's ``data`` as ``"redacted_thinking:" + data``, so either goes
back upstream unchanged in a later turn), then the text as a ``message`` item (one per
Anthropic text block), then each tool call as a ``function_call`` item.

Status: ``completed``, or ``incomplete`` with reason ``max_output_tokens`` when the upstream
stopped on its token limit (``length`` / ``max_tokens``) and ``content_filter`` for
``content_filter``. Usage keeps the upstream's counts: ``input_tokens`` is the whole prompt
(Anthropic's cache reads and writes added back, as ``anthropic_usage_to_openai`` does) with
``cached_tokens`` / ``cache_write_tokens`` beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatecheck.protocols import responses as _emit
from gatecheck.protocols.translate._common import TranslationError, dumps
from gatecheck.protocols.translate._resp_requests import REDACTED_PREFIX

__all__ = [
    "anthropic_to_responses_response",
    "anthropic_usage_to_responses",
    "chat_to_responses_response",
    "chat_usage_to_responses",
    "item_id",
]

_INCOMPLETE = {"length": "max_output_tokens", "max_tokens": "max_output_tokens",
               "model_context_window_exceeded": "max_output_tokens",
               "content_filter": "content_filter"}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def item_id(prefix: str, response_id: str, n: int) -> str:
    """A stable id for output item ``n`` of a response (``msg_``, ``fc_``, ``rs_``)."""
    return f"{prefix}_{response_id.removeprefix('resp_')}{n:03d}"


def chat_usage_to_responses(usage: Any) -> dict[str, Any] | None:
    """Chat Completions usage -> ResponseUsage (None when the upstream reported none)."""
    if not isinstance(usage, Mapping):
        return None
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    return _emit.usage(
        _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")),
        cached=_count(prompt.get("cached_tokens")) if isinstance(prompt, Mapping) else 0,
        reasoning=_count(completion.get("reasoning_tokens"))
        if isinstance(completion, Mapping) else 0,
    )


def anthropic_usage_to_responses(usage: Any) -> dict[str, Any] | None:
    """Anthropic usage -> ResponseUsage: cache reads and writes are part of the input."""
    if not isinstance(usage, Mapping):
        return None
    read = _count(usage.get("cache_read_input_tokens"))
    write = _count(usage.get("cache_creation_input_tokens"))
    return _emit.usage(_count(usage.get("input_tokens")) + read + write,
                       _count(usage.get("output_tokens")), cached=read, cache_write=write)


def _message(text: str, ident: str, status: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"id": ident, "type": "message", "status": status, "role": "assistant",
            "content": [part]}


def _reasoning(text: str, opaque: str | None, ident: str) -> dict[str, Any]:
    # one reasoning_text part even when empty (redacted): the stream form has one too
    content = [{"type": "reasoning_text", "text": text}]
    return {"id": ident, "type": "reasoning", "summary": [], "content": content,
            "encrypted_content": opaque, "status": "completed"}


def _call(call_id: Any, name: Any, arguments: str, ident: str) -> dict[str, Any]:
    return {"id": ident, "type": "function_call", "status": "completed",
            "call_id": call_id, "name": name, "arguments": arguments}


def _finish(request: Mapping[str, Any], model: str, response_id: str, created_at: int,
            output: list[dict[str, Any]], reason: Any, usage: Any) -> dict[str, Any]:
    incomplete = _INCOMPLETE.get(str(reason))
    return _emit.response_object(
        id=response_id, created_at=created_at, model=model, echoed=_emit.echo(request),
        status="incomplete" if incomplete else "completed", output=output, usage=usage,
        completed_at=None if incomplete else created_at, incomplete=incomplete)


def chat_to_responses_response(completion: dict[str, Any], *, request: Mapping[str, Any],
                               model: str, response_id: str,
                               created_at: int) -> dict[str, Any]:
    """A Chat Completions answer as the Response the client asked for."""
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise TranslationError("upstream answer has no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    reason = choice.get("finish_reason")
    status = "incomplete" if reason in _INCOMPLETE else "completed"
    output: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        output.append(_reasoning(reasoning, None, item_id("rs", response_id, 0)))
    calls = message.get("tool_calls") or []
    content = message.get("content")
    if (isinstance(content, str) and content) or not calls:
        text = content if isinstance(content, str) else ""
        output.append(_message(text, item_id("msg", response_id, len(output)), status))
    for call in calls:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        output.append(_call(call.get("id"), function.get("name"),
                            arguments if isinstance(arguments, str) else dumps(arguments or {}),
                            item_id("fc", response_id, len(output))))
    return _finish(request, model, response_id, created_at, output, reason,
                   chat_usage_to_responses(completion.get("usage")))


def anthropic_to_responses_response(message: dict[str, Any], *, request: Mapping[str, Any],
                                    model: str, response_id: str,
                                    created_at: int) -> dict[str, Any]:
    """An Anthropic Message as the Response the client asked for."""
    blocks = message.get("content")
    if not isinstance(blocks, list):
        raise TranslationError("upstream message has no content list")
    reason = message.get("stop_reason")
    status = "incomplete" if reason in _INCOMPLETE else "completed"
    output: list[dict[str, Any]] = []
    for block in blocks:
        kind, n = block.get("type"), len(output)
        if kind == "thinking":
            output.append(_reasoning(str(block.get("thinking", "")), block.get("signature"),
                                     item_id("rs", response_id, n)))
        elif kind == "redacted_thinking":
            output.append(_reasoning("", REDACTED_PREFIX + str(block.get("data", "")),
                                     item_id("rs", response_id, n)))
        elif kind == "text":
            output.append(_message(str(block.get("text", "")), item_id("msg", response_id, n),
                                   status))
        elif kind == "tool_use":
            output.append(_call(block.get("id"), block.get("name"), dumps(block.get("input", {})),
                                item_id("fc", response_id, n)))
        # other block types (server tools, citations) have no Responses item here
    if not any(item["type"] in ("message", "function_call") for item in output):
        output.append(_message("", item_id("msg", response_id, len(output)), status))
    return _finish(request, model, response_id, created_at, output, reason,
                   anthropic_usage_to_responses(message.get("usage")))
