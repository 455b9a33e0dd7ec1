"""Request validation for both surfaces: what the real APIs reject with a 400.

Hand-written rather than JSON Schema: these few rules run on every cache miss of the hot
path, and each failure must name the offending parameter the way its API does (OpenAI's
``param``, Anthropic's ``field: message``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatecheck.mock._plan import Invalid

__all__ = [
    "check_anthropic", "check_embeddings", "check_openai", "check_ranges", "check_responses",
    "is_int",
]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ANTHROPIC_ROLES = frozenset({"user", "assistant"})
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# (low, high, integers only) for the sampling parameters, as OpenAI validates them
_OPENAI_RANGES = {
    "temperature": (0, 2, False), "top_p": (0, 1, False), "presence_penalty": (-2, 2, False),
    "frequency_penalty": (-2, 2, False), "n": (1, 128, True), "top_logprobs": (0, 20, True),
    "seed": (-(2**63), 2**63 - 1, True),
}  # fmt: skip
_OPENAI_TYPES: dict[str, type | tuple[type, ...]] = {
    "user": str, "logprobs": bool, "parallel_tool_calls": bool, "response_format": dict,
    "metadata": dict, "logit_bias": dict, "store": bool,
}  # fmt: skip


# (low, high, integers only), as the Messages API validates them
_ANTHROPIC_RANGES = {
    "temperature": (0, 1, False), "top_p": (0, 1, False), "top_k": (0, 2**31, True),
}  # fmt: skip


def is_int(value: Any, low: int = 0) -> bool:
    """A JSON integer (not a bool) of at least ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def check_ranges(
    body: dict[str, Any], ranges: Mapping[str, tuple[float, float, bool]]
) -> str | None:
    """The first parameter outside its (low, high, integer-only) range, else None; null passes."""
    for key, (low, high, integer) in ranges.items():
        value = body.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integer and not isinstance(value, int))
        ):
            return key
        if not low <= value <= high:
            return key
    return None


def _names(tools: Any) -> list[str]:
    return [t["function"]["name"] for t in tools or ()]


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    """``value in allowed`` for any JSON value (a list or an object is unhashable)."""
    return isinstance(value, str) and value in allowed


def _check_openai_tools(tools: Any) -> None:
    """Each tool ``{"type": "function", "function": {"name", "parameters"?}}``, the name a
    string as OpenAI's pattern allows, the parameters an object."""
    if not isinstance(tools, list):
        raise Invalid(400, "Invalid type for 'tools'.", "tools")
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or tool.get("type") != "function":
            raise Invalid(
                400, f"Invalid 'tools[{i}]': a function with a valid name.", f"tools[{i}]"
            )
        name = fn.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise Invalid(
                400,
                f"Invalid 'tools[{i}].function.name': a string of 1 to 64 letters, digits, "
                "underscores or dashes.",
                f"tools[{i}].function.name",
            )
        if fn.get("parameters") is not None and not isinstance(fn["parameters"], dict):
            raise Invalid(
                400,
                f"Invalid 'tools[{i}].function.parameters'.",
                f"tools[{i}].function.parameters",
            )


def _check_openai_tool_choice(choice: Any, tools: Any) -> None:
    if not tools:
        raise Invalid(
            400,
            "Invalid value for 'tool_choice': "
            "'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    if isinstance(choice, str) and choice in ("none", "auto", "required"):
        return
    fn = choice.get("function") if isinstance(choice, dict) else None
    named = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(named, str) or named not in _names(tools):
        raise Invalid(400, "Invalid value for 'tool_choice'.", "tool_choice")


def check_openai(body: Any) -> None:
    """Raise Invalid (400, with the offending param) for what OpenAI would reject."""
    if not isinstance(body, dict):
        raise Invalid(400, "The request body must be a JSON object.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid(400, "you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid(400, "'messages' must be a non-empty array.", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not _one_of(message.get("role"), _ROLES):
            raise Invalid(400, f"Invalid 'messages[{i}].role'.", f"messages[{i}].role")
        content = message.get("content")
        if not (
            isinstance(content, str | list) or (content is None and message["role"] == "assistant")
        ):
            raise Invalid(
                400, f"Invalid type for 'messages[{i}].content'.", f"messages[{i}].content"
            )
        if isinstance(content, list) and not all(
            isinstance(p, dict) and isinstance(p.get("type"), str) for p in content
        ):
            raise Invalid(
                400, f"Invalid content part in 'messages[{i}].content'.", f"messages[{i}].content"
            )
    for key in ("max_tokens", "max_completion_tokens"):
        if body.get(key) is not None and not is_int(body[key], 1):
            raise Invalid(400, f"Invalid '{key}': must be an integer >= 1.", key)
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise Invalid(400, "Invalid type for 'stream': expected a boolean.", "stream")
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise Invalid(400, "Invalid type for 'stream_options'.", "stream_options")
        if not body.get("stream"):
            raise Invalid(
                400,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            )
    bad = check_ranges(body, _OPENAI_RANGES)
    if bad is not None:
        raise Invalid(400, f"Invalid value for '{bad}': out of range or not a number.", bad)
    for key, kind in _OPENAI_TYPES.items():
        if body.get(key) is not None and not isinstance(body[key], kind):
            raise Invalid(400, f"Invalid type for '{key}'.", key)
    stop = body.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and not (
            isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop)
        )
    ):
        raise Invalid(400, "Invalid 'stop': a string or up to 4 strings.", "stop")
    tools = body.get("tools")
    if tools is not None:
        _check_openai_tools(tools)
    if body.get("tool_choice") is not None:
        _check_openai_tool_choice(body["tool_choice"], tools)


def check_anthropic(body: Any, *, needs_max_tokens: bool) -> None:
    """Raise Invalid (400) for what the Messages API would reject."""
    if not isinstance(body, dict):
        raise Invalid(400, "The request body must be a JSON object.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid(400, "model: Field required")
    if needs_max_tokens and not is_int(body.get("max_tokens"), 1):
        raise Invalid(
            400,
            "max_tokens: Field required"
            if "max_tokens" not in body
            else "max_tokens: must be an integer >= 1",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid(
            400,
            "messages: Field required"
            if messages is None
            else "messages: at least one message is required",
        )
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not _one_of(message.get("role"), _ANTHROPIC_ROLES):
            raise Invalid(400, f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if not (
            isinstance(content, str)
            or (
                isinstance(content, list)
                and all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in content)
            )
        ):
            raise Invalid(
                400, f"messages.{i}.content: Input should be a string or a list of content blocks"
            )
    bad = check_ranges(body, _ANTHROPIC_RANGES)
    if bad is not None:
        raise Invalid(400, f"{bad}: Input should be a number in range")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise Invalid(400, "metadata: Input should be an object")
    system = body.get("system")
    if system is not None and not (
        isinstance(system, str)
        or (
            isinstance(system, list)
            and all(isinstance(b, dict) and b.get("type") == "text" for b in system)
        )
    ):
        raise Invalid(400, "system: Input should be a string or a list of text blocks")
    stops = body.get("stop_sequences")
    if stops is not None and not (
        isinstance(stops, list) and all(isinstance(s, str) for s in stops)
    ):
        raise Invalid(400, "stop_sequences: Input should be a list of strings")
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise Invalid(400, "stream: Input should be a valid boolean")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise Invalid(400, "tools: Input should be a valid list")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                raise Invalid(400, f"tools.{i}.name: each tool needs a name (a string)")
            if tool.get("input_schema") is not None and not isinstance(tool["input_schema"], dict):
                raise Invalid(400, f"tools.{i}.input_schema: Input should be a valid dictionary")
    thinking = body.get("thinking")
    if thinking is not None:
        kind = thinking.get("type") if isinstance(thinking, dict) else None
        if kind not in ("enabled", "disabled", "adaptive"):
            raise Invalid(400, "thinking: Input tag should be 'enabled', 'disabled' or 'adaptive'")
        budget = thinking.get("budget_tokens")
        if kind == "enabled" and not is_int(budget, 1024):
            raise Invalid(400, "thinking.enabled.budget_tokens: Input should be greater than or "
                          "equal to 1024")
        if kind == "enabled" and needs_max_tokens and budget >= body["max_tokens"]:
            raise Invalid(400, "`max_tokens` must be greater than `thinking.budget_tokens`")
    choice = body.get("tool_choice")
    if choice is not None:
        if not isinstance(choice, dict) or choice.get("type") not in (
            "auto",
            "any",
            "tool",
            "none",
        ):
            raise Invalid(
                400, "tool_choice: Input should be a tagged object of type auto, any, tool or none"
            )
        if choice["type"] == "tool" and choice.get("name") not in [t["name"] for t in tools or ()]:
            raise Invalid(400, "tool_choice.name: the named tool is not in tools")


_ITEM_TYPES = frozenset({"message", "function_call", "function_call_output", "reasoning"})
_MESSAGE_ROLES = frozenset({"user", "assistant", "system", "developer"})
_RESPONSES_RANGES = {"temperature": (0, 2, False), "top_p": (0, 1, False),
                     "top_logprobs": (0, 20, True)}
_RESPONSES_TYPES: dict[str, type | tuple[type, ...]] = {
    "instructions": str, "metadata": dict, "parallel_tool_calls": bool, "store": bool,
    "reasoning": dict, "text": dict, "stream_options": dict, "user": str,
}
MIN_OUTPUT_TOKENS = 16  # OpenAI: "Invalid 'max_output_tokens': ... Expected a value >= 16"


def check_responses(body: Any) -> None:
    """Raise Invalid (400, with the offending param) for what ``/v1/responses`` would reject."""
    if not isinstance(body, dict):
        raise Invalid(400, "The request body must be a JSON object.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid(400, "Missing required parameter: 'model'.", "model",
                      "missing_required_parameter")
    if body.get("previous_response_id") is not None or body.get("conversation") is not None:
        # The mock keeps no responses (store is always false).
        rid = body.get("previous_response_id") or body.get("conversation")
        raise Invalid(400, f"Previous response with id '{rid}' not found.",
                      "previous_response_id")
    raw = body.get("input")
    if isinstance(raw, str):
        items: list[Any] = [{"role": "user", "content": raw}]
    elif isinstance(raw, list) and raw:
        items = raw
    else:
        raise Invalid(400, "Invalid 'input': a string or a non-empty array of items.", "input")
    for i, item in enumerate(items):
        kind = item.get("type", "message") if isinstance(item, dict) else None
        if kind not in _ITEM_TYPES:
            raise Invalid(400, f"Invalid value for 'input[{i}].type'.", f"input[{i}].type")
        if kind == "message":
            content = item.get("content")
            if item.get("role") not in _MESSAGE_ROLES:
                raise Invalid(400, f"Invalid value for 'input[{i}].role'.", f"input[{i}].role")
            if not isinstance(content, str) and not (
                isinstance(content, list)
                and all(isinstance(p, dict) and isinstance(p.get("type"), str) for p in content)
            ):
                raise Invalid(400, f"Invalid type for 'input[{i}].content'.",
                              f"input[{i}].content")
        elif kind in ("function_call", "function_call_output") and not isinstance(
                item.get("call_id"), str):
            raise Invalid(400, f"Missing required parameter: 'input[{i}].call_id'.",
                          f"input[{i}].call_id")
    limit = body.get("max_output_tokens")
    if limit is not None and not is_int(limit, MIN_OUTPUT_TOKENS):
        raise Invalid(400, "Invalid 'max_output_tokens': integer below minimum value. "
                      f"Expected a value >= {MIN_OUTPUT_TOKENS}.", "max_output_tokens",
                      "integer_below_min_value")
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise Invalid(400, "Invalid type for 'stream': expected a boolean.", "stream")
    bad = check_ranges(body, _RESPONSES_RANGES)
    if bad is not None:
        raise Invalid(400, f"Invalid value for '{bad}': out of range or not a number.", bad)
    for key, kind in _RESPONSES_TYPES.items():
        if body.get(key) is not None and not isinstance(body[key], kind):
            raise Invalid(400, f"Invalid type for '{key}'.", key)
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise Invalid(400, "Invalid type for 'tools'.", "tools")
    names = []
    for i, tool in enumerate(tools or ()):
        if not isinstance(tool, dict) or tool.get("type") != "function" \
                or not _TOOL_NAME.match(str(tool.get("name", ""))):
            raise Invalid(400, f"Invalid 'tools[{i}]': a function with a valid name.",
                          f"tools[{i}]")
        names.append(tool["name"])
    choice = body.get("tool_choice")
    if choice is not None and choice not in ("none", "auto", "required"):
        named = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(choice, dict) or choice.get("type") != "function" or named not in names:
            raise Invalid(400, "Invalid value for 'tool_choice'.", "tool_choice")


MAX_EMBEDDING_INPUTS = 2048  # OpenAI: "any array must be 2048 dimensions or less" (inputs)
MAX_DIMENSIONS = 3072


def check_embeddings(body: Any) -> list[Any]:
    """Raise Invalid for what ``/v1/embeddings`` would reject; the inputs as a list."""
    if not isinstance(body, dict):
        raise Invalid(400, "The request body must be a JSON object.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid(400, "you must provide a model parameter", "model")
    raw = body.get("input")
    tokens = isinstance(raw, list) and raw and all(is_int(t) for t in raw)
    inputs: Any = [raw] if isinstance(raw, str) or tokens else raw
    if not isinstance(inputs, list) or not inputs or len(inputs) > MAX_EMBEDDING_INPUTS or not all(
        (isinstance(i, str) and i) or (isinstance(i, list) and i and all(is_int(t) for t in i))
        for i in inputs
    ):
        raise Invalid(400, "'input' must be a non-empty string, an array of non-empty strings "
                      f"or of token arrays (at most {MAX_EMBEDDING_INPUTS}).", "input")
    if body.get("encoding_format") not in (None, "float", "base64"):
        raise Invalid(400, "Invalid value for 'encoding_format': float or base64.",
                      "encoding_format")
    dims = body.get("dimensions")
    if dims is not None and not (is_int(dims, 1) and dims <= MAX_DIMENSIONS):
        raise Invalid(400, f"Invalid 'dimensions': an integer from 1 to {MAX_DIMENSIONS}.",
                      "dimensions")
    return inputs
