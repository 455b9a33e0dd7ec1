"""Proxy errors and their two wire envelopes (OpenAI and Anthropic), JSON and in-stream.

One ``ProxyError`` carries a *kind* (what went wrong); the surface that was called decides
the envelope, the ``type`` string and, for overload, the status (Anthropic 529, OpenAI 503).
Upstream errors in the caller's own format keep their ``type``/``param``/``code`` (ERR-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from gatecheck import Surface
from gatecheck.protocols import anthropic, openai

__all__ = [
    "KINDS",
    "ProxyError",
    "Surface",
    "error_body",
    "error_event",
]


# kind -> (status, OpenAI type, default OpenAI code). Types follow conformance-checklist
# Appendix B; codes are strings or None, never integers (ERR-1). The Anthropic type is the
# protocol's own for the kind's status (gatecheck.protocols.anthropic.error_type).
KINDS: dict[str, tuple[int, str, str | None]] = {
    "invalid_request": (400, "invalid_request_error", None),
    "missing_key": (401, "invalid_request_error", "missing_api_key"),
    "invalid_key": (401, "invalid_request_error", "invalid_api_key"),
    "permission": (403, "permission_error", "insufficient_permissions"),
    "not_found": (404, "invalid_request_error", "not_found"),
    "model_not_found": (404, "invalid_request_error", "model_not_found"),
    "method_not_allowed": (405, "invalid_request_error", "method_not_allowed"),
    "too_large": (413, "invalid_request_error", "request_too_large"),
    "rate_limit": (429, "rate_limit_error", "rate_limit_exceeded"),
    "api_error": (500, "server_error", None),
    "upstream": (502, "server_error", "upstream_error"),
    "upstream_auth": (502, "server_error", "upstream_auth_failed"),
    "unavailable": (503, "service_unavailable_error", "service_unavailable"),
    "overloaded": (529, "service_unavailable_error", "server_is_overloaded"),
    "timeout": (504, "timeout_error", "upstream_timeout"),
}

# Statuses with an Anthropic-only meaning, as seen by OpenAI clients (LIM-6: overload is 503).
_OPENAI_STATUS = {529: 503}


class ProxyError(Exception):
    """An error answer of the proxy. ``kind`` is a key of ``KINDS``.

    ``status`` overrides the kind's status (an upstream 409 stays 409); ``openai_type``,
    ``anthropic_type`` and ``code`` override the kind's strings when an upstream envelope
    of the caller's format supplied them. ``headers`` travel with the answer (Retry-After).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        param: str | None = None,
        code: str | None = None,
        openai_type: str | None = None,
        anthropic_type: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        base_status, o_type, o_code = KINDS[kind]
        self.kind = kind
        self.message = message
        self._status = status or base_status
        self.param = param
        self.code = code if code is not None else o_code
        self.openai_type = openai_type or o_type
        self.anthropic_type = anthropic_type or anthropic.error_type(base_status)
        self.headers = list(headers)

    def status_for(self, surface: Surface) -> int:
        if surface == "openai":
            return _OPENAI_STATUS.get(self._status, self._status)
        return self._status

    def openai_error(self) -> dict[str, Any]:
        return openai.error_object(self.message, self.openai_type, self.code, self.param)

    def anthropic_error(self) -> dict[str, Any]:
        return anthropic.error_object(self.anthropic_type, self.message)


def error_body(err: ProxyError, surface: Surface, request_id: str) -> bytes:
    """The JSON body of an error answer in the envelope of ``surface`` (ERR-1, ERR-2)."""
    if surface == "openai":
        return orjson.dumps(err.openai_error())
    return orjson.dumps({**err.anthropic_error(), "request_id": request_id})


def error_event(err: ProxyError, surface: Surface) -> bytes:
    """One in-stream error event for a failure after the 200 (STR-O10, STR-A7)."""
    if surface == "openai":
        # Data-only, like every OpenAI chunk: openai-python raises APIError on `error`.
        return b"data: " + orjson.dumps(err.openai_error()) + b"\n\n"
    data = orjson.dumps(err.anthropic_error())
    return b"event: error\ndata: " + data + b"\n\n"
