"""The I/O-free half of the gateway client: request building, per-exchange state, error mapping.

GatewayClient and AsyncGatewayClient differ only in how they wait; everything they record
(stamps, size accounting, raw evidence, SSE decoding, the lazily redacted Exchange) and every
error they raise is built here, once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, Final

import httpx
import orjson

from gatecheck._exceptions import (
    ClientTimeoutError,
    HarnessError,
    ResponseTooLargeError,
    StreamError,
    TargetUnreachableError,
)
from gatecheck._exchange import Auth, Exchange, Timeouts, build_exchange, secret_env_of
from gatecheck._redact import Redactor
from gatecheck._sse import SseDecoder, SseEvent
from gatecheck._timing import Stamps, StreamMeter, Usage, Wire, usage_from

__all__ = ["DEFAULT_AUTH", "AuthArg", "StreamState", "exchange_of", "failure", "prepare",
           "read_all", "read_all_async"]


class _DefaultAuth:
    """The sentinel for "use the client's auth" (None means: send no credentials)."""

    def __repr__(self) -> str:
        return "<client auth>"


DEFAULT_AUTH: Final = _DefaultAuth()
AuthArg = Auth | _DefaultAuth | None


def exchange_of(error: BaseException) -> Exchange | None:
    """The Exchange a client error carries (None for errors raised elsewhere)."""
    value = getattr(error, "exchange", None)
    return value if isinstance(value, Exchange) else None


def _attach(error: HarnessError, exchange: Exchange) -> HarnessError:
    error.exchange = exchange
    return error


class StreamState:
    """Everything one exchange has recorded so far; the source of its Exchange."""

    def __init__(self, *, request: httpx.Request, body: bytes | None, stream: bool,
                 surface: Wire | None, timeouts: Timeouts, redactor: Redactor,
                 max_response_bytes: int, keep_raw_bytes: int,
                 secret_env: tuple[tuple[str, str], ...],
                 on_exchange: Callable[[Exchange], None] | None) -> None:
        self.request = request
        self.request_body = body
        self.stream = stream
        self.surface = surface
        self.timeouts = timeouts
        self.redactor = redactor
        self.max_bytes = max_response_bytes
        # A plain body is kept whole anyway; raw only matters if reading it fails midway.
        self.keep_raw = keep_raw_bytes if stream else min(keep_raw_bytes, 16 << 10)
        self.secret_env = secret_env
        self.on_exchange = on_exchange
        self.deadline = time.monotonic() + timeouts.total
        self.stamps = Stamps(send_ns=time.perf_counter_ns())
        self.meter: StreamMeter | None = None
        self.decoder = SseDecoder(max_stream_bytes=max(64 << 20, max_response_bytes + 1))
        self.status: int | None = None
        self.response_headers = httpx.Headers()
        self.raw = bytearray()
        self.received = 0
        self.body: bytes | None = None
        self.error: str | None = None
        self.ended = False
        self._closed_ns: int | None = None
        self._exchange: Exchange | None = None

    # -- the exchange's life, in order -------------------------------------------------------
    def on_send(self) -> None:
        """Stamp the send just before the request goes out; the total deadline starts here."""
        self.deadline = time.monotonic() + self.timeouts.total
        send_ns = time.perf_counter_ns()
        if self.stream and self.surface is not None:
            self.meter = StreamMeter(self.surface, send_ns)
            self.stamps = self.meter.stamps
        else:
            self.stamps = Stamps(send_ns=send_ns)

    def on_headers(self, response: httpx.Response) -> None:
        t_ns = time.perf_counter_ns()
        self.stamps.headers_ns = t_ns
        self.status = response.status_code
        self.response_headers = response.headers
        self._exchange = None
        if time.monotonic() > self.deadline:
            raise self.deadline_error("before the response headers")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise self.too_large(int(length), "announced by Content-Length")

    def count(self, chunk: bytes) -> None:
        """Account for one read: size cap and raw evidence."""
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise self.too_large(self.received, "read")
        room = self.keep_raw - len(self.raw)
        if room > 0:
            self.raw += chunk[:room]

    def on_chunk(self, chunk: bytes) -> list[SseEvent]:
        """Account for one read and decode it into events (fed to the meter, if any)."""
        self.count(chunk)
        try:
            events = self.decoder.feed(chunk)
        except StreamError as exc:
            raise self._fail(exc) from None
        if self.meter is not None:
            for event in events:
                self.meter.on_event(event)
        return events

    def on_end(self, body: bytes | None = None) -> None:
        """The body was read to its end."""
        t_ns = time.perf_counter_ns()
        self.stamps.end_ns = t_ns
        self.ended = True
        self.decoder.close()
        if body is not None:
            self.body = body
        self._exchange = None

    def on_close(self) -> None:
        """The exchange is over (read, abandoned or failed): report it once."""
        if self._closed_ns is not None:
            return
        self._closed_ns = time.perf_counter_ns()
        self._exchange = None
        if self.on_exchange is not None:
            self.on_exchange(self.exchange())

    # -- results --------------------------------------------------------------------------
    def usage_of(self, content: bytes) -> Usage | None:
        """Usage from a JSON body, when the surface is known (also sets output_tokens)."""
        if self.surface is None:
            return None
        try:
            payload = orjson.loads(content)
        except orjson.JSONDecodeError:
            return None
        raw = payload.get("usage") if isinstance(payload, dict) else None
        if raw is None:
            return None
        usage = usage_from(self.surface, raw)
        self.stamps.output_tokens = usage.output_tokens
        return usage

    def exchange(self) -> Exchange:
        """The redacted record (built on first use, rebuilt after the state changes)."""
        if self._exchange is None:
            end = self.stamps.end_ns or self._closed_ns or time.perf_counter_ns()
            body = self.body if self.body is not None else (bytes(self.raw) or None)
            self._exchange = build_exchange(
                self.redactor, method=self.request.method, url=str(self.request.url),
                request_headers=self.request.headers.multi_items(),
                request_body=self.request_body, status=self.status,
                response_headers=self.response_headers.multi_items(), response_body=body,
                response_bytes=self.received, duration_ms=(end - self.stamps.send_ns) / 1e6,
                error=self.error, stream=self.stream, secret_env=self.secret_env,
            )
        return self._exchange

    # -- errors ---------------------------------------------------------------------------
    def _fail(self, error: HarnessError) -> HarnessError:
        self.error = str(error)
        self._exchange = None
        return _attach(error, self.exchange())

    def _where(self) -> str:
        return f"{self.request.method} {self.redactor.url(str(self.request.url))}"

    def deadline_error(self, phase: str | None = None) -> HarnessError:
        phase = phase or f"after {self.received} bytes of the body"
        return self._fail(ClientTimeoutError(
            f"total deadline of {self.timeouts.total:g}s passed {phase} ({self._where()})"))

    def too_large(self, size: int, how: str) -> HarnessError:
        return self._fail(ResponseTooLargeError(
            f"response body of {size} bytes ({how}) exceeds max_response_bytes="
            f"{self.max_bytes} ({self._where()})", size=size, how=how))

    def adopt(self, exc: httpx.HTTPError | HarnessError, phase: str) -> HarnessError:
        """The harness error for a failure of the transport or of httpx, with the exchange."""
        if isinstance(exc, httpx.HTTPError):
            return failure(self, exc, phase)
        if isinstance(exc, ResponseTooLargeError) and exc.how != "headers":
            # The transport's meter: say it with this client's redacted request line. Its
            # traceback only runs through httpx's generators, whose frames hold decoded
            # chunks: dropped, so a kept report does not keep them alive.
            exc.__traceback__ = None
            return self.too_large(exc.size or self.max_bytes + 1, exc.how)
        return self._fail(exc)


def read_all(state: StreamState, chunks: Iterable[bytes]) -> bytes:
    """The rest of a body, counted against the cap; the exchange is marked ended."""
    body = bytearray()
    try:
        for chunk in chunks:
            state.count(chunk)
            body += chunk
    except BaseException:
        # A test report can keep the traceback (and so this frame) alive: free the partial
        # body now, or each failed check would hold up to max_response_bytes.
        body.clear()
        raise
    content = bytes(body)
    state.on_end(body=content)
    return content


async def read_all_async(state: StreamState, chunks: AsyncIterable[bytes]) -> bytes:
    """``read_all`` for an async body."""
    body = bytearray()
    try:
        async for chunk in chunks:
            state.count(chunk)
            body += chunk
    except BaseException:
        body.clear()
        raise
    content = bytes(body)
    state.on_end(body=content)
    return content


def failure(state: StreamState, exc: httpx.HTTPError, phase: str) -> HarnessError:
    """The harness error for an httpx failure, carrying the exchange."""
    t = state.timeouts
    where = state._where()
    error: HarnessError
    if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= state.deadline - 0.005:
        # A read capped at the time left ran out: the deadline, not the read timeout, ended it.
        return state.deadline_error(phase)
    if isinstance(exc, httpx.ConnectTimeout):
        error = ClientTimeoutError(f"connect timeout ({min(t.connect, t.total):g}s) to {where}")
    elif isinstance(exc, httpx.PoolTimeout):
        error = ClientTimeoutError(f"no free connection within {t.connect:g}s for {where}")
    elif isinstance(exc, httpx.TimeoutException):
        error = ClientTimeoutError(
            f"read timeout ({min(t.read, t.total):g}s) {phase} after {state.received} bytes "
            f"({where})")
    elif isinstance(exc, httpx.ConnectError):
        error = TargetUnreachableError(f"cannot connect to {where}: {exc or type(exc).__name__}")
    elif isinstance(exc, httpx.DecodingError):
        error = StreamError(f"response body could not be decoded {phase} ({where}): {exc}")
    else:
        error = TargetUnreachableError(
            f"connection failed {phase} after {state.received} bytes ({where}): "
            f"{exc or type(exc).__name__}")
    return state._fail(error)


def prepare(http: httpx.Client | httpx.AsyncClient, method: str, path: str, *, json: Any,
            content: bytes | None, default_headers: Mapping[str, str],
            headers: Mapping[str, str] | None, params: Mapping[str, str] | None,
            auth: Auth | _DefaultAuth | None, surface: Wire | None, stream: bool,
            timeouts: Timeouts, redactor: Redactor, max_response_bytes: int,
            keep_raw_bytes: int, on_exchange: Callable[[Exchange], None] | None,
            ) -> tuple[httpx.Request, StreamState]:
    """Build the httpx request (auth applied, JSON encoded) and its fresh state."""
    if isinstance(auth, _DefaultAuth):
        raise TypeError("prepare() needs the resolved auth")
    auth = auth if auth is not None else Auth()
    if json is not None and content is not None:
        raise ValueError("pass json or content, not both")
    body = orjson.dumps(json) if json is not None else content
    merged = httpx.Headers(default_headers)
    if json is not None:
        merged["content-type"] = "application/json"
    auth_headers: dict[str, str] = {}
    auth.apply(auth_headers)
    merged.update(auth_headers)
    if headers:
        merged.update(headers)  # explicit headers win, even over auth (to test bad ones)
    if auth.secret:
        redactor.add_secret(auth.secret)
    secret_env = secret_env_of(auth)
    if secret_env and merged.get(secret_env[0][0]) != auth_headers.get(auth.header_name or ""):
        secret_env = ()  # an explicit header replaced the auth one: $ENV would not reproduce it
    request = http.build_request(method, path, content=body, headers=merged, params=params,
                                 timeout=timeouts.to_httpx())
    state = StreamState(request=request, body=body, stream=stream, surface=surface,
                        timeouts=timeouts, redactor=redactor,
                        max_response_bytes=max_response_bytes, keep_raw_bytes=keep_raw_bytes,
                        secret_env=secret_env, on_exchange=on_exchange)
    return request, state
