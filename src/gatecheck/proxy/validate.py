"""Cheap request-body checks for the hot path (hand-written: a generic JSON Schema
validator costs more than the whole forward on small bodies).

They catch what would otherwise reach the upstream as garbage or break translation: wrong
top-level types, missing ``model``/``messages``/``max_tokens``, bad roles, too many
messages, ``stream_options`` without ``stream`` (STR-O9). Anything subtler is the
upstream's call, and its 400 is passed through with its meaning (ERR-5).
"""

from __future__ import annotations

from typing import Any

import orjson

from gatecheck.proxy.errors import ProxyError

__all__ = [
    "parse_json", "validate_anthropic", "validate_count_tokens", "validate_embeddings",
    "validate_openai", "validate_responses",
]

_OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ANTHROPIC_ROLES = frozenset({"user", "assistant"})


def _bad(message: str, param: str | None = None) -> ProxyError:
    return ProxyError("invalid_request", message, param=param)


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 (ERR-6: never a 500 for malformed JSON)."""
    if not body:
        raise _bad("Request body is empty; expected a JSON object.")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"Request body is not valid JSON: {exc.msg} (at character {exc.pos}).") from None
    if not isinstance(value, dict):
        raise _bad("Request body must be a JSON object.")
    return value


def _model(body: dict[str, Any]) -> None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' is required and must be a non-empty string.", "model")


def _int(body: dict[str, Any], name: str, *, required: bool = False, minimum: int = 1) -> None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad(f"'{name}' is required.", name)
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(f"'{name}' must be an integer >= {minimum}.", name)


def _number(body: dict[str, Any], name: str) -> None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _bad(f"'{name}' must be a number.", name)


def _messages(body: dict[str, Any], roles: frozenset[str], limit: int) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' is required and must be a non-empty array.", "messages")
    if len(messages) > limit:
        raise _bad(f"Too many messages: {len(messages)} > {limit}.", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad(f"messages[{i}] must be an object.", f"messages[{i}]")
        if message.get("role") not in roles:
            allowed = ", ".join(sorted(roles))
            raise _bad(f"messages[{i}].role must be one of: {allowed}.", f"messages[{i}].role")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _bad(f"messages[{i}].content must be a string or an array.",
                       f"messages[{i}].content")
    return messages


def _stream(body: dict[str, Any]) -> bool:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _bad("'stream' must be a boolean.", "stream")
    return stream is True


def _tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None and (
        not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools)
    ):
        raise _bad("'tools' must be an array of objects.", "tools")


def validate_openai(body: dict[str, Any], max_messages: int) -> bool:
    """Check a Chat Completions body; returns whether it asks for a stream."""
    _model(body)
    _messages(body, _OPENAI_ROLES, max_messages)
    stream = _stream(body)
    options = body.get("stream_options")
    if options is not None:
        if not stream:
            raise _bad(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            )
        if not isinstance(options, dict):
            raise _bad("'stream_options' must be an object.", "stream_options")
    _int(body, "max_tokens")
    _int(body, "max_completion_tokens")
    _int(body, "n")
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        _number(body, name)
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise _bad("'stop' must be a string or an array of strings.", "stop")
    _tools(body)
    return stream


def validate_anthropic(body: dict[str, Any], max_messages: int) -> bool:
    """Check a Messages body; returns whether it asks for a stream."""
    _model(body)
    _int(body, "max_tokens", required=True)
    _messages(body, _ANTHROPIC_ROLES, max_messages)
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise _bad("'system' must be a string or an array of text blocks.", "system")
    stops = body.get("stop_sequences")
    if stops is not None and not (
        isinstance(stops, list) and all(isinstance(s, str) for s in stops)
    ):
        raise _bad("'stop_sequences' must be an array of strings.", "stop_sequences")
    for name in ("temperature", "top_p"):
        _number(body, name)
    _int(body, "top_k", minimum=0)
    _tools(body)
    return _stream(body)


def validate_count_tokens(body: dict[str, Any], max_messages: int) -> None:
    """Check a count_tokens body (a Messages body without ``max_tokens``)."""
    _model(body)
    _messages(body, _ANTHROPIC_ROLES, max_messages)
    _tools(body)


_ITEMS = frozenset({"message", "function_call", "function_call_output", "reasoning",
                    "item_reference"})


def validate_responses(body: dict[str, Any], max_messages: int) -> bool:
    """Check a Responses body (``model``, ``input`` items); returns whether it streams."""
    _model(body)
    raw = body.get("input")
    if isinstance(raw, list):
        if len(raw) > max_messages:
            raise _bad(f"Too many input items: {len(raw)} > {max_messages}.", "input")
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or item.get("type", "message") not in _ITEMS:
                raise _bad(f"input[{i}] must be an input item object.", f"input[{i}]")
            if item.get("type", "message") == "message" and not isinstance(
                    item.get("content"), str | list):
                raise _bad(f"input[{i}].content must be a string or an array.",
                           f"input[{i}].content")
    elif not isinstance(raw, str) and body.get("previous_response_id") is None:
        raise _bad("'input' is required: a string or an array of input items.", "input")
    _int(body, "max_output_tokens")
    for name in ("temperature", "top_p"):
        _number(body, name)
    for name in ("instructions",):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _bad(f"'{name}' must be a string.", name)
    for name in ("reasoning", "text", "metadata"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise _bad(f"'{name}' must be an object.", name)
    _tools(body)
    return _stream(body)


def validate_embeddings(body: dict[str, Any]) -> None:
    """Check an embeddings body: ``model`` and a string / array ``input``."""
    _model(body)
    raw = body.get("input")
    if not (isinstance(raw, str) and raw) and not (isinstance(raw, list) and raw):
        raise _bad("'input' is required: a non-empty string or array.", "input")
