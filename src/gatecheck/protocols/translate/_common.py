"""Shared pieces of the OpenAI <-> Anthropic translation: the error type, ids, JSON helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = [
    "TranslationError",
    "anthropic_message_id",
    "dumps",
    "loads_object",
    "openai_completion_id",
    "text_of",
]


class TranslationError(ValueError):
    """A body that the other wire format cannot express.

    Raised for client requests (the proxy answers 400 in the caller's envelope) and for upstream
    responses or chunks that break their own format (the proxy answers 502). ``param`` names the
    offending request field when there is one, for the OpenAI envelope's ``param``.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def dumps(value: Any) -> str:
    """Compact JSON text (tool arguments are JSON *strings* on the OpenAI side)."""
    return orjson.dumps(value).decode()


def loads_object(text: str | None, *, what: str) -> dict[str, Any]:
    """Parse tool-call arguments into the JSON object Anthropic requires (W-7).

    An empty or missing string is ``{}``: models calling a tool without parameters often send
    nothing at all, and that is not an error.
    """
    if text is None or not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise TranslationError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise TranslationError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _suffix(ident: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if ident.startswith(prefix):
            return ident[len(prefix) :]
    return ident


def openai_completion_id(message_id: str) -> str:
    """``msg_X`` -> ``chatcmpl-X``: the same suffix, so logs on both sides correlate."""
    return "chatcmpl-" + _suffix(message_id, ("msg_",))


def anthropic_message_id(completion_id: str) -> str:
    """``chatcmpl-X`` -> ``msg_X`` (the inverse of :func:`openai_completion_id`)."""
    return "msg_" + _suffix(completion_id, ("chatcmpl-",))


def text_of(content: Any, *, what: str) -> str:
    """The text of a content value that may only hold text: a string or a list of text parts.

    Used for system prompts and tool results, where both formats accept text only (here).
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces: list[str] = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise TranslationError(f"{what} may only contain text parts, got {kind!r}")
            pieces.append(str(part.get("text", "")))
        return "".join(pieces)
    raise TranslationError(f"{what} must be a string or a list of text parts")
