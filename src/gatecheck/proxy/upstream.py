"""The upstream side: pooled aiohttp sessions per provider, key round-robin, error mapping.

aiohttp rather than httpx, measured (benchmarks/bench_upstream_client.py): against the mock on
this 2-core box, httpx.AsyncClient managed ~1,500 sequential and only ~500 requests/s at 32
concurrent requests (its connection pool degrades under concurrency), aiohttp ~4,200 and
~3,900. The proxy's throughput goal (part 2) is out of reach with the former. The
``Upstream`` class is the seam where part 2 adds retries, a circuit breaker and limits.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from gatecheck import ConfigError
from gatecheck.protocols.translate import anthropic_error_to_openai, openai_error_to_anthropic
from gatecheck.proxy.breaker import CircuitBreaker
from gatecheck.proxy.config import ProviderConfig, ProxyConfig
from gatecheck.proxy.errors import ProxyError, Surface
from gatecheck.proxy.retry import resend_on_stale_connection

__all__ = [
    "ProviderState",
    "Upstream",
    "forwardable_headers",
    "map_upstream_error",
    "read_error_body",
    "transport_error",
]

MAX_UPSTREAM_BODY = 64 << 20
_FORWARD_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
_FORWARD_NAMES = frozenset({"retry-after", "retry-after-ms", "x-should-retry"})
# Exceptions of the upstream exchange that are the upstream's fault, not the proxy's.
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# How long an idle pooled connection is kept. Below the idle timeouts servers commonly
# use (uvicorn 5 s, Node.js 5 s, nginx 75 s), so the proxy drops a connection before the
# upstream does: a close that crosses a request on the wire is a spurious 502 (seen once
# under load against the mock). The rare crossing left is resent once (retry.py).
KEEPALIVE_S = 4.0


class _Attempt:
    """Per-request trace context: whether aiohttp took the connection from its pool."""

    __slots__ = ("reused",)

    def __init__(self) -> None:
        self.reused = False


async def _on_reuse(session: Any, ctx: Any, params: Any) -> None:
    if isinstance(ctx.trace_request_ctx, _Attempt):
        ctx.trace_request_ctx.reused = True


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_connection_reuseconn.append(_on_reuse)
    return config


def forwardable_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Upstream headers a client needs: Retry-After and rate-limit families (LIM-3)."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in _FORWARD_NAMES or lower.startswith(_FORWARD_PREFIXES):
            out.append((lower, value))
    return out


@dataclass(slots=True)
class ProviderState:
    """What the proxy has seen of one provider; /health reports it, part 2 adds the breaker."""

    requests: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_ok: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    reachable: bool | None = None  # from the last TCP probe or exchange
    probed_at: float = field(default=0.0)
    breaker: CircuitBreaker | None = None  # set by dispatch.Dispatcher


class Upstream:
    """Sends requests to providers. Created per app; ``aclose`` at shutdown."""

    def __init__(self, config: ProxyConfig, *, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._config = config
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._keys: dict[str, Iterator[str] | None] = {}
        self._roots = {p.name: p.api_root for p in config.providers}
        self.secrets: list[str] = []
        self.state = {p.name: ProviderState() for p in config.providers}
        for provider in config.providers:
            values = []
            for name in provider.api_key_envs:
                value = env.get(name)
                if not value:
                    raise ConfigError(
                        f"{config.source}: provider '{provider.name}': environment variable "
                        f"{name} is not set"
                    )
                values.append(value)
            self.secrets.extend(values)
            self._keys[provider.name] = itertools.cycle(values) if values else None

    def _session(self, provider: ProviderConfig) -> aiohttp.ClientSession:
        session = self._sessions.get(provider.name)
        if session is None or session.closed:
            t = self._config.timeouts_for(provider)
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=provider.max_connections, limit_per_host=0, keepalive_timeout=KEEPALIVE_S
                ),
                trace_configs=[_trace_config()],
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=t.connect, sock_connect=t.connect,
                    sock_read=t.idle or t.read,  # each read: the idle gap of a stream
                ),
                # No cookies, no environment proxies or netrc: traffic goes where the config
                # says, and a provider's Set-Cookie never leaks from one client to another.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
            self._sessions[provider.name] = session
        return session

    def headers(
        self,
        provider: ProviderConfig,
        request_id: str,
        client_headers: Mapping[str, str],
        *,
        stream: bool,
    ) -> dict[str, str]:
        """Request headers for ``provider``: its auth (round-robin key) and protocol headers."""
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
            "x-request-id": request_id,
        }
        keys = self._keys[provider.name]
        key = next(keys) if keys is not None else None
        if provider.format == "anthropic":
            headers["anthropic-version"] = (
                client_headers.get("anthropic-version") or self._config.anthropic_version
            )
            beta = client_headers.get("anthropic-beta")
            if beta:
                headers["anthropic-beta"] = beta
            if key:
                headers["x-api-key"] = key
        elif key:
            headers["authorization"] = f"Bearer {key}"
        return headers

    async def post(
        self, provider: ProviderConfig, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """A non-stream exchange bounded by the provider's total deadline."""
        session = self._session(provider)
        total = self._config.timeouts_for(provider).total
        self.state[provider.name].requests += 1
        url = self._roots[provider.name] + path
        try:
            async with asyncio.timeout(total):
                response = await self._send(session, url, body, headers)
                async with response:
                    content = await _read_capped(response)
                    status = response.status
                    response_headers = list(response.headers.items())
        except TRANSPORT_ERRORS as exc:
            raise self._failed(provider, exc) from None
        self._seen(provider, status)
        return status, response_headers, content

    @asynccontextmanager
    async def stream(
        self, provider: ProviderConfig, path: str, body: bytes, headers: dict[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a streamed exchange; errors before the response headers become ProxyErrors."""
        session = self._session(provider)
        self.state[provider.name].requests += 1
        url = self._roots[provider.name] + path
        try:
            response = await self._send(session, url, body, headers)
        except TRANSPORT_ERRORS as exc:
            raise self._failed(provider, exc) from None
        self._seen(provider, response.status)
        try:
            yield response
        finally:
            response.close()  # a stream we stop reading is not put back in the pool

    @staticmethod
    async def _send(
        session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        """POST up to the response headers; resent once if a stale pooled connection failed.

        aiohttp resends on a stale connection by itself only for idempotent methods; a
        POST the upstream never saw (it closed the idle connection) is just as safe.
        """
        attempt = _Attempt()
        try:
            return await session.post(url, data=body, headers=headers, trace_request_ctx=attempt)
        except TRANSPORT_ERRORS as exc:
            if not resend_on_stale_connection(exc, reused=attempt.reused):
                raise
        return await session.post(url, data=body, headers=headers, trace_request_ctx=_Attempt())

    def _seen(self, provider: ProviderConfig, status: int) -> None:
        state = self.state[provider.name]
        state.reachable = True
        if status >= 500:
            state.failures += 1
            state.consecutive_failures += 1
            state.last_error, state.last_error_at = f"HTTP {status}", time.time()
        else:
            state.consecutive_failures = 0
            state.last_ok = time.time()

    def _failed(self, provider: ProviderConfig, exc: BaseException) -> ProxyError:
        state = self.state[provider.name]
        state.failures += 1
        state.consecutive_failures += 1
        state.last_error_at = time.time()
        return transport_error(provider, exc, state)

    async def probe(self, provider: ProviderConfig, *, ttl: float = 2.0) -> bool:
        """Whether the provider accepts TCP connections (cached ``ttl`` s). Never a model call."""
        state = self.state[provider.name]
        now = time.monotonic()
        if state.reachable is not None and now - state.probed_at < ttl:
            return state.reachable
        parts = urlsplit(provider.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            async with asyncio.timeout(1.0):
                _, writer = await asyncio.open_connection(parts.hostname, port)
            writer.close()
            state.reachable = True
        except (OSError, TimeoutError):
            state.reachable = False
            state.last_error, state.last_error_at = "connection refused", time.time()
        state.probed_at = now
        return state.reachable

    async def aclose(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()


def transport_error(
    provider: ProviderConfig, exc: BaseException, state: ProviderState | None = None
) -> ProxyError:
    """Timeouts -> 504, every other transport failure -> 502 (never the client's fault)."""
    if isinstance(exc, TimeoutError):
        what = "connect" if isinstance(exc, aiohttp.ConnectionTimeoutError) else "response"
        message = f"Upstream provider '{provider.name}' timed out ({what})."
        kind = "timeout"
    else:
        message = f"Upstream provider '{provider.name}' is unreachable or closed the connection."
        kind = "upstream"
        if state is not None:
            state.reachable = not isinstance(exc, aiohttp.ClientConnectorError)
    if state is not None:
        state.last_error = message
    return ProxyError(kind, message)


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > MAX_UPSTREAM_BODY:
            raise ProxyError("upstream", "Upstream response is larger than the proxy's limit.")
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_error_body(response: aiohttp.ClientResponse) -> bytes:
    """An upstream error body, capped at 64 KiB (it is only turned into a message)."""
    try:
        return await response.content.read(65536)
    except TRANSPORT_ERRORS:
        return b""


_KIND_BY_STATUS = {400: "invalid_request", 404: "not_found", 413: "too_large", 429: "rate_limit"}


def map_upstream_error(
    provider: ProviderConfig,
    surface: Surface,
    status: int,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    scrub: Any = None,
) -> ProxyError:
    """Turn an upstream non-2xx answer into the client's error, keeping its meaning (ERR-5).

    401/403 from upstream mean the *proxy's* provider key is bad: 502 with a message saying
    so, never a 401 that would look like the client's key failed (seed-systems, gatewayz).
    503 and 529 both mean "overloaded, retry later": 529 ``overloaded_error`` on Anthropic,
    503 on OpenAI (LIM-6, as the translate package maps them). Other 5xx -> 502.
    4xx keep their status and, from an envelope in the caller's own format, type/param/code.
    """

    forwarded = forwardable_headers(headers)
    try:
        parsed: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = body.decode("utf-8", "replace")
    if provider.format == surface:
        envelope = parsed
    elif provider.format == "openai":
        _, envelope = openai_error_to_anthropic(status, parsed)
    else:
        _, envelope = anthropic_error_to_openai(status, parsed)
    inner = envelope.get("error") if isinstance(envelope, dict) else None
    inner = inner if isinstance(inner, dict) else {}
    message = inner.get("message") if isinstance(inner.get("message"), str) else None
    if message is None:
        _, fallback = openai_error_to_anthropic(status, parsed)
        message = str(fallback["error"]["message"])
    if scrub is not None:
        message = scrub(message)
    if status in (401, 403):
        return ProxyError(
            "upstream_auth",
            f"The gateway's credentials for upstream provider '{provider.name}' were rejected "
            f"(HTTP {status}). This is a gateway configuration problem, not your API key.",
            headers=[h for h in forwarded if h[0] == "retry-after"],
        )
    if status in (503, 529):
        return ProxyError("overloaded", message, headers=forwarded)
    if status >= 500:
        return ProxyError(
            "upstream",
            f"Upstream provider '{provider.name}' failed (HTTP {status}): {message}",
            headers=forwarded,
        )
    kind = _KIND_BY_STATUS.get(status, "invalid_request")
    typ = inner.get("type") if isinstance(inner.get("type"), str) else None
    code = inner.get("code") if isinstance(inner.get("code"), str) else None
    param = inner.get("param") if isinstance(inner.get("param"), str) else None
    return ProxyError(
        kind,
        message,
        status=status,
        param=param,
        code=code,
        openai_type=typ if surface == "openai" else None,
        anthropic_type=typ if surface == "anthropic" else None,
        headers=forwarded,
    )
