"""Request translation: OpenAI Responses bodies -> Chat Completions and -> Anthropic Messages.

Responses -> Chat Completions:

* ``instructions`` is the first (system) message; ``developer`` is kept as a role. Message
  items keep their role; ``input_text``/``output_text`` parts are text, ``input_image`` an
  ``image_url`` part (URL or ``data:`` URL unchanged, ``detail`` kept), ``refusal`` text.
* ``function_call`` items join the assistant message before them as ``tool_calls``;
  ``function_call_output`` is a ``tool`` message. ``reasoning`` items have no Chat field:
  they ride along as ``thinking_blocks`` (LiteLLM's assistant-message field), which only
  the Anthropic direction reads (below).
* ``max_output_tokens`` -> ``max_tokens``; ``temperature``, ``top_p``, ``parallel_tool_calls``
  as they are; ``reasoning.effort`` -> ``reasoning_effort``; ``text.format`` -> the
  equivalent ``response_format``; ``safety_identifier`` (or ``user``) -> ``user``; function
  tools and ``tool_choice`` re-nested under ``function``. Streams ask for usage.
* Refused (a 400 naming the field): ``previous_response_id`` and ``conversation`` (the
  gateway stores no responses: send the conversation in ``input``), ``item_reference``,
  file and audio inputs, and every tool that is not a function.

Responses -> Anthropic: the Chat Completions form, translated by
``openai_to_anthropic_request``; then a ``reasoning`` item whose ``encrypted_content`` came
from a thinking block (see ``_resp_bodies``) becomes that block again, byte for byte, and
``reasoning.effort`` enables thinking with a budget of 1024 / 4096 / 16384 tokens (low /
medium / high) when ``max_output_tokens`` leaves room for it (Anthropic needs
``budget_tokens >= 1024`` and ``< max_tokens``); below that, thinking stays off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatecheck.protocols.translate._common import TranslationError
from gatecheck.protocols.translate._requests import openai_to_anthropic_request

__all__ = [
    "REDACTED_PREFIX",
    "responses_to_anthropic_request",
    "responses_to_chat_request",
    "thinking_block",
]

# encrypted_content of a reasoning item made from a redacted_thinking block
REDACTED_PREFIX = "redacted_thinking:"
_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384, "xhigh": 32768}
_MIN_BUDGET = 1024
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


def thinking_block(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Anthropic block a reasoning item carries back (None: it did not come from one)."""
    opaque = item.get("encrypted_content")
    if not isinstance(opaque, str) or not opaque:
        return None
    if opaque.startswith(REDACTED_PREFIX):
        return {"type": "redacted_thinking", "data": opaque[len(REDACTED_PREFIX):]}
    text = "".join(str(p.get("text", "")) for p in item.get("content") or ()
                   if isinstance(p, Mapping))
    return {"type": "thinking", "thinking": text, "signature": opaque}


def _refuse(body: Mapping[str, Any]) -> None:
    for key in ("previous_response_id", "conversation"):
        if body.get(key) is not None:
            raise TranslationError(
                f"'{key}' needs a stored response; this gateway stores none for this model "
                "(its provider does not serve the Responses API): send the whole "
                "conversation in 'input'.", param=key)
    for i, tool in enumerate(body.get("tools") or ()):
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            kind = tool.get("type") if isinstance(tool, Mapping) else type(tool).__name__
            raise TranslationError(f"tool type {kind!r} is not available for this model",
                                   param=f"tools[{i}]")


def _part(part: Any, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, Mapping) else None
    if kind in _TEXT_PARTS:
        return {"type": "text", "text": str(part.get("text", ""))}
    if kind == "refusal":
        return {"type": "text", "text": str(part.get("refusal", ""))}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        image: dict[str, Any] = {"url": part["image_url"]}
        if part.get("detail") not in (None, "auto"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    raise TranslationError(f"content part {kind!r} is not supported for this model",
                           param=where)


def _content(content: Any, where: str, *, text_only: bool) -> Any:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise TranslationError("content must be a string or a list of parts", param=where)
    parts = [_part(p, where) for p in content]
    if text_only or all(p["type"] == "text" for p in parts):
        return "".join(p.get("text", "") for p in parts)
    return parts


def _output_text(output: Any, where: str) -> str:
    if isinstance(output, str):
        return output
    content = _content(output, where, text_only=True)
    return str(content)


def _messages(body: Mapping[str, Any], thinking: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        out.append({"role": "system", "content": instructions})
    raw = body.get("input")
    if isinstance(raw, str):
        return [*out, {"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise TranslationError("'input' must be a string or a list of items", param="input")
    for i, item in enumerate(raw):
        where = f"input[{i}]"
        if not isinstance(item, Mapping):
            raise TranslationError(f"{where} must be an object", param=where)
        kind = item.get("type", "message")
        last = out[-1] if out else None
        if kind == "message":
            role = item.get("role")
            content = _content(item.get("content"), f"{where}.content",
                               text_only=role in ("assistant", "system", "developer"))
            out.append({"role": role, "content": content})
        elif kind == "function_call":
            call = {"id": item.get("call_id"), "type": "function",
                    "function": {"name": item.get("name"),
                                 "arguments": item.get("arguments") or "{}"}}
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
                if not last.get("content"):
                    last["content"] = None
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            out.append({"role": "tool", "tool_call_id": item.get("call_id"),
                        "content": _output_text(item.get("output"), f"{where}.output")})
        elif kind == "reasoning":
            block = thinking_block(item) if thinking else None
            if block is None:
                continue  # no Chat field carries reasoning back; or not from a thinking block
            if last is not None and last["role"] == "assistant" and not last.get("tool_calls"):
                last.setdefault("thinking_blocks", []).append(block)
            else:
                out.append({"role": "assistant", "content": None, "thinking_blocks": [block]})
        else:
            raise TranslationError(f"input item type {kind!r} is not supported for this model",
                                   param=f"{where}.type")
    return out


def _response_format(text: Any) -> dict[str, Any] | None:
    fmt = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(fmt, Mapping) or fmt.get("type") in (None, "text"):
        return None
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    schema = {k: fmt[k] for k in ("name", "description", "schema", "strict") if k in fmt}
    return {"type": "json_schema", "json_schema": schema}


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if choice in (None, "auto", "none", "required"):
        return choice
    raise TranslationError(f"tool_choice {choice!r} is not supported for this model",
                           param="tool_choice")


def responses_to_chat_request(body: dict[str, Any], *, model: str,
                              thinking: bool = False) -> dict[str, Any]:
    """Translate a Responses request body into a Chat Completions request for ``model``.

    ``thinking`` keeps reasoning items as ``thinking_blocks`` (for the Anthropic direction;
    an OpenAI upstream would refuse the unknown field).
    """
    _refuse(body)
    out: dict[str, Any] = {"model": model, "messages": _messages(body, thinking)}
    if body.get("max_output_tokens") is not None:
        out["max_tokens"] = body["max_output_tokens"]
    for key in ("temperature", "top_p", "parallel_tool_calls", "top_logprobs"):
        if body.get(key) is not None:
            out[key] = body[key]
    user = body.get("safety_identifier") or body.get("user")
    if isinstance(user, str):
        out["user"] = user
    effort = (body.get("reasoning") or {}).get("effort")
    if isinstance(effort, str) and effort != "none":
        out["reasoning_effort"] = effort
    fmt = _response_format(body.get("text"))
    if fmt is not None:
        out["response_format"] = fmt
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    tools = body.get("tools")
    if tools:
        out["tools"] = [{"type": "function", "function": {
            k: v for k, v in (("name", t.get("name")), ("description", t.get("description")),
                              ("parameters", t.get("parameters")), ("strict", t.get("strict")))
            if v is not None}} for t in tools]
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
    return out


def responses_to_anthropic_request(body: dict[str, Any], *, model: str) -> dict[str, Any]:
    """Translate a Responses request body into a Messages request for ``model``."""
    chat = responses_to_chat_request(body, model=model, thinking=True)
    chat.pop("stream_options", None)
    effort = chat.pop("reasoning_effort", None)
    chat.pop("top_logprobs", None)
    fmt = chat.get("response_format")
    if fmt is not None:
        raise TranslationError("text.format other than text is not supported for this model",
                               param="text.format")
    try:
        out = openai_to_anthropic_request(chat, model=model)
    except TranslationError as exc:
        param = exc.param.replace("messages", "input") if exc.param else None
        raise TranslationError(exc.message, param=param) from None
    budget = min(_BUDGETS.get(str(effort), 0), int(out["max_tokens"]) - 1)
    if effort is not None and budget >= _MIN_BUDGET:
        out["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return out
