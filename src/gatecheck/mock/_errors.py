"""Error envelopes of both surfaces, with the status <-> type tables of the real APIs."""

from __future__ import annotations

import os

import orjson

__all__ = [
    "REASONS",
    "anthropic_error",
    "context_length_error",
    "context_window",
    "error_for_status",
    "openai_error",
]

# OpenAI: status -> (type, code, message); the shapes follow real OpenAI bodies.
_OPENAI: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "permission_denied", "You are not allowed to use this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    413: ("invalid_request_error", "request_too_large", "Request too large."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", "bad_gateway", "Bad gateway."),
    503: (
        "service_unavailable_error",
        "server_is_overloaded",
        "The server is overloaded. Please try again later.",
    ),
    504: ("server_error", "timeout", "The upstream timed out."),
    529: ("server_error", "overloaded", "Overloaded."),
}
# Anthropic: status -> (type, message), per the Messages API error docs.
_ANTHROPIC: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error."),
    502: ("api_error", "Bad gateway."),
    503: ("api_error", "Service unavailable."),
    504: ("timeout_error", "Request timed out."),
    529: ("overloaded_error", "Overloaded"),
}
REASONS = {400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529}


def openai_error(
    message: str,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> bytes:
    """``{"error": {message, type, param, code}}`` with all four keys, as OpenAI sends."""
    return orjson.dumps(
        {"error": {"message": message, "type": type_, "param": param, "code": code}}
    )


def anthropic_error(message: str, type_: str = "invalid_request_error") -> bytes:
    """``{"type": "error", "error": {type, message}, "request_id"}`` as Anthropic sends."""
    return orjson.dumps(
        {
            "type": "error",
            "error": {"type": type_, "message": message},
            "request_id": "req_mock" + os.urandom(8).hex(),
        }
    )


def error_for_status(surface: str, status: int, message: str | None = None) -> bytes:
    """The body a real API sends with ``status``, for any 4xx/5xx (unlisted ones by class)."""
    if surface == "anthropic":
        type_, default = _ANTHROPIC.get(
            status, ("invalid_request_error", "Error.") if status < 500 else ("api_error", "Error.")
        )
        return anthropic_error(message or default, type_)
    kind, code, text = _OPENAI.get(
        status,
        ("invalid_request_error", None, "Error.")
        if status < 500
        else ("server_error", None, "Error."),
    )
    return openai_error(message or text, kind, None, code)


def context_window(fault: str | None, context: int | None, prompt_tokens: int) -> int | None:
    """The window a prompt of ``prompt_tokens`` overflows, or None when it fits.

    ``fault=context-length`` always overflows: the window is ``context`` when the prompt
    exceeds it, else one token less than the prompt (so the message's numbers stay true).
    """
    if context is not None and prompt_tokens > context:
        return context
    if fault == "context-length":
        return max(prompt_tokens - 1, 0)
    return None


def context_length_error(surface: str, prompt_tokens: int, window: int) -> bytes:
    """The 400 body each real API sends for a prompt longer than the model's window."""
    if surface == "anthropic":
        return anthropic_error(f"prompt is too long: {prompt_tokens} tokens > {window} maximum")
    return openai_error(
        f"This model's maximum context length is {window} tokens. However, your messages "
        f"resulted in {prompt_tokens} tokens. Please reduce the length of the messages.",
        "invalid_request_error",
        "messages",
        "context_length_exceeded",
    )
