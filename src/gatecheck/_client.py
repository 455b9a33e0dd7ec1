"""The gateway client on httpx (sync and async): auth, bounded time and size, timed, recorded.

Every request is bounded: ``Timeouts.connect`` and ``Timeouts.read`` per network operation
(capped at ``total``), ``Timeouts.total`` across the whole exchange (httpx has no such
deadline), ``max_response_bytes`` for the body counted *decoded* (a gzip bomb stops at the
cap), and caps on the response headers (count and bytes). It never leaves the base URL's
origin: redirects are not followed (the wire references document no 3xx for any endpoint,
so a redirect is an answer for the check to judge, never something to chase) and a request
to another origin is refused. Every request leaves a redacted ``Exchange`` (on the Response,
or on the raised error as ``.exchange``; build cost is only paid when it is read). Non-2xx
statuses are answers, not errors: the caller judges them.

The bounds live in the transport (gatecheck._transport), so the SDK clients built by
gatecheck._sdk_http share them. How the total deadline is enforced: the sync client puts it
on the request, and the transport caps every socket operation (connect, write, each read,
headers dripped byte by byte included) at the time left; the async client (asyncio only)
wraps each network wait in ``asyncio.timeout_at``. With a non-socket transport (e.g.
``httpx.MockTransport``) the deadline is checked between chunks.

Auth per request: omit ``auth`` to use the client's; pass ``auth=None`` or ``auth=Auth()`` to
send no credentials, or another ``Auth`` to override. Failures raise TargetUnreachableError,
ClientTimeoutError, ResponseTooLargeError, OffOriginError or StreamError (a body that could
not be decoded), each carrying ``.exchange`` (read it with ``exchange_of(err)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import httpx

from gatecheck._bounds import Caps, accept_encoding
from gatecheck._client_base import (
    DEFAULT_AUTH,
    AuthArg,
    StreamState,
    exchange_of,
    prepare,
    read_all,
    read_all_async,
)
from gatecheck._exceptions import HarnessError
from gatecheck._exchange import Auth, Exchange, Timeouts
from gatecheck._redact import Redactor, default_redactor, is_secret_name
from gatecheck._responses import AsyncStreamResponse, Response, StreamResponse
from gatecheck._timing import Wire
from gatecheck._transport import DEADLINE, AsyncBoundedTransport, BoundedTransport

__all__ = [
    "AsyncGatewayClient",
    "AsyncStreamResponse",
    "Auth",
    "Exchange",
    "GatewayClient",
    "Response",
    "StreamResponse",
    "Timeouts",
    "exchange_of",
]

_USER_AGENT = "gatecheck"
ExchangeHook = Callable[[Exchange], None]
# Headers a request gets from its path (a gateway that routes each API family by a header of
# its own, as Portkey's x-portkey-provider): under the explicit ones, over the defaults.
RouteHeaders = Callable[[str], Mapping[str, str]]


class _ClientBase:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        timeouts: Timeouts,
        max_response_bytes: int,
        redactor: Redactor | None,
        headers: Mapping[str, str] | None,
        surface: Wire | None,
        keep_raw_bytes: int,
        on_exchange: ExchangeHook | None,
        route_headers: RouteHeaders | None = None,
    ) -> None:
        if max_response_bytes <= 0:
            raise ValueError("max_response_bytes must be positive")
        self.base_url = base_url
        self.auth = auth
        self.timeouts = timeouts
        self.max_response_bytes = max_response_bytes
        self.redactor = redactor if redactor is not None else default_redactor()
        self.surface = surface
        self.keep_raw_bytes = keep_raw_bytes
        self.on_exchange = on_exchange
        self.route_headers = route_headers
        # Only the codings whose decoding the transport can bound are offered.
        self.headers = {"user-agent": _USER_AGENT, "accept-encoding": accept_encoding(),
                        **(headers or {})}
        self.caps = Caps(max_body_bytes=max_response_bytes)
        if auth.secret:
            self.redactor.add_secret(auth.secret)
        for name, value in self.headers.items():
            if is_secret_name(name):  # e.g. a gateway's own key header from the target config
                self.redactor.add_secret(value.removeprefix("Bearer ").strip())

    def _prepare(self, http: httpx.Client | httpx.AsyncClient, method: str, path: str, *,
                 json: Any, content: bytes | None, headers: Mapping[str, str] | None,
                 params: Mapping[str, str] | None, auth: AuthArg, surface: Wire | None,
                 stream: bool) -> tuple[httpx.Request, StreamState]:
        defaults: Mapping[str, str] = self.headers
        if self.route_headers is not None:
            routed = self.route_headers(path)
            for name, value in routed.items():
                if is_secret_name(name):
                    self.redactor.add_secret(value)
            defaults = {**self.headers, **routed}
        return prepare(
            http, method, path, json=json, content=content, default_headers=defaults,
            headers=headers, params=params, auth=self.auth if auth is DEFAULT_AUTH else auth,
            surface=surface if surface is not None else self.surface, stream=stream,
            timeouts=self.timeouts, redactor=self.redactor,
            max_response_bytes=self.max_response_bytes, keep_raw_bytes=self.keep_raw_bytes,
            on_exchange=self.on_exchange,
        )


class GatewayClient(_ClientBase):
    """A synchronous client for one gateway (also what Locust users use, under gevent)."""

    def __init__(
        self,
        base_url: str,
        auth: Auth = Auth(),  # noqa: B008 - frozen dataclass, safe as a default
        *,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 - frozen dataclass
        max_response_bytes: int = 8 << 20,
        redactor: Redactor | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        surface: Wire | None = None,
        keep_raw_bytes: int = 256 << 10,
        on_exchange: ExchangeHook | None = None,
        route_headers: RouteHeaders | None = None,
    ) -> None:
        super().__init__(base_url, auth, timeouts=timeouts, max_response_bytes=max_response_bytes,
                         redactor=redactor, headers=headers, surface=surface,
                         keep_raw_bytes=keep_raw_bytes, on_exchange=on_exchange,
                         route_headers=route_headers)
        self._inner = transport
        # trust_env=False: proxy variables must never route loopback test traffic elsewhere.
        bounded = BoundedTransport(origin=base_url, caps=self.caps, total=timeouts.total,
                                   inner=transport)
        self._http = httpx.Client(base_url=base_url, transport=bounded, trust_env=False,
                                  follow_redirects=False, max_redirects=0,
                                  timeout=timeouts.to_httpx())

    def request(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
                surface: Wire | None = None) -> Response:
        """Send a request and read the whole body (bounded in time and size)."""
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=False)
        with self._open(request, state) as chunks:
            content = read_all(state, chunks)
        return Response(state, content)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    @contextlib.contextmanager
    def stream(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
               headers: Mapping[str, str] | None = None,
               params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
               surface: Wire | None = None) -> Iterator[StreamResponse]:
        """Send a request and read the body as it arrives (see StreamResponse)."""
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=True)
        with self._open(request, state) as chunks:
            yield StreamResponse(state, chunks)

    @contextlib.contextmanager
    def _open(self, request: httpx.Request, state: StreamState) -> Iterator[Iterator[bytes]]:
        state.on_send()
        request.extensions[DEADLINE] = state.deadline  # the transport caps each socket wait
        try:
            response = self._http.send(request, stream=True)
        except (httpx.HTTPError, HarnessError) as exc:
            error = state.adopt(exc, "before the response headers")
            state.on_close()
            raise error from exc
        try:
            state.on_headers(response)
            yield self._chunks(response, state)
        finally:
            response.close()
            state.on_close()

    @staticmethod
    def _chunks(response: httpx.Response, state: StreamState) -> Iterator[bytes]:
        it = response.iter_bytes()
        while True:
            try:
                chunk = next(it)
            except StopIteration:
                return
            except (httpx.HTTPError, HarnessError) as exc:
                del it  # httpx's generators hold the last decoded chunk: free them now
                raise state.adopt(exc, "while reading the body") from exc
            if time.monotonic() > state.deadline:  # a transport without sockets (mocks)
                raise state.deadline_error()
            yield chunk

    def fresh(self) -> GatewayClient:
        """A new client with these settings and a connection pool of its own: to send a
        request again where a kept-alive connection was closed under it (close it after)."""
        return GatewayClient(
            self.base_url, self.auth, timeouts=self.timeouts,
            max_response_bytes=self.max_response_bytes, redactor=self.redactor,
            headers=self.headers, transport=self._inner, surface=self.surface,
            keep_raw_bytes=self.keep_raw_bytes, on_exchange=self.on_exchange,
            route_headers=self.route_headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncGatewayClient(_ClientBase):
    """The asyncio twin of GatewayClient (same arguments, awaitable methods)."""

    def __init__(
        self,
        base_url: str,
        auth: Auth = Auth(),  # noqa: B008 - frozen dataclass, safe as a default
        *,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 - frozen dataclass
        max_response_bytes: int = 8 << 20,
        redactor: Redactor | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        surface: Wire | None = None,
        keep_raw_bytes: int = 256 << 10,
        on_exchange: ExchangeHook | None = None,
        route_headers: RouteHeaders | None = None,
    ) -> None:
        super().__init__(base_url, auth, timeouts=timeouts, max_response_bytes=max_response_bytes,
                         redactor=redactor, headers=headers, surface=surface,
                         keep_raw_bytes=keep_raw_bytes, on_exchange=on_exchange,
                         route_headers=route_headers)
        bounded = AsyncBoundedTransport(origin=base_url, caps=self.caps, inner=transport)
        self._http = httpx.AsyncClient(base_url=base_url, transport=bounded, trust_env=False,
                                       follow_redirects=False, max_redirects=0,
                                       timeout=timeouts.to_httpx())

    async def request(self, method: str, path: str, *, json: Any = None,
                      content: bytes | None = None, headers: Mapping[str, str] | None = None,
                      params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
                      surface: Wire | None = None) -> Response:
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=False)
        async with self._open(request, state) as chunks:
            content = await read_all_async(state, chunks)
        return Response(state, content)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Response:
        return await self.request("POST", path, **kwargs)

    @contextlib.asynccontextmanager
    async def stream(self, method: str, path: str, *, json: Any = None,
                     content: bytes | None = None, headers: Mapping[str, str] | None = None,
                     params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
                     surface: Wire | None = None) -> AsyncIterator[AsyncStreamResponse]:
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=True)
        async with self._open(request, state) as chunks:
            yield AsyncStreamResponse(state, chunks)

    @contextlib.asynccontextmanager
    async def _open(self, request: httpx.Request,
                    state: StreamState) -> AsyncIterator[AsyncIterator[bytes]]:
        loop = asyncio.get_running_loop()
        # The deadline in the loop's clock (time.monotonic() on every standard loop).
        loop_deadline = loop.time() + (state.deadline - time.monotonic())
        state.on_send()
        try:
            async with asyncio.timeout_at(loop_deadline):
                response = await self._http.send(request, stream=True)
        except TimeoutError:
            error = state.deadline_error("before the response headers")
            state.on_close()
            raise error from None
        except (httpx.HTTPError, HarnessError) as exc:
            error = state.adopt(exc, "before the response headers")
            state.on_close()
            raise error from exc
        try:
            state.on_headers(response)
            yield self._chunks(response, state, loop_deadline)
        finally:
            await response.aclose()
            state.on_close()

    @staticmethod
    async def _chunks(response: httpx.Response, state: StreamState,
                      loop_deadline: float) -> AsyncIterator[bytes]:
        it = response.aiter_bytes()
        while True:
            try:
                async with asyncio.timeout_at(loop_deadline):
                    chunk = await anext(it)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise state.deadline_error() from None
            except (httpx.HTTPError, HarnessError) as exc:
                del it  # httpx's generators hold the last decoded chunk: free them now
                raise state.adopt(exc, "while reading the body") from exc
            yield chunk

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

