"""Error translation between the OpenAI and Anthropic envelopes, keeping each status's meaning.

Status policy (Appendix B of the conformance checklist; ERR-3, ERR-5, LIM-6):

* 4xx statuses keep their number; the type is chosen from the status (SDKs pick their
  exception class from the status alone).
* Overload: an OpenAI upstream's 503 (``server_is_overloaded``) or 529 reaches an Anthropic
  client as 529 ``overloaded_error`` (the Anthropic SDK's ``OverloadedError``, retried). An
  Anthropic 529 reaches an OpenAI client as 503 ``service_unavailable_error`` /
  ``server_is_overloaded``: OpenAI documents 503 for overload, and clients other than
  openai-python do not all treat an unknown 529 as retryable.
* Other 5xx keep their number with ``api_error`` / ``server_error``; turning an upstream 5xx
  into the proxy's own 502 is the proxy's decision, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatecheck.protocols import anthropic, openai

__all__ = [
    "anthropic_error_to_openai",
    "openai_error_to_anthropic",
]

# Anthropic error type -> (OpenAI type, OpenAI code), codes as OpenAI itself sends them.
_OPENAI_BY_ANTHROPIC_TYPE: Mapping[str, tuple[str, str | None]] = {
    "invalid_request_error": ("invalid_request_error", None),
    "authentication_error": ("invalid_request_error", "invalid_api_key"),
    "permission_error": ("permission_error", None),
    "not_found_error": ("invalid_request_error", "model_not_found"),
    "request_too_large": ("invalid_request_error", "request_too_large"),
    "rate_limit_error": ("rate_limit_error", "rate_limit_exceeded"),
    "billing_error": ("insufficient_quota", "insufficient_quota"),
    "timeout_error": ("timeout_error", "timeout"),
    "api_error": ("server_error", None),
    "overloaded_error": ("service_unavailable_error", "server_is_overloaded"),
}


def _message(body: Any, status: int) -> str:
    """The human-readable message of any error body, envelope or not (ERR-8: no HTML dumps)."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str) and inner:
            return inner
        if isinstance(body.get("message"), str):  # vLLM's and others' flat envelopes
            return str(body["message"])
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if (
        isinstance(body, str)
        and body.strip()
        and len(body) <= 300
        and not body.lstrip().startswith("<")
    ):
        return body.strip()
    return f"upstream returned HTTP {status}"


def openai_error_to_anthropic(status: int, body: Any) -> tuple[int, dict[str, Any]]:
    """An OpenAI-format upstream error -> (status, Anthropic envelope) for an Anthropic client."""
    inner = body.get("error") if isinstance(body, Mapping) else None
    code = inner.get("code") if isinstance(inner, Mapping) else None
    if status in (503, 529):
        status = 529
    error_type = anthropic.error_type(status)
    if status == 429 and code == "insufficient_quota":
        error_type = "billing_error"  # retrying cannot fix an empty balance
    return status, anthropic.error_object(error_type, _message(body, status))


def anthropic_error_to_openai(status: int, body: Any) -> tuple[int, dict[str, Any]]:
    """An Anthropic-format upstream error -> (status, OpenAI envelope) for an OpenAI client."""
    inner = body.get("error") if isinstance(body, Mapping) else None
    declared = inner.get("type") if isinstance(inner, Mapping) else None
    if isinstance(declared, str) and declared in _OPENAI_BY_ANTHROPIC_TYPE:
        error_type = declared
    else:
        error_type = anthropic.error_type(status)
    if status == 529 or error_type == "overloaded_error":
        status, error_type = 503, "overloaded_error"
    openai_type, code = _OPENAI_BY_ANTHROPIC_TYPE.get(error_type, ("server_error", None))
    if status < 500 and openai_type == "server_error":
        openai_type = "invalid_request_error"
    message = _message(body, status)
    if status == 400 and message.startswith("prompt is too long"):
        # OpenAI clients (LangChain, LiteLLM) detect a window overflow by this code (ERR-9)
        return status, openai.error_object(message, openai_type, "context_length_exceeded",
                                           "messages")
    return status, openai.error_object(message, openai_type, code)
