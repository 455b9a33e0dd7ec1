"""gatecheck's HTTP transport: the bounds of gatecheck._bounds around httpx's own transport.

``BoundedTransport`` wraps ``httpx.HTTPTransport`` (``AsyncBoundedTransport`` the async one,
``gatecheck._sdk_http`` the same for httpx2, which the SDKs use) and, for every request:

1. refuses it unless it goes to the target's origin (``OffOriginError``);
2. sets its total deadline (``request.extensions["gatecheck.deadline"]``, a
   ``time.monotonic()`` value, else now + ``total``) for the socket operations of the sync
   transport (gatecheck._bounds.DeadlineBackend); the async client bounds itself with
   ``asyncio.timeout_at``;
3. checks the response headers against the caps (count and bytes);
4. hands the body on through a ``BodyMeter``: decoded bytes past the cap raise
   ``ResponseTooLargeError`` before the client's decoder sees the chunk.

Redirects are never followed (every client gatecheck builds sets ``follow_redirects=False``)
and the origin check holds even for a caller that turns following on.

The deadline backend is installed on httpx's connection pool (``transport._pool``), because
httpx offers no public way to pass httpcore a network backend; tests/test_bounds.py fails if
a new httpx moves it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpcore
import httpx

from gatecheck._bounds import (
    BodyMeter,
    Caps,
    DeadlineBackend,
    check_headers,
    check_origin,
    current_deadline,
    header_overflow,
    origin_of,
    set_deadline,
)

__all__ = ["DEADLINE", "AsyncBoundedTransport", "BoundedTransport", "install_deadlines"]

DEADLINE = "gatecheck.deadline"


def install_deadlines(transport: Any, httpcore_module: Any) -> None:
    """Put DeadlineBackend under an httpx/httpx2 HTTPTransport's pool (before any connect)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        raise RuntimeError("httpx's HTTPTransport no longer has _pool._network_backend: "
                           "gatecheck cannot bound its socket operations")
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend, httpcore_module)  # type: ignore[union-attr]


class _Bounds:
    """What both the sync and the async transports (and httpx2's) do around a request."""

    def __init__(self, origin: str | None, caps: Caps, total: float | None) -> None:
        self.caps = caps
        self.total = total
        self.origin = None
        if origin is not None:
            url = httpx.URL(origin)
            self.origin = origin_of(url.scheme, url.host, url.port)

    def before(self, request: Any) -> float | None:
        url = request.url
        where = f"{request.method} {url.scheme}://{url.host}:{url.port or ''}{url.path}"
        check_origin(origin_of(url.scheme, url.host, url.port), self.origin, where)
        deadline = request.extensions.get(DEADLINE)
        if deadline is None and self.total is not None:
            deadline = time.monotonic() + self.total
        return float(deadline) if deadline is not None else None

    def where(self, request: Any) -> str:
        return f"{request.method} {request.url.path}"

    def after(self, request: Any, response: Any) -> BodyMeter:
        check_headers(list(response.headers.raw), self.caps, self.where(request))
        encoding = ", ".join(response.headers.get_list("content-encoding"))
        return BodyMeter(encoding, self.caps.max_body_bytes, self.where(request))


class _MeteredStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, meter: BodyMeter, where: str) -> None:
        self._inner = inner
        self._meter = meter
        self._where = where

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._meter.feed(chunk)
                yield chunk
        except httpx.RemoteProtocolError as exc:
            overflow = header_overflow(exc, self._where)
            if overflow is None:
                raise
            raise overflow from exc

    def close(self) -> None:
        self._inner.close()


class _AsyncMeteredStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, meter: BodyMeter) -> None:
        self._inner = inner
        self._meter = meter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._meter.feed(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.BaseTransport):
    """httpx.HTTPTransport with gatecheck's bounds (see the module docstring)."""

    def __init__(self, *, origin: str | None, caps: Caps = Caps(),  # noqa: B008 - frozen
                 total: float | None = None, inner: httpx.BaseTransport | None = None) -> None:
        self._bounds = _Bounds(origin, caps, total)
        if inner is None:
            # trust_env=False: proxy variables must never route target traffic elsewhere.
            inner = httpx.HTTPTransport(trust_env=False)
            install_deadlines(inner, httpcore)
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = self._bounds.before(request)
        outer = current_deadline()
        set_deadline(deadline)
        try:
            response = self._inner.handle_request(request)
        except httpx.RemoteProtocolError as exc:
            overflow = header_overflow(exc, self._bounds.where(request))
            if overflow is None:
                raise
            raise overflow from exc
        finally:
            set_deadline(outer)
        try:
            meter = self._bounds.after(request, response)
        except BaseException:
            response.close()
            raise
        response.stream = _MeteredStream(response.stream, meter, self._bounds.where(request))
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncBoundedTransport(httpx.AsyncBaseTransport):
    """The asyncio twin: origin, header and body caps (the client keeps the deadline)."""

    def __init__(self, *, origin: str | None, caps: Caps = Caps(),  # noqa: B008 - frozen
                 inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._bounds = _Bounds(origin, caps, None)
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._bounds.before(request)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.RemoteProtocolError as exc:
            overflow = header_overflow(exc, self._bounds.where(request))
            if overflow is None:
                raise
            raise overflow from exc
        try:
            meter = self._bounds.after(request, response)
        except BaseException:
            await response.aclose()
            raise
        response.stream = _AsyncMeteredStream(response.stream, meter)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
