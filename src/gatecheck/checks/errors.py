"""Error judges: envelopes per surface, status <-> type mapping, never-200 errors (ERR-*)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any, cast

from gatecheck import Surface
from gatecheck.checks._common import (
    NOT_JSON,
    ResponseLike,
    excerpt,
    exchange_of,
    header,
    json_of,
    media_type,
)
from gatecheck.checks._failures import ExchangeLike, expect, warn

__all__ = [
    "ANTHROPIC_ERROR_TYPES",
    "ANTHROPIC_STATUS_TYPES",
    "RETRYABLE",
    "anthropic_error_envelope",
    "context_length_exceeded",
    "error_envelope",
    "error_message_is_clean",
    "error_message_text",
    "error_object",
    "error_type_is_a_string",
    "is_retryable",
    "method_not_allowed",
    "no_error_in_success",
    "openai_error_envelope",
    "status_in",
    "status_matches_type",
]


ANTHROPIC_ERROR_TYPES = frozenset({
    "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
    "rate_limit_error", "timeout_error", "overloaded_error", "api_error", "billing_error",
    "request_too_large",
})
# Appendix B of the checklist: the type each documented status must carry.
ANTHROPIC_STATUS_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
    500: "api_error", 529: "overloaded_error",
}
RETRYABLE = frozenset({408, 409, 429})  # plus every status >= 500 (SDK _should_retry)
# Text that betrays a stack trace, a Python repr or error message, or an HTTP library's
# exception leaking into a client-facing message (LiteLLM: "'int' object is not iterable",
# "<ssl.SSLContext object at 0x7f..>", aiohttp's TransferEncodingError; Portkey on Node:
# "fetch failed Cause: SocketError: other side closed Name: TypeError", undici's codes and
# the system's errno names).
_LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|<[\w.]+ object at 0x"
    r"|\{'[a-z_]+': |\b(?:KeyError|AttributeError|TypeError|ValueError)\("
    r"|'\w+' object (?:is not|has no) |\b(?:aiohttp|httpx|httpcore|undici)\.\w"
    r"|\b(?:TransferEncodingError|ClientConnectorError|ServerDisconnectedError"
    r"|ClientPayloadError)\b"
    r"|\bfetch failed\b|\bSocketError\b|\bName: \w*Error\b|\bUND_ERR_[A-Z_]+"
    r"|\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|PIPE|HOSTUNREACH)\b|\[Errno \d+\]")
_KEYLIKE = re.compile(r"\b(?:sk-(?:ant-)?|gk-|pk-)[A-Za-z0-9_-]{16,}")


def is_retryable(status: int) -> bool:
    """Whether the official SDKs retry this status (so it must not be used for auth errors)."""
    return status in RETRYABLE or status >= 500


def status_in(response: ResponseLike, allowed: Collection[int], what: str, *,
              cause: str | None = None) -> None:
    """The response status is one of `allowed` (a generic building block).

    ``cause`` names what a wrong status shows (a cause id of ``gatecheck.findings``).
    """
    body = excerpt(response.content)
    expect(response.status in allowed, f"{what}: unexpected status {response.status}",
           expected=" or ".join(str(s) for s in sorted(allowed)),
           observed=f"{response.status} {body}", exchange=exchange_of(response), cause=cause)


def _json_body(response: ResponseLike, envelope: str, cause: str) -> Any:
    exchange = exchange_of(response)
    expect(media_type(response.headers) == "application/json",
           f"error {response.status} is not application/json",
           expected="Content-Type: application/json",
           observed=f"Content-Type: {header(response.headers, 'content-type')!r}, body "
                    f"{excerpt(response.content, 160)}", exchange=exchange,
           cause="error-content-type")
    body = json_of(response.content)
    expect(body is not NOT_JSON, f"error {response.status} body is not JSON",
           expected=envelope, observed=excerpt(response.content), exchange=exchange, cause=cause)
    return body


def _type_cause(value: Any, envelope_cause: str) -> str:
    """error-type-null for a null or non-string type; the envelope's cause otherwise."""
    return "error-type-null" if not isinstance(value, str) else envelope_cause


def openai_error_envelope(response: ResponseLike) -> dict[str, Any]:
    """ERR-1: `{"error": {"message": str, "type": str, "param": str|null, "code": str|null}}`.

    Catches the seed bugs: `error` as a string or `true`, integer `code` (HTTP status),
    LiteLLM's stringified `"None"` values, missing keys. Returns the inner error object.
    """
    shape = '{"error": {"message": str, "type": str, "param": str|null, "code": str|null}}'
    exchange = exchange_of(response)
    cause = "openai-envelope"
    body = _object(_json_body(response, shape, cause), "error body is not a JSON object",
                   shape, exchange, cause)
    error = _object(body.get("error"), "`error` is not an object (string, bool or missing)",
                    shape, exchange, cause)
    missing = [k for k in ("message", "type", "param", "code") if k not in error]
    expect(not missing, f"error object lacks {missing}", expected=shape,
           observed=excerpt(body), exchange=exchange, cause=cause)
    expect(isinstance(error["message"], str) and bool(error["message"].strip()),
           "error.message is not a non-empty string", expected="a human-readable message",
           observed=repr(error["message"]), exchange=exchange, cause=cause)
    expect(isinstance(error["type"], str) and bool(error["type"]),
           "error.type is not a non-empty string", expected="e.g. invalid_request_error",
           observed=repr(error["type"]), exchange=exchange,
           cause=_type_cause(error["type"], cause))
    for key in ("param", "code"):
        value = error[key]
        expect(value is None or (isinstance(value, str) and not isinstance(value, bool)),
               f"error.{key} is not a string or null", expected="string or null (code is never "
               "an integer HTTP status)", observed=repr(value), exchange=exchange, cause=cause)
    stringified = [k for k in ("type", "param", "code") if error[k] in ("None", "null", "")]
    expect(not stringified, f"error fields {stringified} hold a stringified None/null",
           expected="JSON null, not the text 'None'", observed=excerpt(error), exchange=exchange,
           cause=cause)
    return error


def _object(value: Any, message: str, shape: str, exchange: Any, cause: str) -> dict[str, Any]:
    expect(isinstance(value, dict), message, expected=shape, observed=excerpt(value),
           exchange=exchange, cause=cause)
    return cast(dict[str, Any], value)


def anthropic_error_envelope(response: ResponseLike) -> dict[str, Any]:
    """ERR-2: `{"type": "error", "error": {"type": <ErrorType>, "message": str}}`.

    A missing top-level `request_id` is a WARN (SHOULD). Returns the inner error object.
    """
    shape = '{"type": "error", "error": {"type": <ErrorType>, "message": str}}'
    exchange = exchange_of(response)
    cause = "anthropic-envelope"
    body = _object(_json_body(response, shape, cause), "error body is not a JSON object",
                   shape, exchange, cause)
    expect(body.get("type") == "error", 'top-level "type" is not "error"', expected=shape,
           observed=excerpt(body), exchange=exchange, cause=cause)
    error = _object(body.get("error"), "`error` is not an object", shape, exchange, cause)
    expect(error.get("type") in ANTHROPIC_ERROR_TYPES, "error.type is not an Anthropic ErrorType",
           expected=" | ".join(sorted(ANTHROPIC_ERROR_TYPES)), observed=repr(error.get("type")),
           exchange=exchange, cause=_type_cause(error.get("type"), cause))
    expect(isinstance(error.get("message"), str) and bool(error["message"].strip()),
           "error.message is not a non-empty string", expected="a human-readable message",
           observed=repr(error.get("message")), exchange=exchange, cause=cause)
    if "request_id" not in body:
        warn("Anthropic error body has no top-level request_id", exchange=exchange)
    return error


def error_envelope(surface: Surface, response: ResponseLike) -> dict[str, Any]:
    """The envelope judge of `surface` (ERR-1 or ERR-2)."""
    if surface == "anthropic":
        return anthropic_error_envelope(response)
    return openai_error_envelope(response)


def error_object(response: ResponseLike) -> dict[str, Any]:
    """The inner error object, leniently: {} when the body has none.

    For checks that judge one property of an error (its type, its message): the envelope
    itself is ERR-1 / ERR-2's business, so a broken envelope fails only those checks.
    """
    body = json_of(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def status_matches_type(surface: Surface, response: ResponseLike, error: dict[str, Any]) -> None:
    """ERR-3: the error type agrees with the status (SDKs pick the exception from the status)."""
    status, kind, code = response.status, error.get("type"), error.get("code")
    exchange = exchange_of(response)
    if not isinstance(kind, str) and status != 429:
        # No type to compare (no envelope, or a null type): the envelope judges say so
        # (ERR-1 / ERR-2, ERR-11); blaming the pairing too would report one defect twice.
        return
    if surface == "anthropic":
        wanted = ANTHROPIC_STATUS_TYPES.get(status)
        if wanted is not None:
            expect(kind == wanted, f"status {status} carries error.type {kind!r}",
                   expected=f"{wanted} for {status}", observed=repr(kind), exchange=exchange,
                   cause="error-status-type")
        return
    if status == 429:
        expect(kind in ("rate_limit_exceeded", "insufficient_quota", "requests", "tokens")
               or code in ("rate_limit_exceeded", "insufficient_quota"),
               "429 does not say rate_limit_exceeded or insufficient_quota",
               expected="type or code rate_limit_exceeded / insufficient_quota",
               observed=f"type={kind!r} code={code!r}", exchange=exchange,
               cause="error-status-type")
    elif 400 <= status < 500:
        expect(kind not in ("server_error", "api_error", "internal_error"),
               f"client error {status} typed as a server error",
               expected="a client error type (e.g. invalid_request_error)",
               observed=repr(kind), exchange=exchange, cause="error-status-type")
    elif status >= 500:
        expect(kind not in ("invalid_request_error",), f"server error {status} typed as a client "
               "error", expected="server_error / service_unavailable_error",
               observed=repr(kind), exchange=exchange, cause="error-status-type")


def no_error_in_success(response: ResponseLike) -> None:
    """ERR-4: a 2xx never carries an error body (or `null`)."""
    if not 200 <= response.status < 300:
        return
    exchange = exchange_of(response)
    if media_type(response.headers) != "application/json":
        return
    body = json_of(response.content)
    expect(body is not None and body is not NOT_JSON, f"{response.status} with a null/invalid body",
           expected="a success body", observed=excerpt(response.content), exchange=exchange,
           cause="error-200")
    if isinstance(body, dict):
        suspect = [k for k in ("error", "html-message", "detail") if body.get(k)]
        expect(not suspect and body.get("type") != "error" and body.get("status") != "failure",
               f"{response.status} carries an error body", expected="a success body (errors use "
               "a 4xx/5xx status)", observed=excerpt(body), exchange=exchange, cause="error-200")


def method_not_allowed(response: ResponseLike) -> None:
    """ERR-7: an unsupported method on a known route is 405 with an `Allow` header."""
    exchange = exchange_of(response)
    expect(response.status == 405, "unsupported method is not answered 405",
           expected="405 Method Not Allowed", observed=f"{response.status} "
           f"{excerpt(response.content, 160)}", exchange=exchange)
    expect(bool(header(response.headers, "allow")), "405 without an Allow header",
           expected="Allow: POST (RFC 9110)", observed="no Allow header", exchange=exchange)


def error_message_is_clean(response: ResponseLike, message: str, *,
                           secrets: Iterable[str] = (), internals: Iterable[str] = ()) -> None:
    """ERR-8 / AUTH-8: no stack trace, Python repr, library error or credential in a message.

    ``internals`` are strings a client must never read, such as the upstream's address.
    """
    exchange = exchange_of(response)
    leak = _LEAKS.search(message)
    expect(leak is None, "error message leaks a stack trace, Python repr or library error",
           expected="a human-readable message",
           observed=f"{leak.group(0)!r} in {excerpt(message)}" if leak else "",
           exchange=exchange, cause="error-leaks")
    named = [s for s in internals if s and s in message]
    expect(not named, "error message names the gateway's upstream",
           expected="no upstream address or internal name",
           observed=f"{named[0]!r} in {excerpt(message)}" if named else "",
           exchange=exchange, cause="error-leaks")
    echoed = [s for s in secrets if s and len(s) >= 8 and s in message]
    expect(not echoed and _KEYLIKE.search(message) is None,
           "error message echoes a credential", expected="keys masked (e.g. sk-ab***yz)",
           observed="a full key in the message", exchange=exchange, cause="error-leaks")


def error_message_text(response: ResponseLike) -> str:
    """The message a client reads from an error, whatever its envelope.

    ``error.message`` of either surface, else a top-level ``message`` (Portkey's own
    ``{"status": "failure", "message": ...}``), else the whole body as text: ERR-8 judges
    what the client is shown, and the envelope is ERR-1 / ERR-2's business.
    """
    body = json_of(response.content)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return cast(str, error["message"])
        if isinstance(body.get("message"), str):
            return cast(str, body["message"])
    return response.content.decode("utf-8", "replace")


def error_type_is_a_string(value: Any, *, what: str,
                           exchange: ExchangeLike | None = None) -> None:
    """ERR-11: an error object's ``type`` is a non-empty string (never null, a number or absent).

    ``value`` is an error body or event (``{"error": {...}}`` or Anthropic's
    ``{"type": "error", "error": {...}}``); one without an error object is not judged here
    (the envelope checks judge that). openai-python raises ``APIError`` with ``type=None``
    and clients that branch on the type (rate limit, overload) take the wrong branch.
    """
    error = value.get("error") if isinstance(value, dict) else None
    if not isinstance(error, dict):
        return
    kind = error.get("type", _ABSENT)
    expect(isinstance(kind, str) and bool(kind.strip()),
           f"{what}: error.type is {'absent' if kind is _ABSENT else repr(kind)}",
           expected="a string error type (e.g. server_error, api_error, overloaded_error)",
           observed=excerpt(value), exchange=exchange, cause="error-type-null")


_ABSENT = object()


def context_length_exceeded(surface: Surface, response: ResponseLike) -> None:
    """ERR-9: a prompt over the model's window is 400 invalid_request_error on both surfaces.

    Not 413 (Anthropic's bytes limit, which clients handle by shrinking the body, not the
    conversation), not a 200 or a 200 stream (LiteLLM #6629: the client sees a reply), not
    5xx (the SDKs retry what can never succeed). On OpenAI the code context_length_exceeded
    is how clients spot it (a warning when missing).
    """
    exchange = exchange_of(response)
    expect(response.status == 400, f"context length exceeded answered {response.status}",
           expected="400 invalid_request_error",
           observed=f"{response.status} {excerpt(response.content)}", exchange=exchange)
    error = error_object(response)
    expect(error.get("type") == "invalid_request_error",
           f"context length exceeded typed {error.get('type')!r}",
           expected="invalid_request_error", observed=excerpt(response.content),
           exchange=exchange)
    if surface == "openai" and error.get("code") != "context_length_exceeded":
        warn(f"context length exceeded has code {error.get('code')!r}, not "
             "'context_length_exceeded' (how OpenAI clients detect it)", exchange=exchange)
