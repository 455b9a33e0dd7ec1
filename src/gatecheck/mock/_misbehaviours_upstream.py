"""Misbehaviours around the upstream leg: what a gateway sends the provider and what it makes
of the provider's failures (AUTH-11, AUTH-12, ERR-11, ERR-12, HEALTH-5, LIM-3, LIM-7).

Most act on the gateway's answers, like the other modes. Two act on the way out
(``UPSTREAM_SIDE``): a second wrapper in front of the mock (``side="upstream"``) rewrites the
credential the gateway sent, as a gateway that forwards its client's key (or a placeholder)
would. One (``retry-429-behind-client``) re-sends the request itself, as a gateway that waits
out an upstream 429 and retries it while the client waits.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from gatecheck.mock._misbehaviours import Exchange

__all__ = [
    "HEALTH_PATHS",
    "MODES",
    "RETRIES",
    "UPSTREAM_SIDE",
    "outbound_headers",
    "retry_after_of",
    "rewrite_answer",
    "rewrite_event",
]

MODES: dict[str, str] = {
    "null-error-type": "5xx error bodies and stream error events carry error.type null",
    "unreachable-as-500": "an unreachable upstream (fault=drop) answered 500, not 502/503/504",
    "no-health": "no health endpoint: every usual health path answers 404",
    "root-only-health": "no health path, but GET / answers 200 text (as Portkey's gateway)",
    "retry-429-behind-client": "upstream 429s waited out and retried 3 times, the client waiting",
    "prefixed-retry-after": "an upstream 429's Retry-After renamed llm_provider-retry-after",
    "flaky-invalid-500": "the first 4xx to a chat/messages request of each surface sent as 500",
    "forward-client-key": "the client's own key sent on to the upstream (the outbound leg)",
    "placeholder-credential": "Bearer undefined / an empty x-api-key sent to the upstream",
}
UPSTREAM_SIDE = frozenset({"forward-client-key", "placeholder-credential"})
RETRIES = 3  # retry-429-behind-client: four upstream calls, three Retry-After waits
HEALTH_PATHS = re.compile(r"^/(?:health|healthz|livez|readyz|ready|ping|status)(?:/.*)?$")
_NOT_FOUND = orjson.dumps({"error": {"message": "Not Found", "type": "invalid_request_error",
                                     "param": None, "code": None}})


def _headers(start: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    return list(start.get("headers", []))


def rewrite_answer(ex: Exchange, start: dict[str, Any], body: bytes
                   ) -> tuple[dict[str, Any], bytes]:
    """The (start, body) of a whole (non-stream) answer with these modes applied."""
    status: int = start["status"]
    if ex.on("root-only-health") and ex.method == "GET" and ex.path == "/":
        return ({**start, "status": 200, "headers": [(b"content-type", b"text/plain")]},
                b"AI Gateway says hey!")
    if (ex.on("no-health") or ex.on("root-only-health")) and ex.method == "GET" \
            and HEALTH_PATHS.match(ex.path):
        headers = [(k, v) for k, v in _headers(start) if k.lower() != b"content-type"]
        return ({**start, "status": 404,
                 "headers": [*headers, (b"content-type", b"application/json")]}, _NOT_FOUND)
    if ex.on("prefixed-retry-after") and status == 429 and ex.faulted:
        start = {**start, "headers": [(b"llm_provider-" + k if k.lower() == b"retry-after"
                                       else k, v) for k, v in _headers(start)]}
    if ex.on("unreachable-as-500") and status in (502, 503, 504) and b"fault=drop" in ex.body:
        start = {**start, "status": 500}
    if ex.on("flaky-invalid-500") and 400 <= status < 500 and ex.surface is not None \
            and not ex.shared.get(f"flaky-{ex.surface}"):
        ex.shared[f"flaky-{ex.surface}"] = True
        start = {**start, "status": 500}
    if ex.on("null-error-type") and start["status"] >= 500:
        body = _null_type(body)
    return start, body


def _null_type(data: bytes) -> bytes:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data
    error = value.get("error") if isinstance(value, dict) else None
    if not isinstance(error, dict):
        return data
    error["type"] = None
    return orjson.dumps(value)


def rewrite_event(ex: Exchange, block: str) -> str:
    """One SSE block with these modes applied (null-error-type on error events)."""
    if not ex.on("null-error-type") or '"error"' not in block:
        return block
    lines = []
    for line in block.split("\n"):
        if line.startswith("data:"):
            data = _null_type(line[5:].strip().encode()).decode()
            line = f"data: {data}"
        lines.append(line)
    return "\n".join(lines)


def retry_after_of(start: dict[str, Any]) -> float:
    """The Retry-After seconds of a buffered 429 (1 when absent or not a number)."""
    for name, value in _headers(start):
        if name.lower() == b"retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def outbound_headers(headers: list[tuple[bytes, bytes]], modes: frozenset[str], path: str,
                     shared: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The request headers the upstream gets, for the ``UPSTREAM_SIDE`` modes."""
    anthropic = path.endswith("/messages") or path.endswith("/count_tokens")
    keep = [(k, v) for k, v in headers if k.lower() not in (b"authorization", b"x-api-key")]
    if "forward-client-key" in modes and shared.get("client-credential"):
        key = str(shared["client-credential"]).encode()
        return [*keep, (b"x-api-key", key) if anthropic else (b"authorization", b"Bearer " + key)]
    if "placeholder-credential" in modes:
        # Portkey OSS with no client key: String(undefined) for OpenAI, "" for Anthropic
        return [*keep, (b"x-api-key", b"") if anthropic else (b"authorization",
                                                             b"Bearer undefined")]
    return headers
