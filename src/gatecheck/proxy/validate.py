"""Cheap request-body checks for the hot path (hand-written: a generic JSON Schema
validator costs more than the whole forward on small bodies).

They catch what would otherwise reach the upstream as garbage or break translation: wrong
top-level types, missing ``model``/``messages``/``max_tokens``, bad roles, too many
messages, ``stream_options`` without ``stream`` (STR-O9), and the shapes the translator
reads: content parts and system blocks (objects with a string ``type``), an assistant's
``tool_calls``, tools and ``tool_choice`` (names are strings). Anything subtler is the
upstream's call, and its 400 is passed through with its meaning (ERR-5). The translator's
own refusals (a block type the other format lacks) are 400s too (``forward``).

A message names the field (``param`` in the OpenAI envelope, the text in the Anthropic
one) and never repeats the value sent: a client may have pasted a secret into it.
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
        role = message.get("role")
        if not isinstance(role, str) or role not in roles:  # a list or object is unhashable
            allowed = ", ".join(sorted(roles))
            raise _bad(f"messages[{i}].role must be one of: {allowed}.", f"messages[{i}].role")
        content = message.get("content")
        if isinstance(content, list):
            _blocks(content, f"messages[{i}].content")
        elif content is not None and not isinstance(content, str):
            raise _bad(f"messages[{i}].content must be a string or an array.",
                       f"messages[{i}].content")
        if "tool_calls" in message and roles is _OPENAI_ROLES:
            _tool_calls(message["tool_calls"], f"messages[{i}].tool_calls")
    return messages


def _blocks(blocks: list[Any], where: str) -> None:
    """Content parts (OpenAI) and blocks (Anthropic): objects with a string ``type``."""
    for j, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _bad(f"{where}[{j}] must be an object with a string 'type'.", f"{where}[{j}]")


def _tool_calls(calls: Any, where: str) -> None:
    """An assistant's tool calls: each names a function; its arguments are a JSON string."""
    if calls is None:
        return
    if not isinstance(calls, list):
        raise _bad(f"{where} must be an array.", where)
    for j, call in enumerate(calls):
        if isinstance(call, dict) and call.get("type", "function") != "function":
            continue  # another kind of call (custom tools): the upstream's to judge
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise _bad(f"{where}[{j}].function must be an object.", f"{where}[{j}].function")
        if not isinstance(function.get("name"), str):
            raise _bad(f"{where}[{j}].function.name must be a string.",
                       f"{where}[{j}].function.name")
        if not isinstance(function.get("arguments", ""), str):
            raise _bad(f"{where}[{j}].function.arguments must be a string (JSON text).",
                       f"{where}[{j}].function.arguments")


def _system(body: dict[str, Any]) -> None:
    system = body.get("system")
    if isinstance(system, list):
        _blocks(system, "system")
    elif system is not None and not isinstance(system, str):
        raise _bad("'system' must be a string or an array of text blocks.", "system")


def _strings(body: dict[str, Any], name: str, message: str, *, single: bool = False) -> None:
    """``name``: an array of strings (or, when ``single``, also one string)."""
    value = body.get(name)
    if value is None or (single and isinstance(value, str)):
        return
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise _bad(message, name)


def _stream(body: dict[str, Any]) -> bool:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _bad("'stream' must be a boolean.", "stream")
    return stream is True


def _tools(body: dict[str, Any], fmt: str) -> None:
    """The tools, each an object with a string name (OpenAI: in ``function``) and, when
    given, an object schema. Unknown OpenAI tool types pass, for the upstream (or the
    translator) to judge."""
    tools = body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _bad("'tools' must be an array of objects.", "tools")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _bad(f"tools[{i}] must be an object.", f"tools[{i}]")
        where, schema = f"tools[{i}]", "input_schema"
        if fmt == "responses":  # flat function tools; other types for the translator to judge
            if tool.get("type") != "function":
                continue
            schema = "parameters"
        elif fmt == "openai":
            if tool.get("type", "function") != "function":
                continue
            where, schema, tool = f"tools[{i}].function", "parameters", tool.get("function")
            if not isinstance(tool, dict):
                raise _bad(f"{where} must be an object.", where)
        if not isinstance(tool.get("name"), str):
            raise _bad(f"{where}.name is required and must be a string.", f"{where}.name")
        if tool.get(schema) is not None and not isinstance(tool[schema], dict):
            raise _bad(f"{where}.{schema} must be a JSON Schema object.", f"{where}.{schema}")


def _openai_tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None or isinstance(choice, str):
        return  # a string the upstream does not know is its 400 to give
    if not isinstance(choice, dict):
        raise _bad("'tool_choice' must be a string or an object.", "tool_choice")
    if choice.get("type") == "function":
        function = choice.get("function")
        if not isinstance(function, dict):
            raise _bad("tool_choice.function must be an object.", "tool_choice.function")
        if not isinstance(function.get("name"), str):
            raise _bad("tool_choice.function.name must be a string.", "tool_choice.function.name")


def _anthropic_tool_choice(body: dict[str, Any]) -> None:
    choice = body.get("tool_choice")
    if choice is None:
        return
    if not isinstance(choice, dict) or not isinstance(choice.get("type"), str):
        raise _bad("tool_choice must be an object with a string 'type'.", "tool_choice")
    if choice["type"] == "tool" and not isinstance(choice.get("name"), str):
        raise _bad("tool_choice.name must be a string.", "tool_choice.name")


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
    _strings(body, "stop", "'stop' must be a string or an array of strings.", single=True)
    _strings(body, "modalities", "'modalities' must be an array of strings.")
    _tools(body, "openai")
    _openai_tool_choice(body)
    return stream


def validate_anthropic(body: dict[str, Any], max_messages: int) -> bool:
    """Check a Messages body; returns whether it asks for a stream."""
    _model(body)
    _int(body, "max_tokens", required=True)
    _messages(body, _ANTHROPIC_ROLES, max_messages)
    _system(body)
    _strings(body, "stop_sequences", "'stop_sequences' must be an array of strings.")
    for name in ("temperature", "top_p"):
        _number(body, name)
    _int(body, "top_k", minimum=0)
    _tools(body, "anthropic")
    _anthropic_tool_choice(body)
    return _stream(body)


def validate_count_tokens(body: dict[str, Any], max_messages: int) -> None:
    """Check a count_tokens body (a Messages body without ``max_tokens``)."""
    _model(body)
    _messages(body, _ANTHROPIC_ROLES, max_messages)
    _system(body)
    _tools(body, "anthropic")
    _anthropic_tool_choice(body)


_ITEMS = ("message", "function_call", "function_call_output", "reasoning", "item_reference")


def validate_responses(body: dict[str, Any], max_messages: int) -> bool:
    """Check a Responses body (``model``, ``input`` items); returns whether it streams."""
    _model(body)
    raw = body.get("input")
    if isinstance(raw, list):
        if len(raw) > max_messages:
            raise _bad(f"Too many input items: {len(raw)} > {max_messages}.", "input")
        for i, item in enumerate(raw):
            # a tuple, not a set: a list-valued type is unhashable (the fuzz sends them)
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
    if body.get("instructions") is not None and not isinstance(body["instructions"], str):
        raise _bad("'instructions' must be a string.", "instructions")
    for name in ("reasoning", "text", "metadata"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise _bad(f"'{name}' must be an object.", name)
    _tools(body, "responses")
    return _stream(body)


def validate_embeddings(body: dict[str, Any]) -> None:
    """Check an embeddings body: ``model`` and a string / array ``input``."""
    _model(body)
    raw = body.get("input")
    if not (isinstance(raw, str) and raw) and not (isinstance(raw, list) and raw):
        raise _bad("'input' is required: a non-empty string or array.", "input")
