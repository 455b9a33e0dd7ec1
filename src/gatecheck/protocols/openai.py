"""OpenAI Chat Completions on the wire: the facts the mock, proxy, load and matrix share.

The judge keeps its own expectations (``gatecheck.checks.errors``): these tables say what
gatecheck's own parts send, and a test states where the two differ on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CHAT_PATH",
    "ERRORS",
    "MODELS_PATH",
    "chat_request",
    "error_object",
]

CHAT_PATH: Final = "/chat/completions"  # under the API root (.../v1)
MODELS_PATH: Final = "/models"

# status -> (error type, code) as OpenAI sends them [OAI-ERRDOC]; the SDKs pick their
# exception class from the status alone, so the type is for people and logs.
ERRORS: Final[Mapping[int, tuple[str, str | None]]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "model_not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", "bad_gateway"),
    503: ("service_unavailable_error", "server_is_overloaded"),
    504: ("server_error", "timeout"),
}


def chat_request(model: str, prompt: str, *, max_tokens: int, stream: bool = False,
                 include_usage: bool = False) -> dict[str, Any]:
    """The smallest ``POST /chat/completions`` body: one user message.

    ``include_usage`` asks a stream for its usage chunk (``stream_options``), without which
    a gateway sends no usage at all.
    """
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens,
                            "messages": [{"role": "user", "content": prompt}]}
    if stream:
        body["stream"] = True
        if include_usage:
            body["stream_options"] = {"include_usage": True}
    return body


def error_object(message: str, error_type: str, code: str | None = None,
                 param: str | None = None) -> dict[str, Any]:
    """The OpenAI envelope with all four keys (ERR-1), also a mid-stream error chunk (STR-O10)."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}
