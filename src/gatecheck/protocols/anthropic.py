"""Anthropic Messages on the wire: the facts the mock, proxy, load and matrix share.

The judge keeps its own expectations (``gatecheck.checks.errors``): these tables say what
gatecheck's own parts send, and a test states where the two differ on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "COUNT_TOKENS_PATH",
    "ERROR_TYPES",
    "MESSAGES_PATH",
    "VERSION",
    "VERSION_HEADER",
    "error_object",
    "error_type",
    "messages_request",
]

MESSAGES_PATH: Final = "/messages"  # under the API root (.../v1)
COUNT_TOKENS_PATH: Final = "/messages/count_tokens"
VERSION_HEADER: Final = "anthropic-version"
VERSION: Final = "2023-06-01"  # the version every official SDK sends [ANT-PY]

# status -> error type, per Anthropic's error docs [ANT-ERRDOC]; 402 (billing), 408 and
# 504 (timeouts) are the types the docs list for them. Other statuses: see error_type().
ERROR_TYPES: Final[Mapping[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    """The type for ``status``: the documented one, else api_error (5xx) or
    invalid_request_error (4xx)."""
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def messages_request(model: str, prompt: str, *, max_tokens: int,
                     stream: bool = False) -> dict[str, Any]:
    """The smallest ``POST /messages`` body: one user message (max_tokens is required)."""
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens,
                            "messages": [{"role": "user", "content": prompt}]}
    if stream:
        body["stream"] = True
    return body


def error_object(error_type: str, message: str) -> dict[str, Any]:
    """The Anthropic envelope (ERR-2), also the ``data`` of an ``event: error`` (STR-A7)."""
    return {"type": "error", "error": {"type": error_type, "message": message}}
