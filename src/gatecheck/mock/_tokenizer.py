"""The mock's own tokenizer: exact, documented token counts for text and whole requests.

A token is a run of word characters or one other non-space character::

    TOKEN = re.compile(r"\\w+|[^\\w\\s]")

Whitespace is never a token, so the count of a text does not depend on how it is spaced
(``{"a": 1}`` and ``{"a":1}`` both count 7). A request counts as follows (the same rules on
both surfaces, so one text conversation counts the same whether it arrives as Chat
Completions or Messages):

- ``REPLY_PRIMING`` (3) once per request;
- per message: ``MESSAGE_OVERHEAD`` (4) + the tokens of its content; a system prompt
  (Anthropic ``system``, OpenAI ``system``/``developer`` messages) counts as one message,
  but an empty one counts 0;
- content: text parts (``text``, ``input_text``, ``output_text``) count their text; an
  image, audio, document or file part counts ``MEDIA_TOKENS`` (85) whatever its size
  (the real APIs count image tiles or pixels; a flat count keeps the ground truth simple
  and still proves the part was counted); a tool call (OpenAI ``tool_calls[]``, Anthropic
  ``tool_use``) counts its name + its arguments JSON; a tool result counts its text; any
  other part counts the tokens of its canonical JSON;
- per tool declared in ``tools``: ``TOOL_OVERHEAD`` (4) + name + description + the canonical
  JSON (sorted keys) of its parameter schema (OpenAI ``function.parameters``, Anthropic
  ``input_schema``, Responses ``parameters``).

A Responses request counts the same way: ``instructions`` is a system message, each input
message item a message; consecutive assistant-side items (an assistant message and the
``function_call`` items after it) are one message, as Chat Completions carries them, and a
``function_call_output`` is a tool message; ``reasoning`` items count their text. An
embeddings request counts only the tokens of its inputs (a token-array input: its length).

The ``[[mock ...]]`` directive text is ordinary prompt text and is counted like the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

__all__ = [
    "MEDIA_TOKENS",
    "MESSAGE_OVERHEAD",
    "REPLY_PRIMING",
    "TOKEN",
    "TOOL_OVERHEAD",
    "count_anthropic_request",
    "count_embeddings_request",
    "count_openai_request",
    "count_responses_request",
    "count_tokens",
    "pieces",
    "responses_turns",
]

TOKEN = re.compile(r"\w+|[^\w\s]")
REPLY_PRIMING = 3
MESSAGE_OVERHEAD = 4
TOOL_OVERHEAD = 4
MEDIA_TOKENS = 85

_MEDIA_TYPES = frozenset({"image", "image_url", "input_audio", "audio", "document", "file",
                          "input_image", "input_file"})
_TEXT_TYPES = frozenset({"text", "input_text", "output_text"})
_findall = TOKEN.findall
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")


def count_tokens(text: str) -> int:
    """Number of mock tokens in ``text``."""
    return len(_findall(text))


def pieces(text: str) -> list[str]:
    """Split ``text`` into one piece per token; the pieces concatenate back to ``text``.

    Each piece is a token with the whitespace before it; trailing whitespace joins the last
    piece (or forms the only piece of an all-space text).
    """
    out: list[str] = _PIECE.findall(text)
    rest = len(text) - sum(map(len, out))  # trailing whitespace, if any
    if rest:
        if out:
            out[-1] += text[-rest:]
        else:
            out.append(text)
    return out


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the one text form of a schema or tool input."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _count_json(value: Any) -> int:
    try:
        return count_tokens(canonical_json(value))
    except TypeError:  # not JSON-serialisable: count its repr rather than fail
        return count_tokens(repr(value))


def _count_part(part: Any) -> int:
    """Tokens of one content part or block (either surface)."""
    if isinstance(part, str):
        return count_tokens(part)
    if not isinstance(part, Mapping):
        return _count_json(part)
    kind = part.get("type")
    if not isinstance(kind, str):  # nested blocks are not validated; a list is unhashable
        return _count_json(part)
    if kind in _TEXT_TYPES:
        text = part.get("text")
        return count_tokens(text) if isinstance(text, str) else 0
    if kind in _MEDIA_TYPES:
        return MEDIA_TOKENS
    if kind == "tool_use":
        name = part.get("name")
        return (count_tokens(name) if isinstance(name, str) else 0) + _count_json(
            part.get("input", {})
        )
    if kind == "tool_result":
        return _count_content(part.get("content", ""))
    if kind == "refusal":
        text = part.get("refusal")
        return count_tokens(text) if isinstance(text, str) else 0
    if kind in ("thinking", "redacted_thinking"):
        text = part.get("thinking") or part.get("data") or ""
        return count_tokens(text) if isinstance(text, str) else 0
    return _count_json(part)


def _count_content(content: Any) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count_tokens(content)
    if isinstance(content, list):
        return sum(_count_part(part) for part in content)
    return _count_json(content)


def _count_tool_calls(calls: Any) -> int:
    total = 0
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping):
            continue
        name, arguments = function.get("name"), function.get("arguments")
        total += count_tokens(name) if isinstance(name, str) else 0
        total += count_tokens(arguments) if isinstance(arguments, str) else 0
    return total


def _count_tools(tools: Iterable[tuple[Any, Any, Any]]) -> int:
    total = 0
    for name, description, schema in tools:
        total += TOOL_OVERHEAD
        total += count_tokens(name) if isinstance(name, str) else 0
        total += count_tokens(description) if isinstance(description, str) else 0
        total += _count_json(schema if schema is not None else {})
    return total


def count_openai_request(body: Mapping[str, Any]) -> int:
    """Prompt tokens of a Chat Completions request body (already validated)."""
    total = REPLY_PRIMING
    for message in body.get("messages") or ():
        content = _count_content(message.get("content"))
        content += _count_tool_calls(message.get("tool_calls"))
        if message.get("role") in ("system", "developer") and content == 0:
            continue
        total += MESSAGE_OVERHEAD + content
    tools = body.get("tools") or ()
    total += _count_tools(
        (f.get("name"), f.get("description"), f.get("parameters"))
        for f in (t.get("function") or {} for t in tools if isinstance(t, Mapping))
    )
    return total


def count_anthropic_request(body: Mapping[str, Any]) -> int:
    """Input tokens of a Messages (or count_tokens) request body (already validated)."""
    total = REPLY_PRIMING
    system = _count_content(body.get("system"))
    if system:
        total += MESSAGE_OVERHEAD + system
    for message in body.get("messages") or ():
        total += MESSAGE_OVERHEAD + _count_content(message.get("content"))
    tools = body.get("tools") or ()
    total += _count_tools(
        (t.get("name"), t.get("description"), t.get("input_schema"))
        for t in tools
        if isinstance(t, Mapping)
    )
    return total


def _item_text(item: Mapping[str, Any]) -> str:
    """The text a Responses input item contributes to the conversation seed."""
    kind = item.get("type", "message")
    if kind == "message":
        content = item.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(p["text"] for p in content or ()
                         if isinstance(p, Mapping) and p.get("type") in _TEXT_TYPES
                         and isinstance(p.get("text"), str))
    if kind == "function_call_output":
        output = item.get("output")
        return output if isinstance(output, str) else ""
    return ""


def responses_turns(body: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(role, text, tokens) per message of a Responses request, as Chat Completions has them.

    ``instructions`` is a system turn; developer is system; consecutive assistant-side
    items (assistant messages, function calls, reasoning) merge into one assistant turn.
    """
    turns: list[tuple[str, str, int]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        turns.append(("system", instructions, count_tokens(instructions)))
    raw = body.get("input")
    items: Iterable[Any] = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw or ()
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            role = {"developer": "system"}.get(str(item.get("role")), str(item.get("role")))
            tokens = _count_content(item.get("content"))
        elif kind == "function_call":
            role = "assistant"
            name, arguments = item.get("name"), item.get("arguments")
            tokens = (count_tokens(name) if isinstance(name, str) else 0) + (
                count_tokens(arguments) if isinstance(arguments, str) else 0)
        elif kind == "reasoning":
            role, tokens = "assistant", _count_content(item.get("content"))
        elif kind == "function_call_output":
            role, tokens = "tool", _count_content(item.get("output"))
        else:
            role, tokens = "user", _count_json(item)
        text = _item_text(item)
        if role == "assistant" and turns and turns[-1][0] == "assistant":
            _, before, counted = turns[-1]
            turns[-1] = ("assistant", before + text, counted + tokens)
        else:
            turns.append((role, text, tokens))
    return turns


def count_responses_request(body: Mapping[str, Any]) -> int:
    """Input tokens of a Responses request body (already validated)."""
    total = REPLY_PRIMING
    for role, _, tokens in responses_turns(body):
        if role == "system" and tokens == 0:
            continue
        total += MESSAGE_OVERHEAD + tokens
    tools = body.get("tools") or ()
    total += _count_tools(
        (t.get("name"), t.get("description"), t.get("parameters"))
        for t in tools
        if isinstance(t, Mapping)
    )
    return total


def count_embeddings_request(inputs: list[Any]) -> int:
    """Prompt tokens of an embeddings request: its texts' tokens, a token array's length."""
    return sum(count_tokens(i) if isinstance(i, str) else len(i) for i in inputs)
