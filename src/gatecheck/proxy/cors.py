"""CORS as the outermost pure-ASGI layer (before routing and auth), and request ids.

Preflights are answered here, so they never meet auth (CORS-3, the litellm-rs bug) and
get 204 with the requested headers reflected, x-stainless-* included (CORS-1/2, the
ollama/pollinations bugs). Every other response, errors and streams too, gets the origin
header for allowed origins (CORS-4). A disallowed origin gets no ACAO and never a 500
(CORS-9). With credentials the exact origin is sent, never ``*`` (CORS-5).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["CorsMiddleware", "request_id"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
_HEADER_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
METHODS = b"GET, POST, DELETE, OPTIONS"
DEFAULT_ALLOW_HEADERS = (
    b"authorization, content-type, x-api-key, anthropic-version, anthropic-beta, "
    b"x-request-id, x-stainless-arch, x-stainless-lang, x-stainless-os, "
    b"x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, "
    b"x-stainless-runtime-version, x-stainless-timeout"
)
EXPOSE_HEADERS = (
    b"x-request-id, request-id, retry-after, retry-after-ms, x-gatecheck-resolved-model, "
    b"x-ratelimit-limit-requests, x-ratelimit-limit-tokens, x-ratelimit-remaining-requests, "
    b"x-ratelimit-remaining-tokens, x-ratelimit-reset-requests, x-ratelimit-reset-tokens, "
    b"anthropic-ratelimit-requests-limit, anthropic-ratelimit-requests-remaining, "
    b"anthropic-ratelimit-requests-reset, anthropic-ratelimit-tokens-limit, "
    b"anthropic-ratelimit-tokens-remaining, anthropic-ratelimit-tokens-reset, "
    b"anthropic-ratelimit-input-tokens-limit, anthropic-ratelimit-input-tokens-remaining, "
    b"anthropic-ratelimit-input-tokens-reset, anthropic-ratelimit-output-tokens-limit, "
    b"anthropic-ratelimit-output-tokens-remaining, anthropic-ratelimit-output-tokens-reset"
)


def request_id(scope: Scope) -> str:
    """The request's id: a well-formed inbound x-request-id / request-id, else a new one."""
    rid: str | None = scope.get("gatecheck.request_id")
    if rid is not None:
        return rid
    for name, value in scope["headers"]:
        if name in (b"x-request-id", b"request-id") and _REQUEST_ID.match(value):
            rid = value.decode("ascii")
            break
    else:
        rid = "req_" + os.urandom(12).hex()
    scope["gatecheck.request_id"] = rid
    return rid


class CorsMiddleware:
    """Pure ASGI CORS; configured with allowed origins (``*`` = any, without credentials)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        origins: tuple[str, ...] = ("*",),
        allow_credentials: bool = False,
        max_age: int = 7200,
    ) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(o.encode("latin-1") for o in origins if o != "*")
        self.credentials = allow_credentials
        self.max_age = str(max_age).encode()

    def _allow_origin(self, origin: bytes | None) -> bytes | None:
        if self.any_origin and not self.credentials:
            return b"*"
        if origin is not None and (self.any_origin or origin in self.origins):
            return origin
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = acrm = acrh = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                acrm = value
            elif name == b"access-control-request-headers":
                acrh = value
        if scope["method"] == "OPTIONS" and origin is not None and acrm is not None:
            await self._preflight(scope, send, origin, acrh)
            return
        if origin is None and self.any_origin and not self.credentials:
            # Not a browser (no Origin) and nothing varies by origin: no CORS headers to
            # add, and no per-response work on the hot path of API clients.
            await self.app(scope, receive, send)
            return
        allow = self._allow_origin(origin)
        extra: list[tuple[bytes, bytes]] = []
        if allow is not None:
            extra.append((b"access-control-allow-origin", allow))
            extra.append((b"access-control-expose-headers", EXPOSE_HEADERS))
            if self.credentials:
                extra.append((b"access-control-allow-credentials", b"true"))
        if allow != b"*":
            extra.append((b"vary", b"Origin"))  # the answer depends on Origin (CORS-6)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, scope: Scope, send: Send, origin: bytes, acrh: bytes | None
    ) -> None:
        rid = request_id(scope).encode()
        headers = [
            (b"vary", b"Origin, Access-Control-Request-Headers"),
            (b"content-length", b"0"),
            (b"x-request-id", rid),
            (b"request-id", rid),
        ]
        allow = self._allow_origin(origin)
        if allow is not None:
            requested = [h.strip() for h in (acrh or b"").split(b",") if h.strip()]
            reflected = [h for h in requested if _HEADER_TOKEN.match(h)]
            headers += [
                (b"access-control-allow-origin", allow),
                (b"access-control-allow-methods", METHODS),
                (b"access-control-allow-headers",
                 b", ".join(reflected) if reflected else DEFAULT_ALLOW_HEADERS),
                (b"access-control-max-age", self.max_age),
                (b"access-control-expose-headers", EXPOSE_HEADERS),
            ]
            if self.credentials:
                headers.append((b"access-control-allow-credentials", b"true"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
