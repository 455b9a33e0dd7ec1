"""Request translation: OpenAI Chat Completions bodies <-> Anthropic Messages bodies.

What each direction does with fields the other format lacks (the proxy relies on this list):

* OpenAI ``system``/``developer`` messages are hoisted, in order, into Anthropic's top-level
  ``system`` (a string for one piece of text, text blocks for several); Anthropic has no
  mid-conversation system turn. ``name`` on messages is dropped (Anthropic has none).
* Consecutive messages of one role are merged (Anthropic requires alternation); ``tool``
  messages become ``tool_result`` blocks of a user turn. An assistant message with neither
  text nor tool calls is dropped: Anthropic rejects empty text blocks.
* Sampling hints with no Anthropic equivalent (``frequency_penalty``, ``presence_penalty``,
  ``seed``, ``logit_bias``, ``reasoning_effort``, ``service_tier``, ``store``, ``metadata``) are
  dropped; requests whose *output shape* Anthropic cannot honour (``n`` > 1, ``logprobs``,
  JSON ``response_format``, audio) raise :class:`TranslationError` rather than silently
  returning something else. ``temperature`` in (1, 2] is capped at 1: OpenAI accepts 0-2,
  Anthropic 0-1, and Anthropic's own OpenAI-compatible endpoint caps it the same way, so a
  request valid on the OpenAI surface is not refused for the upstream's narrower range
  (values OpenAI itself refuses pass unchanged, for the upstream to refuse).
* An assistant message's ``thinking_blocks`` (LiteLLM's field for earlier Anthropic
  thinking) become its first content blocks, unchanged.
* Anthropic -> OpenAI drops ``top_k``, ``thinking``, ``cache_control`` and ``is_error`` (no
  OpenAI field); documents, server tools and images inside tool results raise. More than
  4 ``stop_sequences`` raise, naming ``stop_sequences``: Chat Completions ``stop`` takes at
  most 4, and the upstream's refusal would name ``stop``, a field the client never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatecheck.protocols.translate._common import TranslationError, dumps, loads_object, text_of

__all__ = ["DEFAULT_MAX_TOKENS", "anthropic_to_openai_request", "openai_to_anthropic_request"]

#: Anthropic requires ``max_tokens``; an OpenAI request without one gets this (documented).
DEFAULT_MAX_TOKENS = 4096

_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}

#: Chat Completions ``stop``: "Up to 4 sequences" (OpenAI API reference).
MAX_OPENAI_STOP = 4


# --------------------------------------------------------------------------- OpenAI -> Anthropic


def openai_to_anthropic_request(body: dict[str, Any], *, model: str) -> dict[str, Any]:
    """Translate a Chat Completions request body into a Messages request for ``model``."""
    _refuse_unexpressible(body)
    system, messages = _openai_messages(body.get("messages"))
    out: dict[str, Any] = {"model": model, "messages": messages}
    if system:
        out["system"] = system[0] if len(system) == 1 else [_text(s) for s in system]
    limit = body.get("max_completion_tokens")
    if limit is None:
        limit = body.get("max_tokens")
    out["max_tokens"] = DEFAULT_MAX_TOKENS if limit is None else limit
    stop = body.get("stop")
    if stop is not None:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    for key in ("temperature", "top_p", "stream"):
        if body.get(key) is not None:
            out[key] = body[key]
    temperature = out.get("temperature")
    if isinstance(temperature, (int, float)) and 1 < temperature <= 2:
        out["temperature"] = 1.0
    if body.get("user") is not None:
        out["metadata"] = {"user_id": body["user"]}
    tools = body.get("tools")
    if tools:
        out["tools"] = [_openai_tool(tool) for tool in tools]
        choice = _openai_tool_choice(body.get("tool_choice"))
        if body.get("parallel_tool_calls") is False and choice.get("type") != "none":
            choice["disable_parallel_tool_use"] = True
        if choice != {"type": "auto"}:
            out["tool_choice"] = choice
    return out


def _refuse_unexpressible(body: Mapping[str, Any]) -> None:
    if (body.get("n") or 1) != 1:
        raise TranslationError("n > 1 is not supported over an Anthropic upstream", param="n")
    if body.get("logprobs") or body.get("top_logprobs"):
        raise TranslationError(
            "logprobs are not available from an Anthropic upstream", param="logprobs"
        )
    fmt = body.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") not in (None, "text"):
        raise TranslationError(
            "response_format is not supported over an Anthropic upstream", param="response_format"
        )
    if body.get("audio") is not None or "audio" in (body.get("modalities") or ()):
        raise TranslationError(
            "audio output is not supported over an Anthropic upstream", param="audio"
        )


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _openai_messages(messages: Any) -> tuple[list[str], list[dict[str, Any]]]:
    if not isinstance(messages, list):
        raise TranslationError("messages must be a list", param="messages")
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise TranslationError(f"messages[{i}] must be an object", param=f"messages[{i}]")
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.extend(_system_pieces(content, i))
        elif role == "user":
            _append(out, "user", _openai_user_content(content, i))
        elif role == "assistant":
            blocks = _openai_assistant_content(message, i)
            if blocks:
                _append(out, "assistant", blocks)
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": text_of(content, what=f"messages[{i}].content"),
            }
            _append(out, "user", [result])
        else:
            raise TranslationError(
                f"messages[{i}].role {role!r} is not supported", param=f"messages[{i}].role"
            )
    return system, out


def _system_pieces(content: Any, i: int) -> list[str]:
    if isinstance(content, str):
        return [content] if content else []
    return [
        p for p in (text_of([part], what=f"messages[{i}].content") for part in content or ()) if p
    ]


def _append(out: list[dict[str, Any]], role: str, content: str | list[dict[str, Any]]) -> None:
    """Add a turn, merging it into the previous one of the same role (Anthropic alternation)."""
    if out and out[-1]["role"] == role:
        previous = out[-1]["content"]
        out[-1]["content"] = _blocks(previous) + _blocks(content)
    else:
        out.append({"role": role, "content": content})


def _blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_text(content)] if isinstance(content, str) else list(content)


def _openai_user_content(content: Any, i: int) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise TranslationError(
            f"messages[{i}].content must be a string or a list", param=f"messages[{i}].content"
        )
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            blocks.append(_text(str(part.get("text", ""))))
        elif kind == "image_url":
            blocks.append(_image_block(part.get("image_url") or {}, i))
        else:
            raise TranslationError(
                f"messages[{i}] content part {kind!r} is not supported over an Anthropic upstream",
                param=f"messages[{i}].content",
            )
    return blocks


def _image_block(image: Any, i: int) -> dict[str, Any]:
    if not isinstance(image, Mapping):
        raise TranslationError(
            f"messages[{i}] image_url must be an object", param=f"messages[{i}].content"
        )
    url = str(image.get("url", ""))
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if not sep or encoding != "base64":
            raise TranslationError(
                f"messages[{i}] image data URL must be base64", param=f"messages[{i}].content"
            )
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def _openai_assistant_content(message: Mapping[str, Any], i: int) -> str | list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, list):
        # Refusal parts are the assistant's words too; Anthropic only has text for them.
        content = "".join(
            str(p.get("text") or p.get("refusal") or "") for p in content if isinstance(p, Mapping)
        )
    # LiteLLM's `thinking_blocks`: earlier thinking, which Anthropic wants back unchanged
    # and first in the turn (its signature is checked)
    thinking = [dict(b) for b in message.get("thinking_blocks") or ()
                if isinstance(b, Mapping) and b.get("type") in ("thinking", "redacted_thinking")]
    calls = message.get("tool_calls") or []
    if not calls and not thinking:
        return content or ""
    blocks = [*thinking, *([_text(content)] if content else [])]
    for j, call in enumerate(calls):
        function = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": loads_object(
                    function.get("arguments"), what=f"messages[{i}].tool_calls[{j}] arguments"
                ),
            }
        )
    return blocks


def _openai_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type", "function") != "function":
        raise TranslationError(
            f"tool type {tool.get('type')!r} is not supported over an Anthropic upstream",
            param="tools",
        )
    function = tool.get("function") or {}
    out: dict[str, Any] = {"name": function.get("name")}
    if function.get("description") is not None:
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or dict(_EMPTY_SCHEMA)
    return out


def _openai_tool_choice(choice: Any) -> dict[str, Any]:
    if choice is None or choice == "auto":
        return {"type": "auto"}
    if choice == "none":
        return {"type": "none"}
    if choice == "required":
        return {"type": "any"}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    raise TranslationError(f"tool_choice {choice!r} is not supported", param="tool_choice")


# --------------------------------------------------------------------------- Anthropic -> OpenAI


def anthropic_to_openai_request(body: dict[str, Any], *, model: str) -> dict[str, Any]:
    """Translate a Messages request body into a Chat Completions request for ``model``.

    Streams ask for ``include_usage`` and vLLM's ``continuous_usage_stats`` so the first chunk
    can carry ``prompt_tokens`` for ``message_start`` (STR-A3/TOK-5); see ``_streams``.
    """
    messages = _anthropic_system(body.get("system"))
    raw = body.get("messages")
    if not isinstance(raw, list):
        raise TranslationError("messages must be a list", param="messages")
    for i, message in enumerate(raw):
        messages.extend(_anthropic_message(message, i))
    out: dict[str, Any] = {"model": model, "messages": messages}
    if body.get("max_tokens") is not None:
        # max_tokens rather than max_completion_tokens: every OpenAI-compatible server knows it.
        out["max_tokens"] = body["max_tokens"]
    if body.get("stop_sequences"):
        stops = list(body["stop_sequences"])
        if len(stops) > MAX_OPENAI_STOP:
            raise TranslationError(
                f"stop_sequences: at most {MAX_OPENAI_STOP} for this model (it is served in "
                f"OpenAI format), got {len(stops)}.",
                param="stop_sequences",
            )
        out["stop"] = stops
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("user_id") is not None:
        out["user"] = metadata["user_id"]
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True, "continuous_usage_stats": True}
    tools = body.get("tools")
    if tools:
        out["tools"] = [_anthropic_tool(tool) for tool in tools]
        choice = body.get("tool_choice")
        if isinstance(choice, Mapping):
            mapped = _anthropic_tool_choice(choice)
            if mapped != "auto":
                out["tool_choice"] = mapped
            if choice.get("disable_parallel_tool_use"):
                out["parallel_tool_calls"] = False
    return out


def _anthropic_system(system: Any) -> list[dict[str, Any]]:
    if system is None or system == "":
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    pieces = [text_of([block], what="system") for block in system]
    if len(pieces) == 1:
        return [{"role": "system", "content": pieces[0]}]
    return [{"role": "system", "content": [_text(p) for p in pieces]}]


def _anthropic_message(message: Any, i: int) -> list[dict[str, Any]]:
    if not isinstance(message, Mapping):
        raise TranslationError(f"messages[{i}] must be an object", param=f"messages[{i}]")
    role = message.get("role")
    content = message.get("content")
    if role == "assistant":
        return [_anthropic_assistant(content, i)]
    if role != "user":
        raise TranslationError(
            f"messages[{i}].role {role!r} is not supported", param=f"messages[{i}].role"
        )
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in content or ():
        kind = block.get("type")
        if kind == "tool_result":
            if parts:
                out.append({"role": "user", "content": parts})
                parts = []
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id"),
                    "content": text_of(
                        block.get("content"), what=f"messages[{i}] tool_result content"
                    ),
                }
            )
        elif kind == "text":
            parts.append(_text(str(block.get("text", ""))))
        elif kind == "image":
            parts.append(
                {
                    "type": "image_url",
                    "image_url": {"url": _image_url(block.get("source") or {}, i)},
                }
            )
        else:
            raise TranslationError(
                f"messages[{i}] block type {kind!r} is not supported over an OpenAI upstream",
                param=f"messages[{i}].content",
            )
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _image_url(source: Any, i: int) -> str:
    if not isinstance(source, Mapping):
        raise TranslationError(
            f"messages[{i}] image source must be an object", param=f"messages[{i}].content"
        )
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    if source.get("type") == "url":
        return str(source.get("url"))
    raise TranslationError(
        f"messages[{i}] image source {source.get('type')!r} is not supported",
        param=f"messages[{i}].content",
    )


def _anthropic_assistant(content: Any, i: int) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content or ():
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            function = {"name": block.get("name"), "arguments": dumps(block.get("input") or {})}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind in ("thinking", "redacted_thinking"):
            continue  # no Chat Completions field carries prior reasoning back to the model
        else:
            raise TranslationError(
                f"messages[{i}] block type {kind!r} is not supported over an OpenAI upstream",
                param=f"messages[{i}].content",
            )
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        out["tool_calls"] = calls
    elif out["content"] is None:
        out["content"] = ""
    return out


def _anthropic_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") not in (None, "custom"):
        raise TranslationError(
            f"server tool {tool.get('type')!r} is not available over an OpenAI upstream",
            param="tools",
        )
    function: dict[str, Any] = {"name": tool.get("name")}
    if tool.get("description") is not None:
        function["description"] = tool["description"]
    function["parameters"] = tool.get("input_schema") or dict(_EMPTY_SCHEMA)
    return {"type": "function", "function": function}


def _anthropic_tool_choice(choice: Mapping[str, Any]) -> Any:
    kind = choice.get("type")
    if kind == "auto":
        return "auto"
    if kind == "none":
        return "none"
    if kind == "any":
        return "required"
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    raise TranslationError(f"tool_choice type {kind!r} is not supported", param="tool_choice")
