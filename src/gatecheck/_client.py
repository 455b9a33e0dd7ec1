"""The gateway client on httpx (sync and async): auth, bounded time and size, timed, recorded.

Every request is bounded three ways: ``Timeouts.connect`` and ``Timeouts.read`` per network
operation (capped at ``total``), ``Timeouts.total`` across the whole exchange (httpx has no
such deadline, so it is enforced here), and ``max_response_bytes`` for the body (read in
chunks, never trusted from Content-Length alone). Every request leaves a redacted
``Exchange`` (on the Response, or on the raised error as ``.exchange``; build cost is only
paid when it is read). Non-2xx statuses are answers, not errors: the caller judges them.

How the total deadline is enforced: the async client (asyncio only) wraps each network wait
in ``asyncio.timeout_at``. The sync client cannot interrupt a blocking read, so: the wait for
the headers gets a read timeout capped at the time left (an httpcore trace hook adjusts it
just before the wait starts, also on a reused connection); while a body or stream is read, a
shared watchdog thread shuts the socket down at the deadline, which ends the read at once;
and the deadline is checked after every read. The one wait it cannot cut short is a server
dripping header bytes (each within the read timeout); the check right after the headers then
raises. With a non-socket transport (e.g. ``httpx.MockTransport``) the deadline is checked
between chunks.

Auth per request: omit ``auth`` to use the client's; pass ``auth=None`` or ``auth=Auth()`` to
send no credentials, or another ``Auth`` to override. Failures raise TargetUnreachableError,
ClientTimeoutError, ResponseTooLargeError or StreamError (a body that could not be decoded),
each carrying ``.exchange`` (read it with ``exchange_of(err)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import httpx

from gatecheck._client_base import (
    DEFAULT_AUTH,
    AuthArg,
    StreamState,
    exchange_of,
    failure,
    prepare,
)
from gatecheck._exchange import Auth, Exchange, Timeouts
from gatecheck._redact import Redactor, default_redactor, is_secret_name
from gatecheck._responses import AsyncStreamResponse, Response, StreamResponse
from gatecheck._timing import Wire
from gatecheck._watchdog import Alarm, watchdog

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
        self.headers = {"user-agent": _USER_AGENT, **(headers or {})}
        if auth.secret:
            self.redactor.add_secret(auth.secret)
        for name, value in self.headers.items():
            if is_secret_name(name):  # e.g. a gateway's own key header from the target config
                self.redactor.add_secret(value.removeprefix("Bearer ").strip())

    def _prepare(self, http: httpx.Client | httpx.AsyncClient, method: str, path: str, *,
                 json: Any, content: bytes | None, headers: Mapping[str, str] | None,
                 params: Mapping[str, str] | None, auth: AuthArg, surface: Wire | None,
                 stream: bool) -> tuple[httpx.Request, StreamState]:
        return prepare(
            http, method, path, json=json, content=content, default_headers=self.headers,
            headers=headers, params=params, auth=self.auth if auth is DEFAULT_AUTH else auth,
            surface=surface if surface is not None else self.surface, stream=stream,
            timeouts=self.timeouts, redactor=self.redactor,
            max_response_bytes=self.max_response_bytes, keep_raw_bytes=self.keep_raw_bytes,
            on_exchange=self.on_exchange,
        )


_TIGHTEN = frozenset({"http11.receive_response_headers.started",
                      "http11.receive_response_body.started"})


def _deadline_trace(state: StreamState) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore trace hook that caps the next phase's read timeout at the time left.

    httpcore reads the request's timeout dict when it starts waiting for the headers and
    again for the body, right after these trace events; so a reused connection that waits
    for headers is bounded by the deadline too, not just by a fresh read timeout.
    """

    def trace(name: str, info: dict[str, Any]) -> None:
        if name in _TIGHTEN:
            timeouts = info["request"].extensions.get("timeout")
            if isinstance(timeouts, dict):
                left = max(state.deadline - time.monotonic(), 0.001)
                read = timeouts.get("read")
                timeouts["read"] = left if read is None else min(read, left)

    return trace


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
    ) -> None:
        super().__init__(base_url, auth, timeouts=timeouts, max_response_bytes=max_response_bytes,
                         redactor=redactor, headers=headers, surface=surface,
                         keep_raw_bytes=keep_raw_bytes, on_exchange=on_exchange)
        # trust_env=False: proxy variables must never route loopback test traffic elsewhere.
        self._http = httpx.Client(base_url=base_url, transport=transport, trust_env=False,
                                  follow_redirects=False, timeout=timeouts.to_httpx())

    def request(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
                surface: Wire | None = None) -> Response:
        """Send a request and read the whole body (bounded in time and size)."""
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=False)
        with self._open(request, state) as chunks:
            body = bytearray()
            for chunk in chunks:
                state.count(chunk)
                body += chunk
            content_bytes = bytes(body)
            state.on_end(body=content_bytes)
        return Response(state, content_bytes)

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
        request.extensions["trace"] = _deadline_trace(state)
        state.on_send()
        try:
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            error = failure(state, exc, "before the response headers")
            state.on_close()
            raise error from exc
        alarm = None
        try:
            state.on_headers(response)
            stream = response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                alarm = watchdog().arm(state.deadline, sock)
            yield self._chunks(response, state, alarm)
        finally:
            if alarm is not None:
                alarm.cancel()
            response.close()
            state.on_close()

    @staticmethod
    def _chunks(response: httpx.Response, state: StreamState,
                alarm: Alarm | None) -> Iterator[bytes]:
        it = response.iter_bytes()
        while True:
            try:
                chunk = next(it)
            except StopIteration:
                # httpx has already handed the connection back; if the alarm fired in that
                # window its socket reads EOF, so the pool drops it instead of reusing it.
                if alarm is not None and alarm.fired:
                    raise state.deadline_error() from None
                return
            except httpx.HTTPError as exc:
                if alarm is not None and alarm.fired:
                    raise state.deadline_error() from exc
                raise failure(state, exc, "while reading the body") from exc
            if time.monotonic() > state.deadline:
                raise state.deadline_error()
            yield chunk

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
    ) -> None:
        super().__init__(base_url, auth, timeouts=timeouts, max_response_bytes=max_response_bytes,
                         redactor=redactor, headers=headers, surface=surface,
                         keep_raw_bytes=keep_raw_bytes, on_exchange=on_exchange)
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, trust_env=False,
                                       follow_redirects=False, timeout=timeouts.to_httpx())

    async def request(self, method: str, path: str, *, json: Any = None,
                      content: bytes | None = None, headers: Mapping[str, str] | None = None,
                      params: Mapping[str, str] | None = None, auth: AuthArg = DEFAULT_AUTH,
                      surface: Wire | None = None) -> Response:
        request, state = self._prepare(self._http, method, path, json=json, content=content,
                                       headers=headers, params=params, auth=auth,
                                       surface=surface, stream=False)
        async with self._open(request, state) as chunks:
            body = bytearray()
            async for chunk in chunks:
                state.count(chunk)
                body += chunk
            content_bytes = bytes(body)
            state.on_end(body=content_bytes)
        return Response(state, content_bytes)

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
        except httpx.HTTPError as exc:
            error = failure(state, exc, "before the response headers")
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
            except httpx.HTTPError as exc:
                raise failure(state, exc, "while reading the body") from exc
            yield chunk

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

