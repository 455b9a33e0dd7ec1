"""The upstream side: pooled async HTTP clients per provider, key round-robin, error mapping.

httpx.AsyncClient, one per provider with keep-alive pooling: it is already the harness's
client library, it takes a MockTransport in tests, and on loopback its cost is a small part
of the request. aiohttp is not a dependency and was not shown to be faster here. The
``Upstream`` class is the seam where part 2 adds retries, a circuit breaker and limits.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from gatecheck._exceptions import ConfigError
from gatecheck.proxy.config import ProviderConfig, ProxyConfig
from gatecheck.proxy.errors import ProxyError, Surface

__all__ = ["ProviderState", "Upstream", "forwardable_headers", "map_upstream_error"]

MAX_UPSTREAM_BODY = 64 << 20
_FORWARD_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
_FORWARD_NAMES = frozenset({"retry-after", "retry-after-ms", "x-should-retry"})


def forwardable_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Upstream headers a client needs: Retry-After and rate-limit families (LIM-3)."""
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        if name in _FORWARD_NAMES or name.startswith(_FORWARD_PREFIXES):
            out.append((name, value))
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
    reachable: bool | None = None  # from the last TCP probe
    probed_at: float = field(default=0.0)


class Upstream:
    """Sends requests to providers. Created per app; ``aclose`` at shutdown."""

    def __init__(
        self,
        config: ProxyConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self._config = config
        self._transport = transport
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._keys: dict[str, Iterator[str] | None] = {}
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

    def _client(self, provider: ProviderConfig) -> httpx.AsyncClient:
        client = self._clients.get(provider.name)
        if client is None:
            t = self._config.timeouts_for(provider)
            client = httpx.AsyncClient(
                base_url=provider.api_root,
                transport=self._transport,
                timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
                limits=httpx.Limits(
                    max_connections=provider.max_connections,
                    max_keepalive_connections=provider.max_connections,
                ),
                # Trust nothing from the environment (proxies, netrc): traffic goes where
                # the config says and nowhere else.
                trust_env=False,
            )
            self._clients[provider.name] = client
        return client

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
    ) -> tuple[int, httpx.Headers, bytes]:
        """A non-stream exchange bounded by the provider's total deadline."""
        client = self._client(provider)
        total = self._config.timeouts_for(provider).total
        state = self.state[provider.name]
        state.requests += 1
        try:
            async with asyncio.timeout(total):
                response = await client.send(
                    client.build_request("POST", path, content=body, headers=headers), stream=True
                )
                try:
                    content = await _read_capped(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise self._failed(provider, exc) from None
        except httpx.HTTPError as exc:
            raise self._failed(provider, exc) from None
        self._seen(provider, response.status_code)
        return response.status_code, response.headers, content

    @asynccontextmanager
    async def stream(
        self, provider: ProviderConfig, path: str, body: bytes, headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed exchange; errors before the response headers become ProxyErrors."""
        client = self._client(provider)
        state = self.state[provider.name]
        state.requests += 1
        request = client.build_request("POST", path, content=body, headers=headers)
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._failed(provider, exc) from None
        self._seen(provider, response.status_code)
        try:
            yield response
        finally:
            await response.aclose()

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
        if self._transport is not None:  # in-process tests: the transport is the upstream
            state.reachable, state.probed_at = True, now
            return True
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
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()


def transport_error(
    provider: ProviderConfig, exc: BaseException, state: ProviderState | None = None
) -> ProxyError:
    """Timeouts -> 504, every other transport failure -> 502 (never the client's fault)."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        what = "connect" if isinstance(exc, httpx.ConnectTimeout) else "response"
        message = f"Upstream provider '{provider.name}' timed out ({what})."
        kind = "timeout"
    else:
        message = f"Upstream provider '{provider.name}' is unreachable or closed the connection."
        kind = "upstream"
        if state is not None:
            state.reachable = isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError)
    if state is not None:
        state.last_error = message
    return ProxyError(kind, message)


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_UPSTREAM_BODY:
            raise ProxyError("upstream", "Upstream response is larger than the proxy's limit.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_error_body(response: httpx.Response) -> bytes:
    """An upstream error body, capped at 64 KiB (it is only turned into a message)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > 65536:
            break
    return b"".join(chunks)[:65536]


_KIND_BY_STATUS = {400: "invalid_request", 404: "not_found", 413: "too_large", 429: "rate_limit"}


def map_upstream_error(
    provider: ProviderConfig,
    surface: Surface,
    status: int,
    headers: httpx.Headers,
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
    from gatecheck.protocols.translate import anthropic_error_to_openai, openai_error_to_anthropic

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
