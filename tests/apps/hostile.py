"""A hostile test gateway: every route misbehaves one way, bounded in bytes and time.

Raw asyncio streams rather than an ASGI app: several modes need byte-level control that no
ASGI server allows (64 MiB of headers, headers dripped one byte at a time, a status line that
is not HTTP, a gzip body that expands to a GiB). Loopback only.

A server has one mode (see MODES): what its API routes do and what its health routes
(``/``, ``/health*``, ``/ready``, ``/live``) do; ``routes`` overrides single paths with a
behaviour (see BEHAVIOURS). Every response is bounded: at most ``size`` bytes of body (a lazily
generated one, never held in memory) and every connection at most ``max_seconds`` long, after
which the server drops it. Every request is recorded in ``hits`` (the last 1,000).

    with serve("gzip-bomb", max_seconds=10) as server:
        httpx.get(server.url + "/v1/models")

From the command line (one server per process, for benchmarks)::

    python -m tests.apps.hostile --mode stall --port 0

prints the URL on its first line (and, for ``redirect-off-origin``, the off-origin server's
URL on the second), then one ``hit`` line per request, and on SIGTERM a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import threading
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from tests.apps import _hostile_bodies as bodies

# API behaviour, health behaviour.
MODES: dict[str, tuple[str, str]] = {
    "ok": ("ok", "ok"),
    "echo-credentials": ("echo", "echo"),
    "huge-body": ("huge-body", "ok"),
    "gzip-bomb": ("gzip-bomb", "ok"),
    "redirect-off-origin": ("redirect-off", "ok"),
    "redirect-loop": ("redirect-loop", "ok"),
    "stall": ("no-headers", "ok"),
    "drip": ("drip", "ok"),
    "endless-sse": ("endless-sse", "ok"),
    "health-huge": ("ok", "huge-body"),
    "health-malformed": ("ok", "malformed"),
    "health-hang": ("ok", "no-headers"),
    "escapes": ("escapes", "ok"),
    "html": ("html", "html"),
    "unparseable-sse": ("unparseable-sse", "ok"),
    "huge-headers": ("huge-headers", "ok"),
    "not-found-first": ("not-found-first", "not-found-first"),
}
HEALTH_PATHS = ("/", "/ready", "/live", "/ping", "/healthz")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_HEAD_LIMIT = 64 << 10  # request head
_BODY_LIMIT = 1 << 20  # request body
_BLOCK = 256 << 10  # body writes


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Request:
    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def wants_stream(self) -> bool:
        try:
            payload = json.loads(self.body or b"{}")
        except ValueError:
            return False
        return isinstance(payload, dict) and payload.get("stream") is True

    @property
    def anthropic(self) -> bool:
        return self.path.rstrip("/").endswith(("/messages", "/complete"))


@dataclass
class Options:
    size: int = 2 << 30  # huge-body bytes; gzip-bomb expands to min(size, 1 GiB)
    bomb_size: int = 1 << 30
    header_bytes: int = 64 << 20
    interval: float = 1.0  # drip: seconds per byte; endless-sse: per event (/20)
    content_length: bool = True  # huge-body: announce the size (else: read until close)
    not_found: int = 1_000_000  # not-found-first: how many requests answer 404
    max_seconds: float = 600.0
    off_origin_url: str = ""


@dataclass
class HostileServer:
    """One hostile gateway on a loopback port; start() in a loop, or serve() from a thread."""

    mode: str
    host: str = "127.0.0.1"
    port: int = 0
    options: Options = field(default_factory=Options)
    routes: Mapping[str, str] = field(default_factory=dict)
    hits: deque[Hit] = field(default_factory=lambda: deque(maxlen=1000))
    requests: int = 0
    on_hit: Callable[[Hit], None] | None = None
    _server: asyncio.Server | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        if self.host not in LOOPBACK:
            raise ValueError("the hostile gateway listens on loopback only")
        unknown = set(self.routes.values()) - set(BEHAVIOURS)
        if unknown:
            raise ValueError(f"unknown behaviour(s) {sorted(unknown)}")

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port,
                                                  limit=_HEAD_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def behaviour(self, path: str) -> str:
        if path in self.routes:
            return self.routes[path]
        api, health = MODES[self.mode]
        return health if path in HEALTH_PATHS or path.startswith("/health") else api

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.options.max_seconds):
                while await self._one(reader, writer):
                    pass
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError, asyncio.CancelledError):
            pass  # the client left, the time is up, or the server is stopping
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is to be closed."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length > _BODY_LIMIT:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
        request = Request(method, target, headers, body)
        self.requests += 1
        hit = Hit(method, request.path, headers)
        self.hits.append(hit)
        if self.on_hit is not None:
            self.on_hit(hit)
        handler = BEHAVIOURS[self.behaviour(request.path)]
        return await handler(self, request, reader, writer)

    # -- running it from synchronous code ----------------------------------------------------
    @contextlib.contextmanager
    def in_thread(self) -> Iterator[HostileServer]:
        """Run this server on its own event loop in a daemon thread while the block runs."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name=f"hostile-{self.mode}", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("hostile server did not start")
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    async def _shutdown(self) -> None:
        await self.stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def serve(mode: str, *, routes: Mapping[str, str] | None = None,
          **options: object) -> Iterator[HostileServer]:
    """A hostile server in a thread; ``redirect-off-origin`` also starts its off-origin
    target (reachable as ``server.off_origin``, an "ok" server whose ``hits`` say whether
    anything followed the redirect)."""
    opts = Options(**options)  # type: ignore[arg-type]
    with contextlib.ExitStack() as stack:
        off = None
        if mode == "redirect-off-origin" or "redirect-off" in (routes or {}).values():
            off = stack.enter_context(HostileServer("ok", options=opts).in_thread())
            opts.off_origin_url = off.url
        server = stack.enter_context(
            HostileServer(mode, options=opts, routes=dict(routes or {})).in_thread())
        server.off_origin = off  # type: ignore[attr-defined]
        yield server


# -- behaviours -------------------------------------------------------------------------------
Handler = Callable[[HostileServer, Request, asyncio.StreamReader, asyncio.StreamWriter],
                   Awaitable[bool]]


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write and wait for the buffer to drain; a client that left ends the connection."""
    if writer.is_closing():
        raise ConnectionResetError("client gone")
    writer.write(data)
    await writer.drain()


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {bodies.REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes,
                content_type: str = "application/json",
                extra: list[tuple[str, str]] | None = None) -> bool:
    headers = [("content-type", content_type), ("content-length", str(len(body))), *(extra or [])]
    await _write(writer, _head(status, headers) + body)
    return True


async def _send_stream(writer: asyncio.StreamWriter, events: AsyncIterator[bytes],
                       extra: list[tuple[str, str]] | None = None) -> bool:
    """A chunked text/event-stream; the connection stays usable afterwards."""
    await _write(writer, _head(200, [("content-type", "text/event-stream"),
                                     ("transfer-encoding", "chunked"), *(extra or [])]))
    async for event in events:
        await _write(writer, b"%x\r\n%s\r\n" % (len(event), event))
    await _write(writer, b"0\r\n\r\n")
    return True


async def _iterate(items: list[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def _ok(server: HostileServer, request: Request, _r: asyncio.StreamReader,
              writer: asyncio.StreamWriter) -> bool:
    status, body, stream = bodies.ok_answer(request.method, request.path, request.anthropic,
                                            request.wants_stream)
    if stream is not None:
        return await _send_stream(writer, _iterate(stream))
    return await _send(writer, status, body)


async def _echo(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    # Every request header back: in response headers, in error bodies, inside SSE events.
    dump = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
    extra = [(f"x-echo-{name}", value) for name, value in request.headers.items()
             if name not in ("content-length", "transfer-encoding", "connection", "host")]
    if server.behaviour(request.path) == "echo" and request.path.startswith(("/health", "/ready")):
        return await _send(writer, 200, b'{"status":"ok"}', extra=extra)
    if request.wants_stream:
        return await _send_stream(writer, _iterate(bodies.echo_events(dump, request.anthropic)),
                                  extra=extra)
    return await _send(writer, 401, bodies.error_json(f"invalid credentials: you sent {dump}"),
                       extra=extra)


async def _huge_body(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    size = server.options.size
    framing = ("content-length", str(size)) if server.options.content_length \
        else ("connection", "close")
    await _write(writer, _head(200, [("content-type", "application/json"), framing]))
    for block in bodies.huge_json(size, _BLOCK):
        await _write(writer, block)
    return server.options.content_length


async def _gzip_bomb(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    length, blocks = gzip_bomb(server.options.bomb_size)
    await _write(writer, _head(200, [("content-type", "application/json"),
                                     ("content-encoding", "gzip"),
                                     ("content-length", str(length))]))
    for block in blocks():
        await _write(writer, block)
    return True


async def _redirect_off(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
    target = server.options.off_origin_url or "http://127.0.0.1:9"
    return await _send(writer, 307, b"", extra=[("location", target + request.target)])


async def _redirect_loop(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> bool:
    # A different URL every hop (a growing query), so only a hop limit stops a follower.
    hop = server.requests
    return await _send(writer, 307, b"", extra=[("location", f"{request.path}?hop={hop}")])


async def _no_headers(server: HostileServer, request: Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:
    # Say nothing until the client leaves (EOF) or max_seconds ends the connection.
    while await reader.read(4096):
        pass
    return False


async def _drip(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    body = bodies.error_json("slow")
    whole = _head(200, [("content-type", "application/json"),
                        ("content-length", str(len(body)))]) + body
    for i in range(len(whole)):
        await _write(writer, whole[i:i + 1])
        await asyncio.sleep(server.options.interval)
    return True


async def _endless_sse(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> bool:
    async def events() -> AsyncIterator[bytes]:
        event = bodies.content_event("a", request.anthropic)
        while True:  # bounded by max_seconds (the connection's timeout)
            yield event
            await asyncio.sleep(server.options.interval / 20)

    return await _send_stream(writer, events())


async def _malformed(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    await _write(writer, bodies.MALFORMED)
    return False


async def _escapes(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> bool:
    if request.wants_stream:
        return await _send_stream(writer, _iterate(bodies.escape_events(request.anthropic)))
    return await _send(writer, 400, bodies.ESCAPES_BODY)


async def _html(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    return await _send(writer, 200, bodies.HTML, content_type="text/html; charset=utf-8")


async def _unparseable_sse(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> bool:
    return await _send_stream(writer, _iterate(bodies.UNPARSEABLE_SSE))


async def _huge_headers(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
    await _write(writer, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    line = b"x-pad-%08d: " + b"a" * 1000 + b"\r\n"
    lines = server.options.header_bytes // len(line % 0)
    for first in range(0, lines, 64):  # 64 header lines (~64 KiB) per write
        await _write(writer, b"".join(line % i for i in range(first, min(first + 64, lines))))
    body = bodies.error_json("headers done")
    await _write(writer, b"content-length: %d\r\n\r\n%s" % (len(body), body))
    return True


async def _not_found_first(server: HostileServer, request: Request, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> bool:
    if server.requests <= server.options.not_found:
        return await _send(writer, 404, bodies.error_json(f"no route {request.path}"))
    return await _ok(server, request, reader, writer)


BEHAVIOURS: dict[str, Handler] = {
    "ok": _ok, "echo": _echo, "huge-body": _huge_body, "gzip-bomb": _gzip_bomb,
    "redirect-off": _redirect_off, "redirect-loop": _redirect_loop, "no-headers": _no_headers,
    "drip": _drip, "endless-sse": _endless_sse, "malformed": _malformed, "escapes": _escapes,
    "html": _html, "unparseable-sse": _unparseable_sse, "huge-headers": _huge_headers,
    "not-found-first": _not_found_first,
}


@lru_cache(maxsize=4)
def _bomb_parts(expanded: int) -> tuple[bytes, bytes, int, bytes]:
    """First segment, repeated segment, count, tail of a gzip member of `expanded` spaces.

    Z_FULL_FLUSH resets the compressor after each 1 MiB of input, so every segment after the
    first compresses to the same bytes: the member is built from three pieces, and the CRC
    is computed over the spaces without ever holding them all.
    """
    block = b" " * (1 << 20)
    count = max(expanded // len(block), 2)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    segment = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    tail = comp.flush(zlib.Z_FINISH)[:-8]  # the final block, without zlib's own trailer
    tail += crc.to_bytes(4, "little") + ((count * len(block)) & 0xFFFFFFFF).to_bytes(4, "little")
    return first, segment, count, tail


def gzip_bomb(expanded: int) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """(wire length, block generator) of a valid gzip body expanding to ``expanded`` bytes."""
    first, segment, count, tail = _bomb_parts(expanded)

    def blocks() -> Iterator[bytes]:
        yield first
        batch = segment * 64
        left = count - 1
        while left > 0:
            n = min(left, 64)
            yield batch if n == 64 else segment * n
            left -= n
        yield tail

    return len(first) + len(segment) * (count - 1) + len(tail), blocks


# -- command line -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.apps.hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", required=True, choices=sorted(MODES))
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--size", type=int, default=2 << 30, help="huge-body bytes")
    parser.add_argument("--no-content-length", action="store_true",
                        help="huge-body: no Content-Length, the body ends at close")
    parser.add_argument("--bomb-size", type=int, default=1 << 30, help="gzip-bomb expansion")
    parser.add_argument("--not-found", type=int, default=1_000_000)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    opts = Options(size=args.size, bomb_size=args.bomb_size, interval=args.interval,
                   not_found=args.not_found, max_seconds=args.max_seconds,
                   content_length=not args.no_content_length)
    return asyncio.run(_serve_forever(args.mode, args.host, args.port, opts))


async def _serve_forever(mode: str, host: str, port: int, opts: Options) -> int:
    def report(prefix: str) -> Callable[[Hit], None]:
        def hit(h: Hit) -> None:
            creds = sorted(k for k in h.headers if k in ("authorization", "x-api-key"))
            print(f"{prefix} {h.method} {h.path} {','.join(creds)}", flush=True)
        return hit

    off = None
    if mode == "redirect-off-origin":
        off = HostileServer("ok", host=host, options=opts, on_hit=report("off-origin-hit"))
        await off.start()
        opts.off_origin_url = off.url
    server = HostileServer(mode, host=host, port=port, options=opts, on_hit=report("hit"))
    await server.start()
    print(server.url, flush=True)
    if off is not None:
        print(off.url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    if off is not None:
        await off.stop()
    print(json.dumps({"requests": server.requests,
                      "off_origin_requests": off.requests if off else 0}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
