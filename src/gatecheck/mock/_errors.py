"""Error envelopes of both surfaces, with the status <-> type tables of the real APIs."""

from __future__ import annotations

import os

import orjson

from gatecheck.protocols import anthropic, openai

__all__ = [
    "REASONS",
    "anthropic_error",
    "context_length_error",
    "context_window",
    "error_for_status",
    "openai_error",
]

# The mock's wording per status (OpenAI, Anthropic); types and codes are the protocols'.
_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Invalid request.", "Invalid request."),
    401: ("Incorrect API key provided.", "invalid x-api-key"),
    403: ("You are not allowed to use this model.",
          "Your API key does not have permission to use the specified resource."),
    404: ("The model does not exist or you do not have access to it.", "Not found."),
    413: ("Request too large.", "Request exceeds the maximum allowed number of bytes."),
    429: ("Rate limit reached for requests. Please try again later.",
          "Number of requests has exceeded your rate limit."),
    500: ("The server had an error while processing your request.", "Internal server error."),
    502: ("Bad gateway.", "Bad gateway."),
    503: ("The server is overloaded. Please try again later.", "Service unavailable."),
    504: ("The upstream timed out.", "Request timed out."),
    529: ("Overloaded.", "Overloaded"),
}
# OpenAI never sends 529; the mock can (fault=529 on either surface), so it says what for.
_OPENAI_EXTRA: dict[int, tuple[str, str | None]] = {529: ("server_error", "overloaded")}
REASONS = {400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529}


def openai_error(
    message: str,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> bytes:
    """``{"error": {message, type, param, code}}`` with all four keys, as OpenAI sends."""
    return orjson.dumps(openai.error_object(message, type_, code, param))


def anthropic_error(message: str, type_: str = "invalid_request_error") -> bytes:
    """``{"type": "error", "error": {type, message}, "request_id"}`` as Anthropic sends."""
    return orjson.dumps({**anthropic.error_object(type_, message),
                         "request_id": "req_mock" + os.urandom(8).hex()})


def error_for_status(surface: str, status: int, message: str | None = None) -> bytes:
    """The body a real API sends with ``status``, for any 4xx/5xx (unlisted ones by class)."""
    texts = _MESSAGES.get(status, ("Error.", "Error."))
    if surface == "anthropic":
        return anthropic_error(message or texts[1], anthropic.error_type(status))
    fallback: tuple[str, str | None] = (
        ("invalid_request_error", None) if status < 500 else ("server_error", None))
    kind, code = openai.ERRORS.get(status) or _OPENAI_EXTRA.get(status) or fallback
    return openai_error(message or texts[0], kind, None, code)


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
