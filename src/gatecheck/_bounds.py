"""The bounds every HTTP client of gatecheck's shares, whatever library reads the body.

A gateway under test can answer anything; these bounds hold for gatecheck's own client and
for the official SDKs given gatecheck's transport (gatecheck._transport):

- ``BodyMeter``: the body is capped in *decoded* bytes. It decodes a copy of each raw chunk
  in bounded steps (at most 1 MiB of output at a time, never the whole chunk at once) and
  raises before the chunk is handed on once the decoded total would pass the cap, so a
  gzip bomb stops at the cap and the client's own decoder never inflates more than that.
  Counting twice costs CPU on compressed bodies only, which gateways rarely send; it keeps
  the cap independent of how httpx, httpx2 or an SDK reads the body.
- ``check_headers``: at most ``max_headers`` response headers of ``max_header_bytes`` in
  all. (h11 refuses a header block past 100 KiB before this runs; see ``header_overflow``.)
- ``check_origin``: no request leaves the target's origin (scheme, host, port).
- ``DeadlineBackend``: every socket operation of an exchange is capped at the time left
  before its total deadline, headers dripped byte by byte included (httpx has no total
  deadline, and a read timeout restarts with every byte). The deadline reaches the socket
  through a thread-local set while a request is sent (the pool connects and writes the
  request in the caller's thread), and then stays on the connection's stream for the body.
"""

from __future__ import annotations

import threading
import time
import traceback
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from gatecheck._exceptions import OffOriginError, ResponseTooLargeError, StreamError

__all__ = ["BodyMeter", "Caps", "DeadlineBackend", "accept_encoding", "check_headers",
           "check_origin", "current_deadline", "header_overflow", "origin_of", "release_frames",
           "set_deadline"]

_STEP = 1 << 20  # decoded bytes per decompression step
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Caps:
    """Size bounds of one response. ``max_body_bytes`` counts decoded bytes."""

    max_body_bytes: int = 8 << 20
    max_header_bytes: int = 64 << 10
    max_headers: int = 256

    def __post_init__(self) -> None:
        if min(self.max_body_bytes, self.max_header_bytes, self.max_headers) <= 0:
            raise ValueError("caps must be positive")


# -- body -------------------------------------------------------------------------------------
class _Stage(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, wbits: int, *, deflate: bool = False) -> None:
        self._d = zlib.decompressobj(wbits)
        self._first = deflate  # "deflate" is zlib-wrapped or, in practice, often raw

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._d.decompress(data, _STEP)
        except zlib.error:
            if not self._first:
                raise
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._d.decompress(data, _STEP)
        self._first = False
        while out:
            yield out
            out = self._d.decompress(self._d.unconsumed_tail, _STEP)


class _Brotli:
    def __init__(self, brotli: Any) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._d.process(data, output_buffer_limit=_STEP)
        while True:
            if out:
                yield out
            if self._d.can_accept_more_data():
                return
            out = self._d.process(b"", output_buffer_limit=_STEP)


def _stage(coding: str) -> _Stage | None:
    """A bounded decoder for one content-coding; None for identity and unknown codings (which
    httpx passes through undecoded, so the raw count is exact)."""
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, deflate=True)
    if coding == "br":
        brotli = _bounded_brotli()
        if brotli is None:
            raise StreamError("a br-encoded body cannot be bounded (brotli >= 1.1 missing)")
        return _Brotli(brotli)
    if coding == "zstd":  # never offered; httpx decodes it when zstandard is installed
        raise StreamError("a zstd-encoded body was not asked for and cannot be bounded")
    return None


def _bounded_brotli() -> Any:
    try:
        import brotli  # type: ignore[import-untyped]
    except ImportError:
        return None
    return brotli if hasattr(brotli.Decompressor, "can_accept_more_data") else None


def accept_encoding() -> str:
    """What to offer: only the codings BodyMeter can bound (and httpx can decode)."""
    return "gzip, deflate, br" if _bounded_brotli() is not None else "gzip, deflate"


class BodyMeter:
    """Counts a body's raw and decoded bytes; raises ResponseTooLargeError past the cap."""

    def __init__(self, content_encoding: str, cap: int, where: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # Codings are listed in the order applied: decode in reverse.
        self._stages = [s for s in (_stage(c) for c in reversed(codings)) if s is not None]
        self.cap = cap
        self.where = where
        self.raw = 0
        self.decoded = 0

    def feed(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if not self._stages:
            self.decoded = self.raw
        else:
            try:
                for piece in self._through(0, chunk):
                    self.decoded += len(piece)
                    if self.decoded > self.cap:
                        break
            except Exception:  # zlib.error, brotli.error: the body is corrupt
                # The client's own decoder reports that, on this very chunk; this only counts.
                self._stages = []
        if self.decoded > self.cap or self.raw > self.cap:
            how = "decoded" if self.decoded > self.raw else "read"
            raise ResponseTooLargeError(
                f"response body of more than {self.cap} bytes ({how}) exceeds "
                f"max_response_bytes={self.cap} ({self.where})", size=max(self.decoded, self.raw),
                how=how)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)


def release_frames(error: BaseException) -> None:
    """Clear the local variables of every frame in ``error``'s traceback and in those of its
    causes and contexts (their frames must be finished: call this once reported).

    A cap error raised inside an SDK's generators carries their frames, whose locals hold
    up to a cap's worth of decoded body each; a test runner that keeps failures keeps them
    all (measured: ~9 MB per failed SDK stream check, ~0.1 MB once released).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


# -- headers and origin -----------------------------------------------------------------------
def check_headers(raw: list[tuple[bytes, bytes]], caps: Caps, where: str) -> None:
    size = sum(len(name) + len(value) + 4 for name, value in raw)
    if len(raw) > caps.max_headers or size > caps.max_header_bytes:
        raise ResponseTooLargeError(
            f"response headers ({len(raw)} headers, {size} bytes) exceed the caps of "
            f"{caps.max_headers} headers and {caps.max_header_bytes} bytes ({where})",
            size=size, how="headers")


def header_overflow(exc: Exception, where: str) -> ResponseTooLargeError | None:
    """The cap error for h11's refusal of a header block past its buffer, else None."""
    if "Receive buffer too long" not in str(exc):
        return None
    return ResponseTooLargeError(
        f"response headers exceed the HTTP parser's 100 KiB limit ({where})", how="headers")


def origin_of(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    scheme = scheme.lower()
    return scheme, host.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme, 0)


def check_origin(request_origin: tuple[str, str, int], allowed: tuple[str, str, int] | None,
                 where: str) -> None:
    if allowed is not None and request_origin != allowed:
        scheme, host, port = allowed
        raise OffOriginError(f"refused to send {where}: not the target's origin "
                             f"{scheme}://{host}:{port}")


# -- total deadline at the socket --------------------------------------------------------------
_local = threading.local()


def current_deadline() -> float | None:
    return getattr(_local, "deadline", None)


def set_deadline(deadline: float | None) -> None:
    _local.deadline = deadline


class _DeadlineStream:
    """A network stream whose every operation ends by the exchange's total deadline."""

    def __init__(self, stream: Any, errors: Any) -> None:
        self._stream = stream
        self._errors = errors  # the httpcore (or httpcore2) module: its timeout exceptions
        self.deadline = current_deadline()

    def _left(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("total deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return bytes(self._stream.read(max_bytes, self._left(timeout, self._errors.ReadTimeout)))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A request goes out: from here on, this connection serves that request's deadline.
        self.deadline = current_deadline()
        self._stream.write(buffer, self._left(timeout, self._errors.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        tls = self._stream.start_tls(ssl_context, server_hostname,
                                     self._left(timeout, self._errors.ConnectTimeout))
        return _DeadlineStream(tls, self._errors)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend:
    """Wraps an httpcore network backend: connects and streams capped at the deadline."""

    def __init__(self, backend: Any, errors: Any) -> None:
        self._backend = backend
        self._errors = errors

    def _connect_timeout(self, timeout: float | None) -> float | None:
        deadline = current_deadline()
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._errors.ConnectTimeout("total deadline passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> Any:
        stream = self._backend.connect_tcp(host, port, self._connect_timeout(timeout),
                                           local_address, socket_options)
        return _DeadlineStream(stream, self._errors)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> Any:
        stream = self._backend.connect_unix_socket(path, self._connect_timeout(timeout),
                                                   socket_options)
        return _DeadlineStream(stream, self._errors)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
